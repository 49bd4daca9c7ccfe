'use strict';
// Runs against a scripted OpenAI-compatible upstream (tests/fake_upstream): what the model
// receives (instructions, truncation), limits (max_completion_tokens -> incomplete), upstream
// failures (500 -> failed, 429 + Retry-After -> retried), cancelling an endless stream, and a
// kill -9 in the middle of a run followed by a restart on the same data.

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { useUpstreamServer } = require('./lib/harness');
const http = require('node:http');
const { validate, validateEvent } = require('./lib/spec');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TERMINAL = ['completed', 'failed', 'cancelled', 'expired', 'incomplete', 'requires_action'];

async function waitRun(c, threadId, runId, pred = (r) => TERMINAL.includes(r.status), ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const run = await c.beta.threads.runs.retrieve(runId, { thread_id: threadId });
    if (pred(run) || Date.now() > end) return run;
    await sleep(50);
  }
}

// Waits until the fake upstream has received n requests.
async function waitRequests(up, n, ms = 10000) {
  const end = Date.now() + ms;
  while (up.requests.length < n && Date.now() < end) await sleep(20);
  assert.ok(up.requests.length >= n, `upstream got ${up.requests.length} requests, expected ${n}`);
}

// POSTs a streaming body to path (under /v1) and reads the event stream slowly: after the
// first bytes it stops reading for pauseMs, so the server's channel holds events for it.
// Returns [{event, data}], each validated against the spec.
function slowStream(srv, path, body, pauseMs = 400) {
  const url = new URL(`${srv.baseURL}${path}`);
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text),
        Authorization: 'Bearer test', 'OpenAI-Beta': 'assistants=v2' },
    }, (res) => {
      let raw = '';
      res.setEncoding('utf8');
      res.once('data', () => { res.pause(); setTimeout(() => res.resume(), pauseMs); });
      res.on('data', (d) => { raw += d; });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`${res.statusCode} ${raw}`));
        resolve(raw.split('\n\n').filter(Boolean).map((block) => {
          const [ev, data] = block.split('\n');
          const event = ev.slice('event: '.length);
          const d = event === 'done' ? data.slice(6) : JSON.parse(data.slice(6));
          validateEvent(event, d);
          return { event, data: d };
        }));
      });
    });
    req.on('error', reject);
    req.end(text);
  });
}

const userTexts = (req) => req.messages.filter((m) => m.role !== 'system').map((m) => m.content);

