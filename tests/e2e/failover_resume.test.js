'use strict';
// Runs survive a crash of their node: a run cut off mid-turn by kill -9 is resumed when the
// node starts again on the same data directory (same --node-id: it takes back its former
// process's runs at once). The cut-off reply is replaced: the thread ends with one whole
// reply, no step or message stays in_progress. A run waiting for tool outputs waits on.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { startFakeUpstream } = require('../fake_upstream/server');
const { streamRun, waitTerminal } = require('./lib/midrun');

const TEXT = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen';

describe('crash resume on one node', () => {
  let up;
  let srv;
  before(async () => {
    up = await startFakeUpstream();
    srv = await startServer({ args: ['--upstream-url', up.url, '--node-id', 'solo', '--lease-ms', '1500'] });
  });
  after(async () => {
    if (srv) await srv.stop();
    if (up) await up.close();
  });

  it('kill -9 mid-stream: at the next start the run completes with its reply whole, once', async () => {
    const c = srv.client();
    up.script([{ text: TEXT, delayMs: 150 }, { text: TEXT }]);
    const a = await c.beta.assistants.create({ model: 'gpt-4o' });
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'count' }] });
    const { runId } = await streamRun(srv, t.id, { assistant_id: a.id }, 3);
    await srv.kill9();
    await srv.restart();
    const c2 = srv.client();
    const run = await waitTerminal(c2, runId, t.id);
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    const msgs = await c2.beta.threads.messages.list(t.id, { order: 'asc' });
    assert.deepEqual(msgs.data.map((m) => m.role), ['user', 'assistant']);
    assert.equal(msgs.data[1].status, 'completed');
    assert.equal(msgs.data[1].content[0].text.value, TEXT);
    const steps = await c2.beta.threads.runs.steps.list(runId, { thread_id: t.id });
    assert.deepEqual(steps.data.map((s) => s.status), ['completed']);
    assert.equal(steps.data[0].step_details.message_creation.message_id, msgs.data[1].id);
    // the second call asked the model again from the user's message, without the cut reply
    assert.equal(up.requests.length, 2);
    const last = up.requests[1].messages;
    assert.equal(last[last.length - 1].role, 'user');
    assert.match(srv.stderr, /taken over \(in_progress\)/);
  });

  it('a run waiting for tool outputs still waits after kill -9, and goes on when they come', async () => {
    const c = srv.client();
    up.script([{ toolCalls: [{ name: 'now', arguments: {} }] }, { text: 'it is noon' }]);
    const a = await c.beta.assistants.create({ model: 'gpt-4o',
      tools: [{ type: 'function', function: { name: 'now' } }] });
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'time?' }] });
    const run = await c.beta.threads.runs.createAndPoll(t.id, { assistant_id: a.id });
    assert.equal(run.status, 'requires_action');
    await srv.kill9();
    await srv.restart();
    const c2 = srv.client();
    const again = await c2.beta.threads.runs.retrieve(run.id, { thread_id: t.id });
    assert.equal(again.status, 'requires_action');
    const leases = async () => Number(/^assistd_leases_held (\d+)$/m.exec((await srv.raw('GET', '//metrics',
      { noHeaderCheck: true })).text)[1]);
    assert.equal(await leases(), 1); // the waiting run is this node's again
    const call = again.required_action.submit_tool_outputs.tool_calls[0];
    const done = await c2.beta.threads.runs.submitToolOutputsAndPoll(run.id,
      { thread_id: t.id, tool_outputs: [{ tool_call_id: call.id, output: '12:00' }] });
    assert.equal(done.status, 'completed');
    const msgs = await c2.beta.threads.messages.list(t.id);
    assert.equal(msgs.data[0].content[0].text.value, 'it is noon');
    assert.equal(await leases(), 0);
  });
});
