'use strict';
// The file_search tool in runs: a fake upstream scripted to call file_search, then to cite
// what it found. Checks the search's step (ranking_options, results, content only with
// include[] on run create, steps list and step retrieve), the citations (the text keeps
// each marker; each gets a file_citation annotation locating it), streaming through the
// SDK's helpers (a marker split across upstream chunks arrives whole, with its annotation),
// attachments creating the thread's vector store, the demo model's "search <query>", and a
// run whose vector store expired failing as it starts.

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { toFile } = require('openai');
const { useServer, useUpstreamServer, expectApiError } = require('./lib/harness');
const { validate, validateEvent } = require('./lib/spec');
const { plain, settled } = require('./lib/util');

const POLL = { pollIntervalMs: 50 };
const CONTENT = 'step_details.tool_calls[*].file_search.results[*].content';
const MARS = 'Olympus Mons on Mars is the tallest volcano in the solar system, about 22 km high.\n';
const OWLS = 'Owls hunt small mammals at night and see well in the dark.\n';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const upload = async (c, name, text) => c.files.create({ file: await toFile(Buffer.from(text), name), purpose: 'assistants' });

// A vector store holding mars.txt and owls.txt, indexed; returns { vs, mars, owls }.
async function library(c) {
  const mars = await upload(c, 'mars.txt', MARS);
  const owls = await upload(c, 'owls.txt', OWLS);
  const vs = await c.vectorStores.create({ name: 'library', file_ids: [mars.id, owls.id] });
  await settled(c, vs.id);
  return { vs: vs.id, mars: mars.id, owls: owls.id };
}

// Every file_citation annotation of a text part: its text is the marker at its indexes.
function checkCitations(text, files) {
  const chars = [...text.value];
  assert.ok(text.annotations.length > 0, `no annotations in ${JSON.stringify(text)}`);
  for (const a of text.annotations) {
    assert.equal(a.type, 'file_citation');
    assert.equal(chars.slice(a.start_index, a.end_index).join(''), a.text);
    assert.match(a.text, /^【\d+:\d+†[^】]+】$/);
    assert.ok(files.includes(a.file_citation.file_id), `cited ${a.file_citation.file_id}`);
  }
}

const searchCall = (query) => ({ toolCalls: [{ name: 'file_search', arguments: { query } }] });