describe('runs against a fake upstream', () => {
  const { srv, it, up } = useUpstreamServer();
  let asst;

  it('setup: an assistant', async () => {
    asst = await srv().client().beta.assistants.create({ model: 'gpt-4o', instructions: 'Base.' });
  });

  it('the model gets the run\'s instructions and the thread; the reply is stored', async () => {
    const c = srv().client();
    up().script({ text: 'Hello from upstream' });
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'hi upstream' }] });
    const n = up().requests.length;
    const r = await c.beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id, additional_instructions: 'More.' }, { pollIntervalMs: 50 });
    assert.equal(r.status, 'completed', JSON.stringify(r.last_error));
    const req = up().requests[n];
    assert.equal(req.model, 'gpt-4o');
    assert.equal(req.messages[0].role, 'system');
    assert.match(JSON.stringify(req.messages[0].content), /Base\.\\n\\nMore\./);
    assert.deepEqual(userTexts(req), ['hi upstream']);
    const msgs = await c.beta.threads.messages.list(t.id, { run_id: r.id });
    assert.equal(msgs.data[0].content[0].text.value, 'Hello from upstream');
  });

  it('truncation_strategy last_messages: the upstream receives only the last N messages', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create({ messages: ['m1', 'm2', 'm3', 'm4', 'm5'].map((content) => ({ role: 'user', content })) });
    const n = up().requests.length;
    up().script({ text: 'short' });
    const r = await c.beta.threads.runs.createAndPoll(t.id, {
      assistant_id: asst.id, truncation_strategy: { type: 'last_messages', last_messages: 2 },
    }, { pollIntervalMs: 50 });
    assert.equal(r.status, 'completed', JSON.stringify(r.last_error));
    assert.deepEqual(r.truncation_strategy, { type: 'last_messages', last_messages: 2 });
    assert.deepEqual(userTexts(up().requests[n]), ['m4', 'm5']);
  });

  it('max_completion_tokens cut: the run ends incomplete with the reason', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'write a lot' }] });
    const n = up().requests.length;
    up().script({ text: 'a long answer that got cut', finishReason: 'length' });
    const r = await c.beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id, max_completion_tokens: 256 }, { pollIntervalMs: 50 });
    validate('RunObject', r);
    assert.equal(r.status, 'incomplete');
    assert.deepEqual(r.incomplete_details, { reason: 'max_completion_tokens' });
    assert.ok(up().requests[n].max_tokens <= 256 || up().requests[n].max_completion_tokens <= 256, JSON.stringify(up().requests[n]));
    const msgs = await c.beta.threads.messages.list(t.id, { run_id: r.id });
    assert.equal(msgs.data[0].status, 'incomplete');
  });

  it('upstream 500s: the run fails with last_error.code server_error', async () => {
    const c = srv().client();
    const err = { status: 500, headers: { 'retry-after-ms': '10' } };
    // the first try and the provider's 3 retries
    up().script([err, err, err, err]);
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'boom' }] });
    const r = await c.beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id }, { pollIntervalMs: 50 });
    validate('RunObject', r);
    assert.equal(r.status, 'failed');
    assert.equal(r.last_error.code, 'server_error');
    assert.ok(r.last_error.message.length > 0);
    assert.ok(Number.isInteger(r.failed_at));
    assert.equal(up().pending(), 0, 'every scripted 500 was used: the run failed after the retries');
  });

  it('429 with Retry-After, then success: the run completes after the wait', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'rate me' }] });
    const n = up().requests.length;
    up().script([{ status: 429, headers: { 'Retry-After': '1' } }, { text: 'after the wait' }]);
    const t0 = Date.now();
    const r = await c.beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id }, { pollIntervalMs: 50 });
    assert.equal(r.status, 'completed', JSON.stringify(r.last_error));
    assert.ok(Date.now() - t0 >= 900, `retried after ${Date.now() - t0} ms`);
    assert.equal(up().requests.length - n, 2);
    const msgs = await c.beta.threads.messages.list(t.id, { run_id: r.id });
    assert.equal(msgs.data[0].content[0].text.value, 'after the wait');
  });

  it('cancelling a run on an endless upstream stream ends it cancelled quickly', async () => {
    const c = srv().client();
    up().script({ endless: true, delayMs: 20 });
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'never stop' }] });
    const n = up().requests.length;
    const r = await c.beta.threads.runs.create(t.id, { assistant_id: asst.id });
    await waitRequests(up(), n + 1);
    await sleep(200);
    const t0 = Date.now();
    const x = await c.beta.threads.runs.cancel(r.id, { thread_id: t.id });
    assert.ok(['cancelling', 'cancelled'].includes(x.status));
    const end = await waitRun(c, t.id, r.id);
    assert.equal(end.status, 'cancelled');
    assert.ok(Date.now() - t0 < 3000, `cancel took ${Date.now() - t0} ms`);
    const msgs = await c.beta.threads.messages.list(t.id, { run_id: r.id });
    for (const m of msgs.data) assert.notEqual(m.status, 'in_progress');
  });

  it('kill -9 in the middle of a run: after a restart the run ends, never stuck', async () => {
    const c = srv().client();
    up().script({ endless: true, delayMs: 20 });
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'crash during this' }] });
    const n = up().requests.length;
    const r = await c.beta.threads.runs.create(t.id, { assistant_id: asst.id });
    await waitRequests(up(), n + 1);
    await sleep(300);
    assert.equal((await c.beta.threads.runs.retrieve(r.id, { thread_id: t.id })).status, 'in_progress');
    await srv().kill9();
    up().script({ text: 'after restart' });
    await srv().restart();
    const c2 = srv().client();
    const end = await waitRun(c2, t.id, r.id, (x) => !['queued', 'in_progress', 'cancelling'].includes(x.status));
    validate('RunObject', end);
    assert.ok(['completed', 'failed'].includes(end.status), `after restart: ${end.status}`);
    if (end.status === 'failed') assert.ok(end.last_error && end.last_error.message.length > 0);
    const msgs = await c2.beta.threads.messages.list(t.id, { run_id: r.id });
    for (const m of msgs.data) assert.notEqual(m.status, 'in_progress', 'no message left in progress');
    const steps = await c2.beta.threads.runs.steps.list(r.id, { thread_id: t.id });
    for (const s of steps.data) assert.notEqual(s.status, 'in_progress', 'no step left in progress');
    // and the thread takes new runs
    up().script({ text: 'fine' });
    const next = await c2.beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id, additional_messages: [{ role: 'user', content: 'again' }] }, { pollIntervalMs: 50 });
    assert.equal(next.status, 'completed');
  });

});

