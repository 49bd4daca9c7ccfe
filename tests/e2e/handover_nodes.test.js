'use strict';
// Two server processes on one data directory (two nodes sharing a store): a run that node B
// carries on after node A created it keeps what its create asked for, which B reads back from
// the store: include[] (file_search result contents in B's streamed step events). The key's
// token budget is ratelimits.test.js's ("a run another node takes over keeps its key's
// budget").

const { describe, after } = require('node:test');
const assert = require('node:assert/strict');
const { toFile } = require('openai');
const { useUpstreamServer } = require('./lib/harness');
const { startServer } = require('./lib/server');
const { validateEvent } = require('./lib/spec');
const { plain, settled } = require('./lib/util');

const CONTENT = 'step_details.tool_calls[*].file_search.results[*].content';
const MARS = 'Olympus Mons on Mars is the tallest volcano in the solar system, about 22 km high.\n';
const POLL = { pollIntervalMs: 50 };

describe('a run carried on by another node keeps its include[]', () => {
  const { srv, it, up } = useUpstreamServer();
  let b = null;
  let asst;
  after(async () => { if (b) await b.stop(); });

  it('setup: node B on node A\'s data directory, a library and an assistant', async () => {
    b = await startServer({ dataDir: srv().dataDir, args: ['--upstream-url', up().url] });
    const c = srv().client();
    const mars = await c.files.create({ file: await toFile(Buffer.from(MARS), 'mars.txt'), purpose: 'assistants' });
    const vs = await c.vectorStores.create({ name: 'library', file_ids: [mars.id] });
    await settled(c, vs.id);
    asst = await c.beta.assistants.create({
      model: 'gpt-4o', tool_resources: { file_search: { vector_store_ids: [vs.id] } },
      tools: [{ type: 'file_search' }, { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } }],
    });
  });

  // Created on A with include[]; its tool outputs go to B, which takes the run over and
  // streams the next turn's search itself.
  const searchOnB = async (include) => {
    const t = await srv().client().beta.threads.create({ messages: [{ role: 'user', content: 'time, then volcanoes' }] });
    up().script([
      { toolCalls: [{ name: 'get_time', arguments: {} }] },
      { toolCalls: [{ name: 'file_search', arguments: { query: 'volcano' } }] },
      { text: 'At noon: 22 km 【0:0†mars.txt】' },
    ]);
    const run = await srv().client().beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id, include }, POLL);
    assert.equal(run.status, 'requires_action', JSON.stringify(run.last_error));
    const call = run.required_action.submit_tool_outputs.tool_calls[0];
    const stream = await b.client().beta.threads.runs.submitToolOutputs(run.id, {
      thread_id: t.id, stream: true, tool_outputs: [{ tool_call_id: call.id, output: 'noon' }],
    });
    let results = null;
    let last = null;
    for await (const e of stream) {
      validateEvent(e.event, plain(e.data));
      last = e.event;
      const calls = e.event === 'thread.run.step.completed' ? e.data.step_details.tool_calls : null;
      if (calls && calls[0].type === 'file_search') results = calls[0].file_search.results;
    }
    assert.equal(last, 'thread.run.completed');
    assert.equal(results.length, 1);
    return results[0];
  };

  it('with include[] on create: B\'s streamed search step carries the result contents', async () => {
    const res = await searchOnB([CONTENT]);
    assert.deepEqual(plain(res.content), [{ type: 'text', text: MARS }]);
  });

  it('without include[]: B\'s streamed search step carries none', async () => {
    const res = await searchOnB(undefined);
    assert.equal(res.content, undefined);
  });

  it('node B stops cleanly', async () => {
    await b.stop();
    b = null;
  });
});