describe('file_search in runs (fake upstream)', () => {
  const { srv, it, up } = useUpstreamServer();
  const c = () => srv().client();
  let lib;
  let asst;

  it('setup: a library and an assistant with file_search', async () => {
    lib = await library(c());
    asst = await c().beta.assistants.create({
      model: 'gpt-4o', instructions: 'Answer from the files.',
      tools: [{ type: 'file_search', file_search: { max_num_results: 1 } }],
      tool_resources: { file_search: { vector_store_ids: [lib.vs] } },
    });
  });

  it('a run searches, the model sees marked results, and the reply cites them', async () => {
    const reply = 'Olympus Mons is about 22 km high 【0:0†mars.txt】.';
    up().script([searchCall('tallest volcano'), { text: reply }]);
    const n = up().requests.length;
    const t = await c().beta.threads.create({ messages: [{ role: 'user', content: 'How high is Olympus Mons?' }] });
    const run = await c().beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id }, POLL);
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));

    const first = up().requests[n];
    const fn = first.tools.find((x) => x.function.name === 'file_search');
    assert.ok(fn, 'file_search offered as a function');
    assert.deepEqual(fn.function.parameters.required, ['query']);
    assert.match(first.messages[0].content, /Answer from the files\./);
    assert.match(first.messages[0].content, /【0:1†notes\.txt】/);
    const second = up().requests[n + 1];
    const asked = second.messages.find((m) => m.tool_calls);
    assert.deepEqual(JSON.parse(asked.tool_calls[0].function.arguments), { query: 'tallest volcano' });
    assert.equal(asked.tool_calls[0].function.name, 'file_search');
    const toolMsg = second.messages.find((m) => m.role === 'tool');
    assert.match(toolMsg.content, /^【0:0†mars\.txt】\nOlympus Mons/);
    assert.doesNotMatch(toolMsg.content, /Owls/, 'max_num_results: 1');

    const msgs = await c().beta.threads.messages.list(t.id, { run_id: run.id });
    const text = msgs.data[0].content[0].text;
    assert.equal(text.value, reply);
    checkCitations(text, [lib.mars]);
    assert.equal(text.annotations.length, 1);
    assert.equal(text.annotations[0].file_citation.file_id, lib.mars);

    const steps = await c().beta.threads.runs.steps.list(run.id, { thread_id: t.id, order: 'asc' });
    const call = steps.data[0].step_details.tool_calls[0];
    assert.equal(steps.data[0].status, 'completed');
    assert.equal(call.type, 'file_search');
    assert.deepEqual(call.file_search.ranking_options, { ranker: 'default_2024_08_21', score_threshold: 0 });
    assert.equal(call.file_search.results.length, 1);
    const r = call.file_search.results[0];
    assert.equal(r.file_id, lib.mars);
    assert.equal(r.file_name, 'mars.txt');
    assert.ok(r.score > 0 && r.score <= 1);
    assert.equal(r.content, undefined, 'no content without include[]');
    assert.deepEqual(Object.keys(call.file_search).sort(), ['ranking_options', 'results']);
    assert.equal(steps.data[1].type, 'message_creation');
  });

  it('include[] shows result contents on steps list and step retrieve', async () => {
    up().script([searchCall('owls night'), { text: 'They hunt at night 【0:0†owls.txt】' }]);
    const t = await c().beta.threads.create({ messages: [{ role: 'user', content: 'owls?' }] });
    const run = await c().beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id }, POLL);
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    const list = await c().beta.threads.runs.steps.list(run.id, { thread_id: t.id, order: 'asc', include: [CONTENT] });
    const step = list.data[0];
    assert.deepEqual(step.step_details.tool_calls[0].file_search.results[0].content, [{ type: 'text', text: OWLS }]);
    const got = await c().beta.threads.runs.steps.retrieve(step.id, { thread_id: t.id, run_id: run.id, include: [CONTENT] });
    assert.deepEqual(got.step_details, step.step_details);
    const bare = await c().beta.threads.runs.steps.retrieve(step.id, { thread_id: t.id, run_id: run.id });
    assert.equal(bare.step_details.tool_calls[0].file_search.results[0].content, undefined);
  });

  it('streamed with the SDK helpers: step created, delta, completed; a split marker arrives whole with its annotation', async () => {
    const reply = 'See 【0:0†mars.txt】 now';
    up().script([searchCall('volcano'), { text: reply, chunks: 3 }]);
    const t = await c().beta.threads.create({ messages: [{ role: 'user', content: 'volcano?' }] });
    const deltas = [];
    const events = [];
    const s = c().beta.threads.runs.stream(t.id, { assistant_id: asst.id, include: [CONTENT] })
      .on('textDelta', (d) => deltas.push(plain(d)))
      .on('event', (e) => { validateEvent(e.event, plain(e.data)); events.push(e); });
    const run = await s.finalRun();
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    const msgs = await s.finalMessages();
    const text = msgs[0].content[0].text;
    assert.equal(text.value, reply);
    checkCitations(text, [lib.mars]);

    assert.equal(deltas.map((d) => d.value).join(''), reply);
    const carrier = deltas.filter((d) => d.value.includes('【'));
    assert.equal(carrier.length, 1, 'the marker is in one delta');
    assert.ok(carrier[0].value.includes('【0:0†mars.txt】'));
    assert.equal(carrier[0].annotations.length, 1);
    assert.equal(carrier[0].annotations[0].file_citation.file_id, lib.mars);

    const names = events.map((e) => e.event);
    const created = names.indexOf('thread.run.step.created');
    const delta = names.indexOf('thread.run.step.delta');
    const done = names.indexOf('thread.run.step.completed');
    assert.ok(created >= 0 && created < delta && delta < done, names.join(' '));
    assert.deepEqual(plain(events[delta].data.delta.step_details.tool_calls[0]).file_search, {});
    const res = events[done].data.step_details.tool_calls[0].file_search.results;
    assert.deepEqual(plain(res[0].content), [{ type: 'text', text: MARS }], 'include[] on create');
  });

  it('without include[] on create, streamed steps carry no contents', async () => {
    up().script([searchCall('volcano'), { text: 'ok' }]);
    const t = await c().beta.threads.create({ messages: [{ role: 'user', content: 'volcano?' }] });
    const stream = await c().beta.threads.runs.create(t.id, { assistant_id: asst.id, stream: true });
    let results = null;
    for await (const e of stream) {
      if (e.event === 'thread.run.step.completed' && e.data.type === 'tool_calls') results = e.data.step_details.tool_calls[0].file_search.results;
    }
    assert.equal(results.length, 1);
    assert.equal(results[0].content, undefined);
  });

  it('file_search and a function in one turn: the search is done, the function waits for its output', async () => {
    const both = await c().beta.assistants.create({
      model: 'gpt-4o', tool_resources: { file_search: { vector_store_ids: [lib.vs] } },
      tools: [{ type: 'file_search' }, { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } }],
    });
    up().script([
      { toolCalls: [{ name: 'file_search', arguments: { query: 'owls' } }, { name: 'get_time', arguments: {} }] },
      { text: 'At noon, owls sleep 【0:0†owls.txt】' },
    ]);
    const n = up().requests.length;
    const t = await c().beta.threads.create({ messages: [{ role: 'user', content: 'owls now?' }] });
    const run = await c().beta.threads.runs.createAndPoll(t.id, { assistant_id: both.id }, POLL);
    assert.equal(run.status, 'requires_action', JSON.stringify(run.last_error));
    const wanted = run.required_action.submit_tool_outputs.tool_calls;
    assert.deepEqual(wanted.map((x) => x.function.name), ['get_time']);
    const step = (await c().beta.threads.runs.steps.list(run.id, { thread_id: t.id })).data[0];
    const [fs, fn] = step.step_details.tool_calls;
    assert.equal(fs.type, 'file_search');
    assert.equal(fs.file_search.results[0].file_id, lib.owls);
    assert.equal(fn.type, 'function');
    await expectApiError(c().beta.threads.runs.submitToolOutputs(run.id, {
      thread_id: t.id, tool_outputs: [{ tool_call_id: fs.id, output: 'x' }, { tool_call_id: fn.id, output: 'noon' }],
    }), 400);
    const done = await c().beta.threads.runs.submitToolOutputsAndPoll(run.id, {
      thread_id: t.id, tool_outputs: [{ tool_call_id: fn.id, output: 'noon' }],
    }, POLL);
    assert.equal(done.status, 'completed', JSON.stringify(done.last_error));
    const tools = up().requests[n + 1].messages.filter((m) => m.role === 'tool').map((m) => m.content);
    assert.match(tools[0], /^【0:0†owls\.txt】\nOwls/);
    assert.equal(tools[1], 'noon');
    const msgs = await c().beta.threads.messages.list(t.id, { run_id: run.id });
    checkCitations(msgs.data[0].content[0].text, [lib.owls]);
  });

  it('tool_choice {type: "file_search"} makes the model call it', async () => {
    up().script([searchCall('volcano'), { text: 'done' }]);
    const n = up().requests.length;
    const t = await c().beta.threads.create({ messages: [{ role: 'user', content: 'anything' }] });
    const run = await c().beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id, tool_choice: { type: 'file_search' } }, POLL);
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    assert.deepEqual(up().requests[n].tool_choice, { type: 'function', function: { name: 'file_search' } });
  });

  it('attachments create the thread\'s vector store (expires 7 days after last use), then add to it', async () => {
    const f1 = await upload(c(), 'comets.txt', 'Comets grow tails of gas and dust near the sun.\n');
    const f2 = await upload(c(), 'tides.txt', 'Tides rise and fall with the pull of the moon.\n');
    const t = await c().beta.threads.create({
      messages: [{ role: 'user', content: 'read this', attachments: [{ file_id: f1.id, tools: [{ type: 'file_search' }] }] }],
    });
    validate('ThreadObject', plain(t));
    const ids = t.tool_resources.file_search.vector_store_ids;
    assert.equal(ids.length, 1);
    const vs = await c().vectorStores.retrieve(ids[0]);
    assert.deepEqual(vs.expires_after, { anchor: 'last_active_at', days: 7 });
    assert.equal(vs.file_counts.total, 1);

    await c().beta.threads.messages.create(t.id, { role: 'user', content: 'and this', attachments: [{ file_id: f2.id, tools: [{ type: 'file_search' }] }] });
    const again = await c().beta.threads.retrieve(t.id);
    assert.deepEqual(again.tool_resources.file_search.vector_store_ids, ids);
    const files = (await c().vectorStores.files.list(ids[0])).data.map((x) => x.id).sort();
    assert.deepEqual(files, [f1.id, f2.id].sort());

    // A run right away: the search waits for the files to be indexed, and finds them.
    const bare = await c().beta.assistants.create({ model: 'gpt-4o', tools: [{ type: 'file_search' }] });
    up().script([searchCall('moon tides'), { text: 'The moon 【0:0†tides.txt】' }]);
    const run = await c().beta.threads.runs.createAndPoll(t.id, { assistant_id: bare.id }, POLL);
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    const msgs = await c().beta.threads.messages.list(t.id, { run_id: run.id });
    checkCitations(msgs.data[0].content[0].text, [f2.id]);
  });

  it('additional_messages with an attachment create the store of an existing thread', async () => {
    const f = await upload(c(), 'bees.txt', 'Bees dance to tell the hive where flowers are.\n');
    const t = await c().beta.threads.create();
    up().script({ text: 'fine' });
    const run = await c().beta.threads.runs.createAndPoll(t.id, {
      assistant_id: asst.id,
      additional_messages: [{ role: 'user', content: 'bees', attachments: [{ file_id: f.id, tools: [{ type: 'file_search' }] }] }],
    }, POLL);
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    const got = await c().beta.threads.retrieve(t.id);
    const vs = got.tool_resources.file_search.vector_store_ids[0];
    assert.deepEqual((await c().vectorStores.files.list(vs)).data.map((x) => x.id), [f.id]);
  });

  it('an attachment for code_interpreter only creates no store', async () => {
    const f = await upload(c(), 'data.txt', 'numbers\n');
    const t = await c().beta.threads.create({
      messages: [{ role: 'user', content: 'x', attachments: [{ file_id: f.id, tools: [{ type: 'code_interpreter' }] }] }],
    });
    assert.equal(t.tool_resources.file_search, undefined);
  });
});

