'use strict';
// A run's life against a scripted upstream when its world changes under it: its thread or its
// assistant is deleted while the model works (the run stops at once, the model call is
// aborted, streams end with thread.run.cancelled and done, nothing of the run is left), and
// a poll helper's retrieve is never held past the timeout the client states.

const test = require('node:test');
const { describe } = test;
const assert = require('node:assert/strict');
const { useUpstreamServer, expectApiError } = require('./lib/harness');
const { validate, validateEvent } = require('./lib/spec');
const { plain } = require('./lib/util');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Waits until cond() holds, checking every 20 ms; fails after ms with what.
async function until(cond, what, ms = 10000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    assert.ok(Date.now() < end, `timed out waiting for ${what}`);
    await sleep(20);
  }
}

// promise, or a failure naming what never happened after ms (a stuck stream would otherwise
// hold the test until the runner's own timeout).
function within(promise, what, ms = 20000) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

// Starts a streamed run with the SDK's helper; returns the stream and the names of the events
// it has seen so far (each checked against the spec).
function streamRun(c, threadId, assistantId) {
  const events = [];
  const stream = c.beta.threads.runs.stream(threadId, { assistant_id: assistantId })
    .on('event', (e) => { validateEvent(e.event, plain(e.data)); events.push(e.event); });
  return { stream, events };
}

