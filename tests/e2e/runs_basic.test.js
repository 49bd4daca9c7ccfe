'use strict';
// Runs with the built-in demo model: create (every RunObject field and its defaults), poll,
// the messages and steps a run leaves, list/retrieve/modify, the poll hold, cancel, one active
// run per thread, and the error envelopes of the runs and steps endpoints.

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, expectApiError, expectRawError } = require('./lib/harness');
const { validate, validateList } = require('./lib/spec');
const { assertRecent, plain } = require('./lib/util');

const INCLUDE = 'step_details.tool_calls[*].file_search.results[*].content';
const TERMINAL = ['completed', 'failed', 'cancelled', 'expired', 'incomplete', 'requires_action'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function text(m) {
  return m.content.filter((p) => p.type === 'text').map((p) => p.text.value).join('');
}

// Retrieves the run until pred(run) holds (or the deadline passes); returns the last run.
async function waitRun(c, threadId, runId, pred = (r) => TERMINAL.includes(r.status), ms = 15000) {
  const end = Date.now() + ms;
  let run;
  for (;;) {
    run = await c.beta.threads.runs.retrieve(runId, { thread_id: threadId });
    if (pred(run) || Date.now() > end) return run;
    await sleep(50);
  }
}

describe('runs (demo model)', () => {
  const { srv, it } = useServer({ args: ['--poll-after-ms', '100'] });
  let asst, thread, run;

  it('setup: an assistant and a thread with a question', async () => {
    const c = srv().client();
    asst = await c.beta.assistants.create({
      model: 'gpt-4o-mini', instructions: 'You are terse.', temperature: 0.5,
      response_format: { type: 'json_object' }, metadata: { team: 'e2e' },
    });
    thread = await c.beta.threads.create({ messages: [{ role: 'user', content: 'hello there' }] });
  });

  it('create replies a queued run with every RunObject field and openai-poll-after-ms', async () => {
    const r = await srv().raw('POST', `/threads/${thread.id}/runs`, {
      json: { assistant_id: asst.id, metadata: { k: 'v' }, top_p: 0.9, response_format: 'auto' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['openai-poll-after-ms'], '100');
    const x = validate('RunObject', r.json);
    assert.match(x.id, /^run_[A-Za-z0-9]{24}$/);
    assert.equal(x.object, 'thread.run');
    assertRecent(x.created_at, 'created_at');
    assert.equal(x.thread_id, thread.id);
    assert.equal(x.assistant_id, asst.id);
    assert.equal(x.status, 'queued');
    for (const k of ['required_action', 'last_error', 'started_at', 'cancelled_at', 'failed_at',
      'completed_at', 'incomplete_details', 'usage', 'max_prompt_tokens', 'max_completion_tokens']) {
      assert.ok(k in x, `${k} is missing`);
      assert.equal(x[k], null, `${k} of a queued run`);
    }
    assert.equal(x.expires_at, x.created_at + 600);
    assert.equal(x.model, 'gpt-4o-mini');
    assert.equal(x.instructions, 'You are terse.');
    assert.deepEqual(x.tools, []);
    assert.deepEqual(x.metadata, { k: 'v' });
    assert.equal(x.temperature, 0.5, 'the assistant\'s temperature');
    assert.equal(x.top_p, 0.9, 'the run\'s top_p');
    assert.deepEqual(x.truncation_strategy, { type: 'auto', last_messages: null });
    assert.equal(x.tool_choice, 'auto');
    assert.equal(x.parallel_tool_calls, true);
    assert.equal(x.response_format, 'auto', 'the run\'s response_format wins');
    run = x;
    const done = await waitRun(srv().client(), thread.id, run.id);
    assert.equal(done.status, 'completed');
  });

  it('a run inherits the assistant\'s response_format, and settings the request gives win', async () => {
    const c = srv().client();
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }];
    const x = await c.beta.threads.runs.create(thread.id, {
      assistant_id: asst.id, model: 'gpt-4o', tools, temperature: 0, max_prompt_tokens: 1000,
      max_completion_tokens: 500, truncation_strategy: { type: 'last_messages', last_messages: 3 },
      tool_choice: { type: 'function', function: { name: 'lookup' } }, parallel_tool_calls: false,
    });
    validate('RunObject', x);
    assert.equal(x.model, 'gpt-4o');
    assert.equal(x.temperature, 0);
    assert.equal(x.top_p, 1);
    assert.equal(x.max_prompt_tokens, 1000);
    assert.equal(x.max_completion_tokens, 500);
    assert.deepEqual(x.truncation_strategy, { type: 'last_messages', last_messages: 3 });
    assert.deepEqual(x.tool_choice, { type: 'function', function: { name: 'lookup' } });
    assert.equal(x.parallel_tool_calls, false);
    assert.deepEqual(x.response_format, { type: 'json_object' });
    assert.deepEqual(plain(x.tools), [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} }, strict: false } }]);
    // the named tool_choice makes the demo model call lookup: the run waits for its output
    const w = await waitRun(c, thread.id, x.id);
    assert.equal(w.status, 'requires_action');
    const cancelled = await c.beta.threads.runs.cancel(x.id, { thread_id: thread.id });
    validate('RunObject', cancelled);
    assert.equal(cancelled.status, 'cancelled');
  });

  it('createAndPoll with an instructions override: the reply, its message and its step', async () => {
    const c = srv().client();
    await c.beta.assistants.update(asst.id, { response_format: 'auto' });
    const r = await c.beta.threads.runs.createAndPoll(thread.id, {
      assistant_id: asst.id, instructions: 'Override.', additional_instructions: 'Be brief.',
      additional_messages: [{ role: 'user', content: 'ping pong' }],
    }, { pollIntervalMs: 50 });
    validate('RunObject', r);
    assert.equal(r.status, 'completed', JSON.stringify(r.last_error));
    assert.equal(r.instructions, 'Override.\n\nBe brief.');
    assert.ok(Number.isInteger(r.started_at) && Number.isInteger(r.completed_at));
    assert.equal(r.expires_at, null);
    assert.ok(r.usage && r.usage.total_tokens === r.usage.prompt_tokens + r.usage.completion_tokens);

    const msgs = await c.beta.threads.messages.list(thread.id, { order: 'desc' });
    // (every SDK response is also checked against the spec by the harness's fetch)
    const [reply, asked] = msgs.data;
    validate('MessageObject', reply);
    assert.equal(reply.role, 'assistant');
    assert.equal(text(reply), 'You said: ping pong');
    assert.equal(reply.run_id, r.id);
    assert.equal(reply.assistant_id, asst.id);
    assert.equal(reply.status, 'completed');
    assert.equal(asked.role, 'user');
    assert.equal(text(asked), 'ping pong', 'additional_messages are added to the thread first');

    const byRun = await c.beta.threads.messages.list(thread.id, { run_id: r.id });
    assert.deepEqual(byRun.data.map((m) => m.id), [reply.id]);

    const steps = await c.beta.threads.runs.steps.list(r.id, { thread_id: thread.id });
    assert.equal(steps.data.length, 1);
    const s = validate('RunStepObject', steps.data[0]);
    assert.match(s.id, /^step_/);
    assert.equal(s.type, 'message_creation');
    assert.equal(s.status, 'completed');
    assert.equal(s.run_id, r.id);
    assert.equal(s.thread_id, thread.id);
    assert.equal(s.assistant_id, asst.id);
    assert.deepEqual(s.step_details, { type: 'message_creation', message_creation: { message_id: reply.id } });
    const one = await c.beta.threads.runs.steps.retrieve(s.id, { thread_id: thread.id, run_id: r.id });
    assert.deepEqual(plain(one), plain(s));
  });

  it('steps endpoints: list envelope, include[], poll header, and 404s', async () => {
    const c = srv().client();
    const runs = await c.beta.threads.runs.list(thread.id, { limit: 1 });
    const rid = runs.data[0].id;
    const q = `include%5B%5D=${encodeURIComponent(INCLUDE)}`;
    const l = await srv().raw('GET', `/threads/${thread.id}/runs/${rid}/steps?${q}`);
    assert.equal(l.status, 200, l.text);
    validateList('RunStepObject', l.json);
    assert.equal(l.headers['openai-poll-after-ms'], '100');
    const g = await srv().raw('GET', `/threads/${thread.id}/runs/${rid}/steps/${l.json.data[0].id}?${q}`);
    assert.equal(g.status, 200, g.text);
    assert.equal(g.headers['openai-poll-after-ms'], '100');
    const bad = await srv().raw('GET', `/threads/${thread.id}/runs/${rid}/steps?include%5B%5D=step_details.nope`);
    expectRawError(bad, 400, { param: 'include' });
    const other = await c.beta.threads.create();
    const wrong = await srv().raw('GET', `/threads/${other.id}/runs/${rid}/steps`);
    expectRawError(wrong, 404);
    assert.match(wrong.json.error.message, /No run found with id/);
    await expectApiError(c.beta.threads.runs.steps.retrieve('step_nope', { thread_id: thread.id, run_id: rid }), 404);
    await expectApiError(c.beta.threads.runs.steps.list('run_nope', { thread_id: thread.id }), 404);
  });

  it('lists, retrieves and modifies runs', async () => {
    const c = srv().client();
    const page = await c.beta.threads.runs.list(thread.id, { order: 'asc' });
    assert.ok(page.data.length >= 3);
    page.data.forEach((r) => validate('RunObject', r));
    assert.equal(page.data[0].id, run.id);
    const raw = await srv().raw('GET', `/threads/${thread.id}/runs?limit=2`);
    assert.equal(raw.status, 200);
    validateList('RunObject', raw.json);
    assert.equal(raw.json.has_more, true);
    const got = await srv().raw('GET', `/threads/${thread.id}/runs/${run.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.headers['openai-poll-after-ms'], '100');
    assert.equal(got.json.status, 'completed');
    const m = await c.beta.threads.runs.update(run.id, { thread_id: thread.id, metadata: { k: 'w', n: '1' } });
    validate('RunObject', m);
    assert.deepEqual(m.metadata, { k: 'w', n: '1' });
    assert.equal(m.status, 'completed');
    const again = await c.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
    assert.deepEqual(plain(again), plain(m));
  });

  it('404s: unknown thread, unknown run, a run under another thread, unknown assistant', async () => {
    const c = srv().client();
    await expectApiError(c.beta.threads.runs.list('thread_nope'), 404);
    await expectApiError(c.beta.threads.runs.create('thread_nope', { assistant_id: asst.id }), 404);
    await expectApiError(c.beta.threads.runs.retrieve('run_nope', { thread_id: thread.id }), 404);
    const other = await c.beta.threads.create();
    const e = await expectApiError(c.beta.threads.runs.retrieve(run.id, { thread_id: other.id }), 404);
    assert.match(e.error.message, /No run found with id/);
    await expectApiError(c.beta.threads.runs.update(run.id, { thread_id: other.id, metadata: {} }), 404);
    await expectApiError(c.beta.threads.runs.cancel('run_nope', { thread_id: thread.id }), 404);
    const a = await expectApiError(c.beta.threads.runs.create(thread.id, { assistant_id: 'asst_nope' }), 404, { param: 'assistant_id' });
    assert.equal(a.error.message, "No assistant found with id 'asst_nope'.");
    await expectApiError(c.beta.threads.createAndRun({ assistant_id: 'asst_gone' }), 404, { param: 'assistant_id' });
  });

  it('400s: bad bodies, include[], tool_choice naming a missing tool, bad additional_messages', async () => {
    const c = srv().client();
    const p = `/threads/${thread.id}/runs`;
    expectRawError(await srv().raw('POST', p, { json: {} }), 400, { param: 'assistant_id' });
    expectRawError(await srv().raw('POST', p, { json: { assistant_id: asst.id, bogus: 1 } }), 400);
    expectRawError(await srv().raw('POST', p, { json: { assistant_id: asst.id, max_completion_tokens: 10 } }), 400, { param: 'max_completion_tokens' });
    expectRawError(await srv().raw('POST', `${p}?include%5B%5D=everything`, { json: { assistant_id: asst.id } }), 400, { param: 'include' });
    await expectApiError(c.beta.threads.runs.create(thread.id, {
      assistant_id: asst.id, tool_choice: { type: 'function', function: { name: 'missing' } },
    }), 400, { param: 'tool_choice' });
    await expectApiError(c.beta.threads.runs.create(thread.id, {
      assistant_id: asst.id, tool_choice: { type: 'file_search' },
    }), 400, { param: 'tool_choice' });
    await expectApiError(c.beta.threads.runs.create(thread.id, {
      assistant_id: asst.id,
      additional_messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }],
    }), 400, { param: 'additional_messages[0].content[0].image_url.url' });
    expectRawError(await srv().raw('POST', `/threads/${thread.id}/runs/${run.id}/submit_tool_outputs`, { json: {} }), 400, { param: 'tool_outputs' });
    // nothing above left a run behind
    const runs = await c.beta.threads.runs.list(thread.id, { limit: 1 });
    assert.ok(TERMINAL.includes(runs.data[0].status), runs.data[0].status);
  });

  it('create with a valid include[] value is accepted', async () => {
    const c = srv().client();
    const r = await c.beta.threads.runs.create(thread.id, { assistant_id: asst.id, include: [INCLUDE] });
    validate('RunObject', r);
    assert.equal((await waitRun(c, thread.id, r.id)).status, 'completed');
  });

  it('one active run per thread: 400 with x-should-retry: false, then cancel ends it quickly', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'demo:slow one two three four five six seven eight nine ten' }] });
    const slow = await c.beta.threads.runs.create(t.id, { assistant_id: asst.id });
    const busy = await srv().raw('POST', `/threads/${t.id}/runs`, { json: { assistant_id: asst.id } });
    expectRawError(busy, 400);
    assert.equal(busy.headers['x-should-retry'], 'false');
    assert.equal(busy.json.error.message, `Thread ${t.id} already has an active run.`);
    await expectApiError(c.beta.threads.messages.create(t.id, { role: 'user', content: 'x' }), 400);
    await waitRun(c, t.id, slow.id, (r) => r.status === 'in_progress');
    const t0 = Date.now();
    const cancel = await c.beta.threads.runs.cancel(slow.id, { thread_id: t.id });
    validate('RunObject', cancel);
    assert.ok(['cancelling', 'cancelled'].includes(cancel.status), cancel.status);
    const end = await c.beta.threads.runs.poll(slow.id, { thread_id: t.id }, { pollIntervalMs: 20 });
    assert.equal(end.status, 'cancelled');
    assert.ok(Number.isInteger(end.cancelled_at));
    assert.ok(Date.now() - t0 < 3000, `cancel took ${Date.now() - t0} ms`);
    const again = await expectApiError(c.beta.threads.runs.cancel(slow.id, { thread_id: t.id }), 400);
    assert.match(again.error.message, /cancel/i);
    // the thread is free again
    const next = await c.beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id, additional_messages: [{ role: 'user', content: 'ok now' }] }, { pollIntervalMs: 20 });
    assert.equal(next.status, 'completed');
    const done = await expectApiError(c.beta.threads.runs.cancel(next.id, { thread_id: t.id }), 400);
    assert.equal(done.error.message, "Cannot cancel run with status 'completed'.");
  });

  it('cancel accepts an empty body sent as JSON (the Python SDK does that)', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'demo:slow a b c d e f g h' }] });
    const r = await c.beta.threads.runs.create(t.id, { assistant_id: asst.id });
    const res = await srv().raw('POST', `/threads/${t.id}/runs/${r.id}/cancel`, { body: '', headers: { 'Content-Type': 'application/json' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['openai-poll-after-ms'], '100');
    assert.ok(['cancelling', 'cancelled'].includes(res.json.status));
    assert.equal((await waitRun(c, t.id, r.id)).status, 'cancelled');
  });

  it('a poll helper\'s retrieve is held until the run changes, capped by its own interval', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'demo:slow w1 w2 w3 w4 w5' }] });
    const r = await c.beta.threads.runs.create(t.id, { assistant_id: asst.id });
    await waitRun(c, t.id, r.id, (x) => x.status === 'in_progress');
    const path = `/threads/${t.id}/runs/${r.id}`;
    // a plain retrieve answers at once
    let t0 = Date.now();
    const plainGet = await srv().raw('GET', path);
    assert.equal(plainGet.json.status, 'in_progress');
    assert.ok(Date.now() - t0 < 500, `plain retrieve took ${Date.now() - t0} ms`);
    // with the helper's own interval of 150 ms, it waits about that long
    t0 = Date.now();
    const capped = await srv().raw('GET', path, { headers: { 'X-Stainless-Poll-Helper': 'true', 'X-Stainless-Custom-Poll-Interval': '150' } });
    const dt = Date.now() - t0;
    assert.equal(capped.status, 200);
    assert.equal(capped.headers['openai-poll-after-ms'], '100');
    assert.ok(dt >= 100 && dt < 1000, `capped hold took ${dt} ms`);
    // without one, it answers when the run completes
    t0 = Date.now();
    const held = await srv().raw('GET', path, { headers: { 'X-Stainless-Poll-Helper': 'true' } });
    validate('RunObject', held.json);
    assert.ok(held.json.status === 'completed', held.json.status);
    assert.ok(Date.now() - t0 < 4000, `held retrieve took ${Date.now() - t0} ms`);
    // a finished run is not held
    t0 = Date.now();
    const fin = await srv().raw('GET', path, { headers: { 'X-Stainless-Poll-Helper': 'true' } });
    assert.equal(fin.json.status, 'completed');
    assert.ok(Date.now() - t0 < 500);
  });

  it('SDK createAndPoll with its default interval: held polls see the end promptly', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'demo:slow p1 p2 p3 p4 p5 p6' }] });
    const t0 = Date.now();
    const r = await c.beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id });
    assert.equal(r.status, 'completed');
    // about 1.4 s of words; each held poll returns at the next status change
    assert.ok(Date.now() - t0 < 4000, `createAndPoll took ${Date.now() - t0} ms`);
  });

  it('a poll helper\'s retrieve whose client goes away leaves nothing behind', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'demo:slow z1 z2 z3 z4' }] });
    const r = await c.beta.threads.runs.create(t.id, { assistant_id: asst.id });
    const ac = new AbortController();
    const p = fetch(`${srv().baseURL}/threads/${t.id}/runs/${r.id}`, {
      headers: { 'X-Stainless-Poll-Helper': 'true', Authorization: 'Bearer test' }, signal: ac.signal,
    }).catch((e) => e);
    await sleep(100);
    ac.abort();
    await p;
    assert.equal((await waitRun(c, t.id, r.id)).status, 'completed');
  });

  it('createAndRunPoll: a new thread with its messages, and the run on it', async () => {
    const c = srv().client();
    const r = await c.beta.threads.createAndRunPoll({
      assistant_id: asst.id, thread: { messages: [{ role: 'user', content: 'new thread here' }], metadata: { a: 'b' } },
      tool_resources: { code_interpreter: { file_ids: [] } }, metadata: { run: 'yes' },
    }, { pollIntervalMs: 50 });
    validate('RunObject', r);
    assert.equal(r.status, 'completed');
    assert.deepEqual(r.metadata, { run: 'yes' });
    assert.ok(!('tool_resources' in r), 'RunObject has no tool_resources');
    const t = await c.beta.threads.retrieve(r.thread_id);
    assert.deepEqual(t.metadata, { a: 'b' });
    const msgs = await c.beta.threads.messages.list(r.thread_id, { order: 'asc' });
    assert.deepEqual(msgs.data.map((m) => [m.role, text(m)]), [['user', 'new thread here'], ['assistant', 'You said: new thread here']]);
  });

  it('create-thread-and-run rejects a bad thread with the nested param', async () => {
    const c = srv().client();
    await expectApiError(c.beta.threads.createAndRun({
      assistant_id: asst.id,
      thread: { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'nope' } }] }] },
    }), 400, { param: 'thread.messages[0].content[0].image_url.url' });
    expectRawError(await srv().raw('POST', '/threads/runs', { json: { assistant_id: asst.id, additional_messages: [] } }), 400);
  });
});
