'use strict';
// The failover test: three nodes on one store behind nginx, 50 runs in flight (half streamed,
// half polled with the SDK's poll helper), one node killed with kill -9. It runs twice: on
// one SQLite data directory shared by the three processes, and on a throwaway PostgreSQL
// cluster (scripts/pg.sh; skipped when PostgreSQL is not installed). Every run reaches a
// terminal status (the dead node's are finished by the others once their leases lapse), no
// acknowledged message is lost, every thread ends with one whole reply, and the polling
// clients see their runs complete. The kill-to-resumed time is reported (not asserted: the
// machine's speed is not the test's business; bench/cases/failover.js measures it).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const OpenAI = require('openai');
const { startServer, REPO } = require('./lib/server');
const { startNginx } = require('./lib/nginx');
const { startFakeUpstream } = require('../fake_upstream/server');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const LEASE_MS = 1500;
const RUNS = 50;
const TEXT = 'one two three four five six seven eight nine ten eleven twelve';

// Milliseconds since the epoch of an assistd log line's timestamp.
const logTime = (line) => Date.parse(line.slice(0, 24));

// A streamed create-thread-and-run through the balancer: resolves once the first message
// delta arrived, with the run id and a promise of how the stream ended ('completed' or
// 'cut' when its node died under it).
async function streamed(baseURL, assistantId, content) {
  const res = await fetch(`${baseURL}/threads/runs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer test' },
    body: JSON.stringify({ assistant_id: assistantId, stream: true,
      thread: { messages: [{ role: 'user', content }] } }),
  });
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  let text = '';
  const read = async () => {
    try {
      const { value, done } = await reader.read();
      if (!done) text += Buffer.from(value).toString();
      return !done;
    } catch {
      return false;
    }
  };
  while (!/event: thread\.message\.delta/.test(text)) assert.ok(await read(), text.slice(-300));
  const run = JSON.parse(/event: thread\.run\.created\ndata: (.*)\n/.exec(text)[1]);
  const end = (async () => {
    while (await read());
    return /event: thread\.run\.completed/.test(text) ? 'completed' : 'cut';
  })();
  return { run, end };
}

// A throwaway PostgreSQL cluster: {url, stop()}.
function startPg() {
  const pgsh = path.join(REPO, 'scripts', 'pg.sh');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assistd-pg-'));
  execFileSync(pgsh, ['start', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  execFileSync(pgsh, ['createdb', dir, 'failover'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = execFileSync(pgsh, ['url', dir, 'failover'], { encoding: 'utf8' }).trim();
  return { url, stop: () => execFileSync(pgsh, ['stop', dir], { stdio: 'ignore' }) };
}

const havePg = fs.existsSync('/usr/lib/postgresql');

function suite(backend) {
  const skip = backend === 'postgresql' && !havePg && 'PostgreSQL is not installed';
  describe(`failover behind nginx (${backend})`, { skip }, () => {
    let up;
    let lb;
    let pg = null;
    const nodes = [];
    before(async () => {
      if (backend === 'postgresql') pg = startPg();
      up = await startFakeUpstream();
      up.script(Array.from({ length: RUNS * 3 }, () => ({ text: TEXT, delayMs: 250 })));
      for (const name of ['n1', 'n2', 'n3']) {
        nodes.push(await startServer({
          dataDir: nodes[0] && nodes[0].dataDir,
          args: ['--upstream-url', up.url, '--node-id', name, '--lease-ms', String(LEASE_MS),
            '--threads', '4', ...(pg ? ['--database-url', pg.url] : [])],
        }));
      }
      lb = await startNginx(nodes.map((n) => n.port));
    });
    after(async () => {
      if (lb) await lb.stop();
      for (const n of nodes.slice().reverse()) await n.stop();
      if (up) await up.close();
      if (pg) pg.stop();
    });

    it('kill -9 of one of three nodes with 50 runs in flight: every run completes', async (t) => {
      const client = new OpenAI({ baseURL: lb.baseURL, apiKey: 'test', maxRetries: 0, timeout: 60000 });
      const asst = await client.beta.assistants.create({ model: 'gpt-4o' });
      const streams = [];
      const polls = [];
      for (let i = 0; i < RUNS; i++) {
        const content = `message ${i}`;
        if (i % 2 === 0) {
          streams.push(streamed(lb.baseURL, asst.id, content).then((s) => ({ ...s, content })));
        } else {
          polls.push(client.beta.threads.createAndRun({ assistant_id: asst.id,
            thread: { messages: [{ role: 'user', content }] } }).then((run) => ({ run, content })));
        }
      }
      const started = [...await Promise.all(streams), ...await Promise.all(polls)];
      const victim = nodes[1];
      const before = victim.stderr.length;
      const killedAt = Date.now();
      await victim.kill9();
      assert.ok(before > 0);

      // The polling clients poll with the SDK's helper, through the balancer.
      const polled = started.filter((s) => !s.end).map((s) => client.beta.threads.runs.poll(s.run.id,
        { thread_id: s.run.thread_id }, { pollIntervalMs: 200 }));
      const ends = await Promise.all(started.filter((s) => s.end).map((s) => s.end));
      for (const run of await Promise.all(polled)) assert.equal(run.status, 'completed', JSON.stringify(run));
      const doneAt = Date.now();

      for (const s of started) {
        const run = await client.beta.threads.runs.poll(s.run.id, { thread_id: s.run.thread_id },
          { pollIntervalMs: 200 });
        assert.equal(run.status, 'completed', `${run.id}: ${JSON.stringify(run.last_error)}`);
        const msgs = await client.beta.threads.messages.list(s.run.thread_id, { order: 'asc' });
        assert.deepEqual(msgs.data.map((m) => m.role), ['user', 'assistant'], s.run.id);
        assert.equal(msgs.data[0].content[0].text.value, s.content);
        assert.equal(msgs.data[1].content[0].text.value, TEXT);
        assert.equal(msgs.data[1].status, 'completed');
      }

      // The runs the dead node held were taken over by the others.
      const taken = [];
      for (const n of [nodes[0], nodes[2]]) {
        for (const line of n.stderr.split('\n')) {
          const m = /run (run_\w+) taken over/.exec(line);
          if (m) taken.push({ id: m[1], at: logTime(line) });
        }
      }
      assert.ok(taken.length > 0, 'the killed node held no run');
      const ids = new Set(started.map((s) => s.run.id));
      for (const x of taken) assert.ok(ids.has(x.id), `${x.id} is not one of the test's runs`);
      assert.ok(ends.includes('cut'), 'no stream ran through the killed node');
      const last = Math.max(...taken.map((x) => x.at));
      t.diagnostic(`lease ${LEASE_MS} ms: ${taken.length} runs taken over; kill to last takeover ` +
        `${last - killedAt} ms, kill to all ${RUNS} runs completed ${doneAt - killedAt} ms`);
    });
  });
}

suite('sqlite');
suite('postgresql');