describe('file_search with an expired vector store', () => {
  // A "day" of one second, so that expires_after days: 1 passes within the test.
  const { srv, it, up } = useUpstreamServer(['--vs-day', '1']);
  const c = () => srv().client();

  it('the run fails as it starts, saying the store expired, without asking the model', async () => {
    const f = await upload(c(), 'old.txt', 'Old news about ancient kings.\n');
    const vs = await c().vectorStores.create({ file_ids: [f.id] });
    await settled(c(), vs.id);
    const asst = await c().beta.assistants.create({
      model: 'gpt-4o', tools: [{ type: 'file_search' }],
      tool_resources: { file_search: { vector_store_ids: [vs.id] } },
    });
    // Now a day (one second) after its last use, it expires.
    await c().vectorStores.update(vs.id, { expires_after: { anchor: 'last_active_at', days: 1 } });
    for (let end = Date.now() + 20000; (await c().vectorStores.retrieve(vs.id)).status !== 'expired';) {
      assert.ok(Date.now() < end, 'the store never expired');
      await sleep(100);
    }
    up().script([searchCall('kings'), { text: 'unused' }]);
    const t = await c().beta.threads.create({ messages: [{ role: 'user', content: 'kings?' }] });
    const asked = up().requests.length;
    const run = await c().beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id }, POLL);
    assert.equal(run.status, 'failed');
    assert.equal(run.last_error.code, 'server_error');
    assert.match(run.last_error.message, new RegExp(`${vs.id} has expired`));
    // As the hosted service did: the run fails before any turn, whatever the model would do.
    assert.equal(up().requests.length, asked);
    const steps = await c().beta.threads.runs.steps.list(run.id, { thread_id: t.id });
    assert.equal(steps.data.length, 0);
    assert.ok(run.failed_at >= run.started_at);
  });
});

