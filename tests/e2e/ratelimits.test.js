'use strict';
// Rate limits and token budgets per API key and per project (`assistd limits`, src/limits):
// the x-ratelimit-* headers on every reply of a limited caller, 429 with retry-after that the
// SDK's automatic retries honour, a spent budget that refuses runs (insufficient_quota) and
// fails a run's next turn, and two processes on one data directory sharing the counts.
//
// Windows are fixed and aligned to the epoch (the server's wall clock, this machine's), so a
// test that counts first waits for a window with enough time left in it.

const { describe, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const OpenAI = require('openai');
const { useServer, expectApiError, expectRawError } = require('./lib/harness');
const { startServer, createKey, BIN } = require('./lib/server');
const { validate } = require('./lib/spec');
const { dbEnv } = require('./lib/pg');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const SYNC = 50; // --limit-sync-ms

// The CLI on dataDir's store (its PostgreSQL database in the PostgreSQL pass).
const cli = (dataDir, args) => execFileSync(BIN, [...args, '--data', dataDir],
  { encoding: 'utf8', env: { ...process.env, ...dbEnv(dataDir) } });
const limitsCli = (dataDir, ...args) => cli(dataDir, ['limits', ...args]);

function keyIds(dataDir) {
  const out = cli(dataDir, ['keys', 'list']);
  const ids = {};
  for (const line of out.split('\n').slice(1)) {
    const [id, project] = line.trim().split(/\s+/);
    if (id && id.startsWith('key_')) (ids[project] ||= []).push(id);
  }
  return ids;
}

// A data directory with keys and limits in place before the server starts.
function prepare(projects, limits) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assistd-e2e-limits-'));
  const keys = {};
  for (const p of projects) keys[p] = createKey(dir, p);
  const ids = keyIds(dir);
  for (const l of limits(ids)) limitsCli(dir, 'set', ...l);
  return { dir, keys, ids };
}

// Waits until the current window of w ms has at least need ms left.
async function freshWindow(w, need) {
  const left = w - (Date.now() % w);
  if (left < need) await sleep(left + 30);
}

const hdr = (r, name) => r.headers[name];