describe('slow stream readers (events merged while unread)', () => {
  const { srv, it, up } = useUpstreamServer();
  let asst;

  it('setup: an assistant', async () => {
    asst = await srv().client().beta.assistants.create({ model: 'gpt-4o' });
  });

  it('a slow stream reader gets every event in order, merged deltas carrying all the text', async () => {
    const c = srv().client();
    const text = 'Quotes " and \\ backslashes, caf\u00e9, a\nnew line. '.repeat(40);
    up().script({ text, chunks: text.length });
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'talk' }] });
    const ev = await slowStream(srv(), `/threads/${t.id}/runs`, { assistant_id: asst.id, stream: true });
    const names = ev.map((e) => e.event).filter((n, i, a) => n !== a[i - 1]);
    assert.deepEqual(names, ['thread.run.created', 'thread.run.queued', 'thread.run.in_progress',
      'thread.run.step.created', 'thread.run.step.in_progress', 'thread.message.created',
      'thread.message.in_progress', 'thread.message.delta', 'thread.message.completed',
      'thread.run.step.completed', 'thread.run.completed', 'done']);
    const deltas = ev.filter((e) => e.event === 'thread.message.delta');
    const done = ev.find((e) => e.event === 'thread.message.completed').data;
    for (const d of deltas) {
      assert.equal(d.data.id, done.id);
      assert.equal(d.data.delta.content.length, 1);
      assert.equal(d.data.delta.content[0].index, 0);
    }
    assert.equal(deltas.map((d) => d.data.delta.content[0].text.value).join(''), text);
    assert.equal(done.content[0].text.value, text);
  });

  it('a slow stream reader gets tool-call arguments whole', async () => {
    const c = srv().client();
    const args = { city: 'Paris "centre"', days: [1, 2, 3], note: 'x'.repeat(300) };
    up().script({ toolCalls: [{ name: 'get_weather', arguments: args }] });
    const a = await c.beta.assistants.create({ model: 'gpt-4o', tools: [{ type: 'function',
      function: { name: 'get_weather', parameters: { type: 'object' } } }] });
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'weather?' }] });
    const ev = await slowStream(srv(), `/threads/${t.id}/runs`, { assistant_id: a.id, stream: true });
    const step = ev.filter((e) => e.event === 'thread.run.step.delta')
      .map((e) => e.data.delta.step_details.tool_calls[0].function.arguments).join('');
    const run = ev.find((e) => e.event === 'thread.run.requires_action').data;
    const call = run.required_action.submit_tool_outputs.tool_calls[0];
    assert.deepEqual(JSON.parse(step), args);
    assert.equal(call.function.arguments, step);
    await c.beta.threads.runs.cancel(run.id, { thread_id: t.id });
  });
});