describe('file_search with the demo model', () => {
  const { srv, it } = useServer({ args: ['--demo-delay-ms', '0'] });
  const c = () => srv().client();

  it('"search <query>" calls the tool and answers with cited results', async () => {
    const lib = await library(c());
    const asst = await c().beta.assistants.create({
      model: 'gpt-4o', tools: [{ type: 'file_search' }],
      tool_resources: { file_search: { vector_store_ids: [lib.vs] } },
    });
    const t = await c().beta.threads.create({ messages: [{ role: 'user', content: 'search tallest volcano' }] });
    const s = c().beta.threads.runs.stream(t.id, { assistant_id: asst.id });
    const run = await s.finalRun();
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    const text = (await s.finalMessages())[0].content[0].text;
    assert.match(text.value, /^Here is what the files say:\n1\. Olympus Mons/);
    checkCitations(text, [lib.mars, lib.owls]);
    assert.equal(text.annotations[0].file_citation.file_id, lib.mars);
    const steps = await c().beta.threads.runs.steps.list(run.id, { thread_id: t.id, order: 'asc' });
    assert.equal(steps.data[0].step_details.tool_calls[0].type, 'file_search');
  });

  it('without file_search, "search" is just text', async () => {
    const asst = await c().beta.assistants.create({ model: 'gpt-4o' });
    const t = await c().beta.threads.create({ messages: [{ role: 'user', content: 'search tallest volcano' }] });
    const run = await c().beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id }, POLL);
    const msgs = await c().beta.threads.messages.list(t.id, { run_id: run.id });
    assert.equal(msgs.data[0].content[0].text.value, 'You said: search tallest volcano');
  });
});