describe('rate limits per key and per project', () => {
  const W = 20000;
  const d = prepare(['alpha', 'beta', 'gamma', 'runner', 'delta'], (ids) => [
    ['--key', ids.alpha[0], '--requests', '3'],
    ['--key', ids.delta[0], '--requests', '3'],
    ['--project', 'gamma', '--requests', '4'],
    ['--project', 'runner', '--runs', '1'],
  ]);
  const gamma2 = createKey(d.dir, 'gamma');
  const { srv, it } = useServer({ dataDir: d.dir, args: ['--limit-window-ms', String(W), '--limit-sync-ms', String(SYNC)] });
  after(() => fs.rmSync(d.dir, { recursive: true, force: true }));

  it('a limited key: every reply carries the headers; past the limit 429 rate_limit_exceeded with retry-after', async () => {
    await freshWindow(W, 8000);
    const seen = [];
    for (let i = 0; i < 3; i++) {
      const r = await srv().raw('GET', '/assistants', { apiKey: d.keys.alpha });
      assert.equal(r.status, 200, r.text);
      assert.equal(hdr(r, 'x-ratelimit-limit-requests'), '3');
      assert.match(hdr(r, 'x-ratelimit-reset-requests'), /^(\d+ms|\d+(\.\d+)?s)$/);
      seen.push(hdr(r, 'x-ratelimit-remaining-requests'));
    }
    assert.deepEqual(seen, ['2', '1', '0']);
    const r = await srv().raw('POST', '/assistants', { apiKey: d.keys.alpha, json: { model: 'gpt-4o' } });
    expectRawError(r, 429);
    assert.equal(r.json.error.type, 'requests');
    assert.equal(r.json.error.code, 'rate_limit_exceeded');
    assert.match(r.json.error.message, /Rate limit reached for requests per 20s of API key 'key_/);
    assert.equal(hdr(r, 'x-ratelimit-remaining-requests'), '0');
    const ms = Number(hdr(r, 'retry-after-ms'));
    assert.ok(ms > 0 && ms <= W, `retry-after-ms ${ms}`);
    assert.equal(Number(hdr(r, 'retry-after')), Math.ceil(ms / 1000));
    // the refused POST wrote nothing: beta (no limits) has no headers and alpha's list is empty
    const b = await srv().raw('GET', '/assistants', { apiKey: d.keys.beta });
    assert.equal(b.status, 200);
    assert.equal(hdr(b, 'x-ratelimit-limit-requests'), undefined, 'an unlimited key gets no x-ratelimit headers');
  });

  it('the SDK (maxRetries 0) surfaces the 429 as a RateLimitError with the headers', async () => {
    await freshWindow(W, 8000);
    const c = srv().client(d.keys.delta);
    for (let i = 0; i < 3; i++) {
      const page = await c.beta.assistants.list();
      assert.ok(Array.isArray(page.data));
    }
    const e = await expectApiError(c.beta.assistants.list(), 429, { code: 'rate_limit_exceeded' });
    assert.ok(e instanceof OpenAI.RateLimitError);
    assert.ok(Number(e.headers.get('retry-after-ms')) > 0);
  });

  it("a project's limit is shared by its keys", async () => {
    await freshWindow(W, 8000);
    const keys = [d.keys.gamma, gamma2, d.keys.gamma, gamma2];
    const left = [];
    for (const k of keys) {
      const r = await srv().raw('GET', '/threads/thread_none', { apiKey: k });
      expectRawError(r, 404); // the handler ran: the request counted
      left.push(hdr(r, 'x-ratelimit-remaining-requests'));
    }
    assert.deepEqual(left, ['3', '2', '1', '0']);
    const r = await srv().raw('GET', '/assistants', { apiKey: gamma2 });
    expectRawError(r, 429);
    assert.match(r.json.error.message, /of project 'gamma'/);
  });

  it('runs per minute: a second run is refused, other requests go on', async () => {
    await freshWindow(W, 8000);
    const c = srv().client(d.keys.runner);
    const asst = await c.beta.assistants.create({ model: 'gpt-4o' });
    const t1 = await c.beta.threads.create();
    const run = await c.beta.threads.runs.create(t1.id, { assistant_id: asst.id });
    validate('RunObject', run);
    const t2 = await c.beta.threads.create();
    const e = await expectApiError(c.beta.threads.runs.create(t2.id, { assistant_id: asst.id }), 429, { code: 'rate_limit_exceeded' });
    assert.match(e.error.message, /runs created per 20s of project 'runner'/);
    const e2 = await expectApiError(c.beta.threads.createAndRun({ assistant_id: asst.id }), 429);
    assert.equal(e2.headers.get('x-ratelimit-remaining-runs'), '0');
    const runs = await c.beta.threads.runs.list(t2.id);
    assert.equal(runs.data.length, 0, 'the refused run was not created');
    const again = await c.beta.threads.retrieve(t1.id);
    assert.equal(again.id, t1.id);
  });

  it('a limit set with the CLI reaches the running server', async () => {
    const ids = keyIds(d.dir);
    limitsCli(d.dir, 'set', '--key', ids.beta[0], '--tokens', '5000', '--period', 'day');
    const deadline = Date.now() + 10000;
    let r;
    do {
      await sleep(SYNC);
      r = await srv().raw('GET', '/assistants', { apiKey: d.keys.beta });
    } while (!hdr(r, 'x-ratelimit-limit-tokens') && Date.now() < deadline);
    assert.equal(hdr(r, 'x-ratelimit-limit-tokens'), '5000');
    assert.equal(hdr(r, 'x-ratelimit-remaining-tokens'), '5000');
    assert.equal(hdr(r, 'x-ratelimit-limit-requests'), undefined);
    assert.match(limitsCli(d.dir, 'list'), /key\s+key_\S+\s+0\s+0\s+5000 day/);
    limitsCli(d.dir, 'remove', '--key', ids.beta[0]);
  });
});

describe('the SDK retries a rate-limited request after retry-after', () => {
  const W = 1500;
  const d = prepare(['solo'], (ids) => [['--key', ids.solo[0], '--requests', '1']]);
  const { srv, it } = useServer({ dataDir: d.dir, args: ['--limit-window-ms', String(W), '--limit-sync-ms', String(SYNC)] });
  after(() => fs.rmSync(d.dir, { recursive: true, force: true }));

  it('maxRetries 2: the 429 is retried once its window has passed, and succeeds', async () => {
    const calls = [];
    const c = new OpenAI({
      baseURL: srv().baseURL, apiKey: d.keys.solo, maxRetries: 2,
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        calls.push({ at: Date.now(), status: res.status, retryMs: Number(res.headers.get('retry-after-ms')) });
        return res;
      },
    });
    await freshWindow(W, 1000);
    await c.beta.assistants.list();
    const page = await c.beta.assistants.list();
    assert.ok(Array.isArray(page.data));
    assert.deepEqual(calls.map((x) => x.status), [200, 429, 200]);
    const [, refused, retried] = calls;
    assert.ok(refused.retryMs > 0 && refused.retryMs <= W);
    assert.ok(retried.at >= refused.at + refused.retryMs - 5, 'the SDK waited retry-after-ms before retrying');
  });
});

