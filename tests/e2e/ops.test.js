'use strict';
// Operating it: the probes (/healthz, /readyz, also while draining), /metrics in the
// Prometheus text format (parsed here by a small parser of our own; values move as requests
// and runs happen; a key is needed), and `assistd backup` taken while the server runs and
// writes, restored into a new server that has every object and the file bytes.

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');
const { toFile } = require('openai');
const { useServer } = require('./lib/harness');
const { startServer, BIN } = require('./lib/server');
const { PG, dbEnv } = require('./lib/pg');

const run = promisify(execFile);

// --- A parser for the text exposition format 0.0.4 ---
const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = `([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"`;
const SAMPLE_RE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?\\})? (\\S+)$`);

function parseLabels(text) {
  const out = {};
  const re = new RegExp(LABEL, 'g');
  for (let m; (m = re.exec(text || ''));) {
    assert.ok(!(m[1] in out), `label ${m[1]} repeated in {${text}}`);
    out[m[1]] = m[2];
  }
  return out;
}

// Returns { types: {family: type}, samples: [{name, labels, value}] }; throws on bad lines.
function parseMetrics(text) {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const types = {};
  const samples = [];
  for (const line of text.slice(0, -1).split('\n')) {
    let m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (m) {
      assert.match(m[2], new RegExp(`^${NAME}$`));
      if (m[1] === 'TYPE') {
        assert.ok(!(m[2] in types), `TYPE ${m[2]} given twice`);
        assert.match(m[3], /^(counter|gauge|histogram|summary|untyped)$/);
        types[m[2]] = m[3];
      }
      continue;
    }
    m = SAMPLE_RE.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    const value = Number(m[m.length - 1]);
    assert.ok(!Number.isNaN(value), `bad value in ${line}`);
    const family = m[1].replace(/_(bucket|sum|count)$/, '');
    assert.ok(types[m[1]] || types[family], `sample ${m[1]} before its TYPE line`);
    samples.push({ name: m[1], labels: parseLabels(m[2]), value });
  }
  return { types, samples };
}

// The value of the sample name whose labels include want (0 when absent).
function value(parsed, name, want = {}) {
  const s = parsed.samples.find((x) => x.name === name &&
    Object.entries(want).every(([k, v]) => x.labels[k] === v));
  return s ? s.value : 0;
}

// Every histogram: buckets rise, end with +Inf, and +Inf equals _count.
function checkHistograms(parsed) {
  for (const [family, type] of Object.entries(parsed.types)) {
    if (type !== 'histogram') continue;
    const series = new Map();
    for (const s of parsed.samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le, ...rest } = s.labels;
      const key = JSON.stringify(rest);
      if (!series.has(key)) series.set(key, []);
      series.get(key).push([le, s.value]);
    }
    for (const [key, buckets] of series) {
      for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i][1] >= buckets[i - 1][1], `${family}${key} buckets fall`);
      assert.equal(buckets[buckets.length - 1][0], '+Inf');
      assert.equal(buckets[buckets.length - 1][1], value(parsed, `${family}_count`, JSON.parse(key)));
    }
  }
}

describe('probes', () => {
  const { srv, it } = useServer({ keys: ['ops'] });

  it('GET /healthz answers 200 {"status":"ok"} without a key, HEAD too', async () => {
    const r = await srv().raw('GET', '//healthz', { apiKey: null });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { status: 'ok' });
    assert.match(r.headers['content-type'], /^application\/json/);
    const h = await srv().raw('HEAD', '//healthz', { apiKey: null });
    assert.equal(h.status, 200);
  });

  it('GET /readyz answers 200 {"status":"ready"} without a key while the store answers', async () => {
    const r = await srv().raw('GET', '//readyz', { apiKey: null });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { status: 'ready' });
  });

  it('the probes take no other method, and /v1 still needs a key', async () => {
    const r = await srv().raw('POST', '//healthz', { apiKey: null, json: {} });
    assert.equal(r.status, 405);
    const v = await srv().raw('GET', '/assistants', { apiKey: null });
    assert.equal(v.status, 401);
  });
});

describe('probes while draining', () => {
  // Slow enough that the run is still streaming when SIGTERM arrives on a loaded machine
  // (the reply is several words, one a second); the drain then waits for it.
  const { srv, it } = useServer({ args: ['--demo-delay-ms', '1000'] });

  it('/readyz answers 503 with the reason once SIGTERM starts the drain', async () => {
    const c = srv().client();
    const a = await c.beta.assistants.create({ model: 'gpt-4o' });
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'tell me a long story please' }] });
    await c.beta.threads.runs.create(t.id, { assistant_id: a.id });
    srv().proc.kill('SIGTERM'); // the drain waits for the run; requests are still served
    let r;
    for (let i = 0; i < 200; i++) {
      r = await srv().raw('GET', '//readyz', { apiKey: null }).catch(() => null);
      if (!r || r.status === 503) break;
      await new Promise((res) => setTimeout(res, 10));
    }
    assert.ok(r, 'the server answered while draining');
    assert.equal(r.status, 503);
    assert.equal(r.json.status, 'not_ready');
    assert.match(r.json.reason, /draining/);
    const h = await srv().raw('GET', '//healthz', { apiKey: null });
    assert.equal(h.status, 200, 'still alive while draining');
    await srv().stop();
  });
});

describe('metrics', () => {
  // The demo's words come 200 ms apart, so a stream is still open when the test scrapes,
  // however loaded the machine.
  const { srv, it } = useServer({ keys: ['ops'], args: ['--demo-delay-ms', '200'] });
  const scrape = async () => {
    // text/plain, which the JSON header check does not expect
    const r = await srv().raw('GET', '//metrics', { apiKey: srv().keys.ops, noHeaderCheck: true });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const parsed = parseMetrics(r.text);
    checkHistograms(parsed);
    return parsed;
  };

  it('needs a valid key', async () => {
    const r = await srv().raw('GET', '//metrics', { apiKey: null });
    assert.equal(r.status, 401);
    const bad = await srv().raw('GET', '//metrics', { apiKey: 'sk-wrong' });
    assert.equal(bad.status, 401);
  });

  it('parses, and requests count by route pattern and status with latency', async () => {
    const c = srv().client(srv().keys.ops);
    const a = await c.beta.assistants.create({ model: 'gpt-4o' });
    const route = { method: 'GET', route: '/v1/assistants/{assistant_id}' };
    const before = await scrape();
    await c.beta.assistants.retrieve(a.id);
    await c.beta.assistants.retrieve(a.id);
    await c.beta.assistants.retrieve('asst_missing').catch(() => {});
    const after = await scrape();
    assert.equal(value(after, 'assistd_http_requests_total', { ...route, status: '200' }) -
      value(before, 'assistd_http_requests_total', { ...route, status: '200' }), 2);
    assert.equal(value(after, 'assistd_http_requests_total', { ...route, status: '404' }) -
      value(before, 'assistd_http_requests_total', { ...route, status: '404' }), 1);
    assert.equal(value(after, 'assistd_http_request_seconds_count', route) -
      value(before, 'assistd_http_request_seconds_count', route), 3);
    assert.ok(value(after, 'assistd_http_request_seconds_sum', route) > 0);
    assert.equal(after.types.assistd_http_request_seconds, 'histogram');
    // the earlier scrape itself was counted
    assert.ok(value(after, 'assistd_http_requests_total', { route: '/metrics', status: '200' }) >= 1);
    // unknown paths count under one series, not per path
    await srv().raw('GET', '//nothing/here', { apiKey: srv().keys.ops });
    const last = await scrape();
    assert.equal(value(last, 'assistd_http_requests_total', { route: 'unmatched', status: '404' }), 1);
  });

  it('runs, upstream calls and tokens move as a run completes', async () => {
    const c = srv().client(srv().keys.ops);
    const before = await scrape();
    const a = await c.beta.assistants.create({ model: 'gpt-4o' });
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'hello metrics' }] });
    const r = await c.beta.threads.runs.createAndPoll(t.id, { assistant_id: a.id }, { pollIntervalMs: 20 });
    assert.equal(r.status, 'completed');
    const after = await scrape();
    const diff = (name, labels) => value(after, name, labels) - value(before, name, labels);
    assert.equal(diff('assistd_runs_total', { status: 'queued' }), 1);
    assert.equal(diff('assistd_runs_total', { status: 'in_progress' }), 1);
    assert.equal(diff('assistd_runs_total', { status: 'completed' }), 1);
    assert.equal(diff('assistd_runs_total', { status: 'failed' }), 0);
    assert.equal(diff('assistd_upstream_calls_total'), 1);
    assert.equal(diff('assistd_upstream_errors_total'), 0);
    assert.equal(diff('assistd_upstream_seconds_count'), 1);
    assert.equal(diff('assistd_tokens_in_total'), r.usage.prompt_tokens);
    assert.equal(diff('assistd_tokens_out_total'), r.usage.completion_tokens);
    assert.ok(r.usage.completion_tokens > 0);
    assert.equal(after.types.assistd_streams_active, 'gauge');
    assert.equal(value(after, 'assistd_streams_active'), 0);
  });

  it('an open stream shows in assistd_streams_active', async () => {
    const c = srv().client(srv().keys.ops);
    const a = await c.beta.assistants.create({ model: 'gpt-4o' });
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'stream please' }] });
    const stream = await c.beta.threads.runs.create(t.id, { assistant_id: a.id, stream: true });
    const iter = stream[Symbol.asyncIterator]();
    await iter.next(); // the stream is open: its first event arrived
    const during = await scrape();
    assert.ok(value(during, 'assistd_streams_active') >= 1);
    for (let e = await iter.next(); !e.done; e = await iter.next());
    let after;
    for (let i = 0; i < 100; i++) { // the close reaches the server a moment after the last byte
      after = await scrape();
      if (value(after, 'assistd_streams_active') === 0) break;
      await new Promise((res) => setTimeout(res, 10));
    }
    assert.equal(value(after, 'assistd_streams_active'), 0);
  });
});

describe('metrics of held polls, sandboxes and ingestion', () => {
  const { srv, it } = useServer({ keys: ['ops'], args: ['--demo-delay-ms', '0'] });
  const scrape = async () => {
    const r = await srv().raw('GET', '//metrics', { apiKey: srv().keys.ops, noHeaderCheck: true });
    assert.equal(r.status, 200);
    return parseMetrics(r.text);
  };
  const until = async (pred) => {
    let m;
    for (let i = 0; i < 300; i++) {
      m = await scrape();
      if (pred(m)) return m;
      await new Promise((res) => setTimeout(res, 10));
    }
    return m;
  };

  it('a held poll shows in assistd_polls_held while it waits', async () => {
    const c = srv().client(srv().keys.ops);
    const a = await c.beta.assistants.create({ model: 'gpt-4o' });
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'demo:slow one two three four five six' }] });
    const run = await c.beta.threads.runs.create(t.id, { assistant_id: a.id });
    const path = `/threads/${t.id}/runs/${run.id}`;
    const held = srv().raw('GET', path, { apiKey: srv().keys.ops, headers: { 'X-Stainless-Poll-Helper': 'true' } });
    const during = await until((m) => value(m, 'assistd_polls_held') >= 1);
    assert.equal(during.types.assistd_polls_held, 'gauge');
    assert.ok(value(during, 'assistd_polls_held') >= 1);
    assert.equal((await held).status, 200);
    const done = await c.beta.threads.runs.poll(run.id, { thread_id: t.id }, { pollIntervalMs: 20 });
    assert.equal(done.status, 'completed');
    assert.equal(value(await until((m) => value(m, 'assistd_polls_held') === 0), 'assistd_polls_held'), 0);
  });

  it("a thread's code_interpreter session shows in assistd_sandboxes_active until the thread goes", async () => {
    const c = srv().client(srv().keys.ops);
    const before = await scrape();
    assert.equal(before.types.assistd_sandboxes_active, 'gauge');
    assert.equal(before.types.assistd_sandboxes_pooled, 'gauge');
    const a = await c.beta.assistants.create({ model: 'gpt-4o', tools: [{ type: 'code_interpreter' }] });
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'python print(1)' }] });
    const run = await c.beta.threads.runs.createAndPoll(t.id, { assistant_id: a.id }, { pollIntervalMs: 20 });
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    const during = await scrape();
    assert.equal(value(during, 'assistd_sandboxes_active') - value(before, 'assistd_sandboxes_active'), 1);
    await c.beta.threads.delete(t.id);
    const after = await until((m) => value(m, 'assistd_sandboxes_active') === value(before, 'assistd_sandboxes_active'));
    assert.equal(value(after, 'assistd_sandboxes_active'), value(before, 'assistd_sandboxes_active'));
  });

  // Vector stores on PostgreSQL are helper pgvs's part (lib/pg.js).
  const itVs = PG ? it.skip : it;
  itVs('assistd_ingest_queue counts files waiting for ingestion, back to 0 once they are indexed', async () => {
    const c = srv().client(srv().keys.ops);
    const f = await c.files.create({ file: await toFile(Buffer.from('some words to index\n'.repeat(200)), 'a.txt'), purpose: 'assistants' });
    const vs = await c.vectorStores.create({ file_ids: [f.id] });
    const m = await scrape();
    assert.equal(m.types.assistd_ingest_queue, 'gauge');
    const done = await c.vectorStores.files.poll(vs.id, f.id, { pollIntervalMs: 20 });
    assert.equal(done.status, 'completed');
    assert.equal(value(await until((x) => value(x, 'assistd_ingest_queue') === 0), 'assistd_ingest_queue'), 0);
  });
});

describe('--files-dir: file bytes in a directory of their own (shared by nodes)', () => {
  const filesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'assistd-files-'));
  const { srv, it } = useServer({ args: ['--files-dir', filesDir] });

  it('uploads land in --files-dir, not in the data directory, and download from there', async () => {
    try {
      const c = srv().client();
      const bytes = Buffer.from('bytes kept where every node can read them');
      const f = await c.files.create({ file: await toFile(bytes, 'shared.txt'), purpose: 'assistants' });
      assert.deepEqual(fs.readdirSync(filesDir), [f.id]);
      assert.ok(!fs.existsSync(path.join(srv().dataDir, 'files')), 'no files/ in the data directory');
      const got = Buffer.from(await (await c.files.content(f.id)).arrayBuffer());
      assert.ok(got.equals(bytes));
    } finally {
      fs.rmSync(filesDir, { recursive: true, force: true });
    }
  });
});

describe('backup and restore', () => {
  const { srv, it } = useServer({ keys: ['ops'] });
  // `assistd backup` copies a SQLite store; on PostgreSQL it says to use pg_dump instead.
  const sqliteIt = PG ? it.skip : it;

  it('on PostgreSQL, backup makes nothing and names pg_dump and the files directory', { skip: !PG }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assistd-backup-'));
    try {
      await assert.rejects(run(BIN, ['backup', '--data', srv().dataDir, '--to', path.join(dir, 'x')],
        { env: { ...process.env, ...dbEnv(srv().dataDir) } }),
      (e) => e.code === 1 && /pg_dump/.test(e.stderr) && e.stderr.includes(`${srv().dataDir}/files`));
      assert.deepEqual(fs.readdirSync(dir), [], 'nothing was written');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  sqliteIt('a backup taken while writes go on restores every object and the file bytes', async () => {
    const key = srv().keys.ops;
    const c = srv().client(key);
    const a = await c.beta.assistants.create({ model: 'gpt-4o', name: 'kept' });
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'first' }] });
    const bytes = Buffer.from(Array.from({ length: 300000 }, (_, i) => i % 251));
    const f = await c.files.create({ file: await toFile(bytes, 'data.bin'), purpose: 'assistants' });
    const done = await c.beta.threads.runs.createAndPoll(t.id, { assistant_id: a.id }, { pollIntervalMs: 20 });
    assert.equal(done.status, 'completed');

    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await c.beta.threads.messages.create(t.id, { role: 'user', content: `more ${written}` });
        written++;
      }
    })();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assistd-backup-'));
    const dest = path.join(dir, 'copy');
    try {
      while (written < 3) await new Promise((res) => setTimeout(res, 5));
      const out = await run(BIN, ['backup', '--data', srv().dataDir, '--to', dest]);
      assert.match(out.stdout, /backed up/);
      writing = false;
      await writer;
      assert.ok(!fs.existsSync(`${dest}.partial`), 'no partial directory left');
      await assert.rejects(run(BIN, ['backup', '--data', srv().dataDir, '--to', dest]),
        (e) => /already exists/.test(e.stderr), 'a second backup does not overwrite the first');

      const restored = await startServer({ dataDir: dest });
      try {
        const r = restored.client(key);
        assert.equal((await r.beta.assistants.retrieve(a.id)).name, 'kept');
        const msgs = (await r.beta.threads.messages.list(t.id, { order: 'asc', limit: 100 })).data;
        assert.equal(msgs[0].content[0].text.value, 'first');
        assert.equal(msgs[1].role, 'assistant');
        assert.ok(msgs.length >= 2 + 3 && msgs.length <= 2 + written, `messages: ${msgs.length}`);
        msgs.slice(2).forEach((m, i) => assert.equal(m.content[0].text.value, `more ${i}`));
        assert.equal((await r.beta.threads.runs.retrieve(done.id, { thread_id: t.id })).status, 'completed');
        assert.equal((await r.files.retrieve(f.id)).bytes, bytes.length);
        const got = Buffer.from(await (await r.files.content(f.id)).arrayBuffer());
        assert.ok(got.equals(bytes), 'the file bytes are restored');
      } finally {
        await restored.stop();
      }
    } finally {
      writing = false;
      await writer;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses without --to, and a data directory with no store', async () => {
    await assert.rejects(run(BIN, ['backup', '--data', srv().dataDir]), (e) => e.code === 2 && /usage/.test(e.stderr));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assistd-backup-'));
    try {
      await assert.rejects(run(BIN, ['backup', '--data', path.join(dir, 'none'), '--to', path.join(dir, 'x')]),
        (e) => e.code === 1 && /no backup was made/.test(e.stderr));
      assert.deepEqual(fs.readdirSync(dir), [], 'nothing half-written is left');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