describe('deleting what a run works on', () => {
  const { srv, it, up } = useUpstreamServer();
  let asst;

  it('setup: an assistant', async () => {
    asst = await srv().client().beta.assistants.create({ model: 'gpt-4o' });
  });

  it('deleting the thread while the model has sent nothing: the run stops, the stream ends cancelled', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'wait for it' }] });
    const n = up().requests.length;
    const aborted = up().aborted();
    up().script({ hang: true });
    const { stream, events } = streamRun(c, t.id, asst.id);
    await until(() => up().requests.length > n, 'the model request');
    const del = await c.beta.threads.delete(t.id);
    assert.equal(del.deleted, true);
    const run = await within(stream.finalRun(), 'the end of the stream');
    validate('RunObject', plain(run));
    assert.equal(run.status, 'cancelled');
    assert.ok(Number.isInteger(run.cancelled_at));
    assert.equal(events[events.length - 1], 'thread.run.cancelled');
    assert.ok(!events.includes('thread.message.created'), events.join(' '));
    await until(() => up().aborted() > aborted, 'the model call to be aborted');
    await expectApiError(c.beta.threads.messages.list(t.id), 404, { type: 'invalid_request_error' });
    await expectApiError(c.beta.threads.runs.retrieve(run.id, { thread_id: t.id }), 404, {});
    await expectApiError(c.beta.threads.runs.steps.list(run.id, { thread_id: t.id }), 404, {});
  });

  it('deleting the thread mid-reply: the stream ends with done, the reply is never stored', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'talk forever' }] });
    const aborted = up().aborted();
    up().script({ endless: true, delayMs: 20 });
    const res = await fetch(`${srv().baseURL}/threads/${t.id}/runs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer test', 'OpenAI-Beta': 'assistants=v2' },
      body: JSON.stringify({ assistant_id: asst.id, stream: true }),
    });
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    let raw = '';
    while (!raw.includes('thread.message.delta')) {
      const { value, done } = await reader.read();
      assert.ok(!done, 'the stream ended before any text');
      raw += Buffer.from(value).toString('utf8');
    }
    const msgId = /"id":"(msg_[A-Za-z0-9]+)"/.exec(raw)[1];
    await c.beta.threads.delete(t.id);
    for (;;) {
      const { value, done } = await within(reader.read(), 'the end of the stream');
      if (done) break;
      raw += Buffer.from(value).toString('utf8');
    }
    assert.ok(raw.endsWith('event: done\ndata: [DONE]\n\n'), JSON.stringify(raw.slice(-200)));
    const names = raw.split('\n').filter((l) => l.startsWith('event: ')).map((l) => l.slice(7));
    assert.deepEqual(names.slice(-3), ['thread.run.step.cancelled', 'thread.run.cancelled', 'done']);
    assert.ok(names.includes('thread.message.incomplete'), names.join(' '));
    await until(() => up().aborted() > aborted, 'the model call to be aborted');
    await expectApiError(c.beta.threads.messages.retrieve(msgId, { thread_id: t.id }), 404, {});
    await expectApiError(c.beta.threads.messages.list(t.id), 404, {});
    await expectApiError(c.beta.threads.messages.update(msgId, { thread_id: t.id, metadata: { a: 'b' } }), 404, {});
  });

  it('deleting the assistant of a working run: the run ends cancelled and stays', async () => {
    const c = srv().client();
    const a = await c.beta.assistants.create({ model: 'gpt-4o' });
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'hold on' }] });
    const n = up().requests.length;
    const aborted = up().aborted();
    up().script({ hang: true });
    const r = await c.beta.threads.runs.create(t.id, { assistant_id: a.id });
    await until(() => up().requests.length > n, 'the model request');
    await c.beta.assistants.delete(a.id);
    await until(async () => (await c.beta.threads.runs.retrieve(r.id, { thread_id: t.id })).status === 'cancelled',
      'the run to end cancelled');
    await until(() => up().aborted() > aborted, 'the model call to be aborted');
    const run = await c.beta.threads.runs.retrieve(r.id, { thread_id: t.id });
    validate('RunObject', plain(run));
    assert.equal(run.assistant_id, a.id);
    // The thread is free for a run of another assistant.
    up().script({ text: 'fine' });
    const next = await c.beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id });
    assert.equal(next.status, 'completed');
  });

  it('deleting a thread with no run, or a finished one, is unaffected', async () => {
    const c = srv().client();
    up().script({ text: 'done' });
    const r = await c.beta.threads.createAndRunPoll({ assistant_id: asst.id, thread: { messages: [{ role: 'user', content: 'x' }] } });
    assert.equal(r.status, 'completed');
    assert.equal((await c.beta.threads.delete(r.thread_id)).deleted, true);
  });
});

describe('a held poll and the client\'s timeout', () => {
  const { srv, it, up } = useUpstreamServer();

  it('createAndPoll with a 2 s timeout and no retries succeeds on a run that takes about 4 s', async () => {
    const c = srv().client();
    const a = await c.beta.assistants.create({ model: 'gpt-4o' });
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'slowly' }] });
    up().script({ text: 'one two three', delayMs: 1000 });
    // No pollIntervalMs: the hold is the server's (--poll-hold-ms, 5 s by default).
    const r = await c.beta.threads.runs.createAndPoll(t.id, { assistant_id: a.id }, { timeout: 2000, maxRetries: 0 });
    assert.equal(r.status, 'completed', JSON.stringify(r.last_error));
    const msgs = await c.beta.threads.messages.list(t.id, { run_id: r.id });
    assert.equal(msgs.data[0].content[0].text.value, 'one two three');
  });

  it('openai-python\'s X-Stainless-Read-Timeout caps the hold too', async () => {
    // A client-level timeout: the Node SDK then sends no X-Stainless-Timeout of its own.
    const c = srv().client(undefined, { timeout: 2000 });
    const a = await c.beta.assistants.create({ model: 'gpt-4o' });
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'slowly' }] });
    up().script({ text: 'a b c', delayMs: 1000 });
    const r = await c.beta.threads.runs.create(t.id, { assistant_id: a.id });
    const headers = { 'X-Stainless-Poll-Helper': 'true', 'X-Stainless-Read-Timeout': '2.0' };
    for (;;) {
      const run = await c.beta.threads.runs.retrieve(r.id, { thread_id: t.id }, { headers });
      if (run.status === 'completed') break;
      assert.ok(['queued', 'in_progress'].includes(run.status), run.status);
    }
  });
});