describe('token budgets', () => {
  const d = prepare(['thrifty', 'other'], (ids) => [
    ['--project', 'thrifty', '--tokens', '5', '--period', 'day'],
    ['--key', ids.other[0], '--tokens', '1000000', '--requests', '1000'],
  ]);
  const { srv, it } = useServer({ dataDir: d.dir, args: ['--limit-sync-ms', String(SYNC)] });
  after(() => fs.rmSync(d.dir, { recursive: true, force: true }));
  const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }];

  it("a spent budget fails the run's next turn with rate_limit_exceeded, then refuses new runs (insufficient_quota, not retried)", async () => {
    const c = srv().client(d.keys.thrifty);
    const asst = await c.beta.assistants.create({ model: 'gpt-4o', tools });
    const thread = await c.beta.threads.create({ messages: [{ role: 'user', content: 'call lookup' }] });
    const first = await c.beta.threads.runs.createAndPoll(thread.id, { assistant_id: asst.id }, { pollIntervalMs: 50 });
    assert.equal(first.status, 'requires_action', JSON.stringify(first.last_error));
    const callId = first.required_action.submit_tool_outputs.tool_calls[0].id;
    const done = await c.beta.threads.runs.submitToolOutputsAndPoll(first.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: callId, output: 'ok' }] }, { pollIntervalMs: 50 });
    validate('RunObject', done);
    assert.equal(done.status, 'failed');
    assert.equal(done.last_error.code, 'rate_limit_exceeded');
    assert.match(done.last_error.message, /token budget of project 'thrifty' \(5 tokens per day\) is spent/);

    const calls = [];
    const retrying = new OpenAI({
      baseURL: srv().baseURL, apiKey: d.keys.thrifty, maxRetries: 2,
      fetch: async (url, init) => { const res = await fetch(url, init); calls.push(res.status); return res; },
    });
    const e = await expectApiError(retrying.beta.threads.runs.create(thread.id, { assistant_id: asst.id }), 429, { code: 'insufficient_quota' });
    assert.equal(e.error.type, 'insufficient_quota');
    assert.equal(e.headers.get('x-should-retry'), 'false');
    assert.equal(e.headers.get('x-ratelimit-remaining-tokens'), '0');
    assert.deepEqual(calls, [429], 'the SDK does not retry a spent budget');
    // everything else still works for the project
    const list = await c.beta.threads.runs.list(thread.id);
    assert.equal(list.data.length, 1);
    const m = await srv().raw('GET', '//metrics', { apiKey: d.keys.other, noHeaderCheck: true });
    assert.equal(m.status, 200);
    assert.match(m.text, /^assistd_rate_limited_total\{limit="tokens"\} 1$/m);
    assert.match(m.text, /^assistd_http_requests_total\{method="POST",route="\/v1\/threads\/\{thread_id\}\/runs",status="429"\} 1$/m);
  });

  it("a key's budget counts its runs' tokens: the headers show what is left", async () => {
    const c = srv().client(d.keys.other);
    const run = await c.beta.threads.createAndRunPoll({ assistant_id: (await c.beta.assistants.create({ model: 'gpt-4o' })).id, thread: { messages: [{ role: 'user', content: 'hello there' }] } }, { pollIntervalMs: 50 });
    assert.equal(run.status, 'completed');
    const r = await srv().raw('GET', '/assistants', { apiKey: d.keys.other });
    assert.equal(hdr(r, 'x-ratelimit-limit-tokens'), '1000000');
    assert.equal(Number(hdr(r, 'x-ratelimit-remaining-tokens')), 1000000 - run.usage.total_tokens);
    assert.match(hdr(r, 'x-ratelimit-reset-tokens'), /^\d+h\d+m[\d.]+s$|^\d+m[\d.]+s$|^[\d.]+s$/);
  });
});

describe("a run another node takes over keeps its key's budget", () => {
  const d = prepare(['keyed'], (ids) => [['--key', ids.keyed[0], '--tokens', '5', '--period', 'day']]);
  const args = ['--limit-sync-ms', String(SYNC)];
  const { srv, it } = useServer({ dataDir: d.dir, args });
  let second = null;
  after(async () => {
    if (second) await second.stop();
    fs.rmSync(d.dir, { recursive: true, force: true });
  });
  const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }];

  it("tool outputs sent to node B: B's turn counts against the key that created the run, whose budget A's turn spent", async () => {
    second = await startServer({ dataDir: d.dir, args });
    const a = srv().client(d.keys.keyed);
    const asst = await a.beta.assistants.create({ model: 'gpt-4o', tools });
    const thread = await a.beta.threads.create({ messages: [{ role: 'user', content: 'call lookup' }] });
    const first = await a.beta.threads.runs.createAndPoll(thread.id, { assistant_id: asst.id }, { pollIntervalMs: 50 });
    assert.equal(first.status, 'requires_action', JSON.stringify(first.last_error));
    await sleep(SYNC * 6); // A's count of the key's tokens reaches the store, B reads it back
    const callId = first.required_action.submit_tool_outputs.tool_calls[0].id;
    const b = second.client(d.keys.keyed);
    const done = await b.beta.threads.runs.submitToolOutputsAndPoll(first.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: callId, output: 'ok' }] }, { pollIntervalMs: 50 });
    validate('RunObject', done);
    assert.equal(done.status, 'failed', 'B knows the run is the key\'s, whose budget is spent');
    assert.equal(done.last_error.code, 'rate_limit_exceeded');
    assert.match(done.last_error.message, new RegExp(`token budget of API key '${d.ids.keyed[0]}' \\(5 tokens per day\\) is spent`));
    const shown = await b.beta.threads.runs.retrieve(first.id, { thread_id: thread.id });
    assert.ok(!JSON.stringify(shown).includes('run_key'), 'the key stays private');
  });
});

describe('two nodes on one data directory share the counts', () => {
  const W = 20000;
  const d = prepare(['shared'], (ids) => [['--key', ids.shared[0], '--requests', '4']]);
  const args = ['--limit-window-ms', String(W), '--limit-sync-ms', String(SYNC)];
  const { srv, it } = useServer({ dataDir: d.dir, args });
  let second = null;
  after(async () => {
    if (second) await second.stop();
    fs.rmSync(d.dir, { recursive: true, force: true });
  });

  it("a node sees the other's requests after a sync, and refuses past the shared limit", async () => {
    second = await startServer({ dataDir: d.dir, args });
    await freshWindow(W, 10000);
    const get = (s) => s.raw('GET', '/assistants', { apiKey: d.keys.shared });
    const left = [];
    for (const s of [srv(), srv()]) left.push(hdr(await get(s), 'x-ratelimit-remaining-requests'));
    await sleep(SYNC * 6); // A's counts reach the store, B reads them back
    for (const s of [second, second]) left.push(hdr(await get(s), 'x-ratelimit-remaining-requests'));
    assert.deepEqual(left, ['3', '2', '1', '0']);
    await sleep(SYNC * 6);
    const r = await get(srv());
    expectRawError(r, 429);
    const r2 = await get(second);
    expectRawError(r2, 429);
    const m = await srv().raw('GET', '//metrics', { apiKey: d.keys.shared, noHeaderCheck: true });
    assert.equal(m.status, 429, '/metrics counts as a request of the key too');
  });
});
