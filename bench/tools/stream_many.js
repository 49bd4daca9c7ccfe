#!/usr/bin/env node
'use strict';
// stream_many.js - many concurrent streaming runs: does every one finish with its full text,
// and what do they cost assistd in CPU and memory.
//
//   node bench/tools/stream_many.js SERVER_PORT SERVER_PID FAKE_PORT FAKE_PID [RUNS] [WORKERS]
//        [TOKENS] [--direct]
//
// The fake upstream (bench/tools/fake.js --stamp) answers each run with TOKENS words
// "k0:STAMP k1:STAMP ...", one chunk per word, at a fixed spacing (its --step delayMs).
// This process creates an assistant and RUNS threads, then forks WORKERS client processes;
// on a signal each starts its share of the runs at once (POST /v1/threads/{id}/runs with
// "stream": true, one connection per run) and reads every stream to [DONE]. A run counts as
// complete when its last run event is thread.run.completed, [DONE] came, and its deltas,
// stamps taken out, spell exactly "k0 k1 ... k{TOKENS-1}". The stamps also give each token's
// delay from the fake to the client, under load.
//
// The busy window runs from the signal to the last worker's end. Over it, this process
// reads utime + stime (/proc/PID/stat) of assistd and the fake, and each worker its own
// (process.cpuUsage), divided by the window's length: the share of one core each used. Also
// assistd's busiest thread (the engine's): its share of one core and the share of the
// window it was runnable but waiting for a CPU (/proc/PID/task/TID/schedstat). Peak RSS is
// assistd's VmHWM at the end; its open fds and threads are sampled every 100 ms. Prints one
// JSON line. Each token's delay is split in two: the first token's stamp says when the
// fake answered (start_p50: from the POST to the fake's first token, which includes the
// fake's own spacing before it), and each arrival minus its stamp is the delivery delay.
//
// With --direct, the same clients stream the same number of chat completions straight from
// the fake, with no assistd: the floor of the token delays and of the clients' and fake's CPU
// with this many streams on this machine.

const { fork } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { post, streamPost, stats, nowNs, cpuSeconds } = require(path.join(__dirname, 'sse.js'));

const STATUS_OF = (name) => (name.startsWith('thread.run.') && !name.startsWith('thread.run.step.')
  ? name.slice('thread.run.'.length) : null);

// --- a worker: runs its share of the streams ------------------------------------------------

// One stream through assistd, or with direct straight from the fake; fills into acc.
async function oneStream(port, direct, asst, tid, agent, expected, acc) {
  const t0 = nowNs();
  let text = '';
  let status = '';
  let first = 0n;
  let firstStamp = 0n;
  const onText = (v, t) => {
    if (!first) first = t;
    for (const m of v.matchAll(/:(\d+)/g)) {
      const stamp = BigInt(m[1]);
      if (!firstStamp) firstStamp = stamp;
      acc.lat.push(Number(t - stamp) / 1e6);
    }
    text += v;
  };
  const path = direct ? '/v1/chat/completions' : `/v1/threads/${tid}/runs`;
  const body = direct ? { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'stream please' }] }
    : { assistant_id: asst, stream: true };
  try {
    const r = await streamPost(port, path, body, {
      agent,
      onEvent(name, data, t) {
        if (direct) {
          if (data === '[DONE]') return;
          const ch = JSON.parse(data).choices?.[0];
          if (ch?.delta?.content) onText(ch.delta.content, t);
          if (ch?.finish_reason === 'stop') status = 'completed';
        } else if (name === 'thread.message.delta') {
          for (const c of JSON.parse(data).delta.content || []) onText(c.text?.value || '', t);
        } else {
          const s = STATUS_OF(name);
          if (s) status = s;
        }
      },
    });
    const got = text.replace(/:\d+/g, '');
    if (r.status === 200 && r.done && status === 'completed' && got === expected) {
      acc.complete++;
      acc.firstMs.push(Number(first - t0) / 1e6);
      acc.startMs.push(Number(firstStamp - t0) / 1e6);
      acc.runMs.push(Number(nowNs() - t0) / 1e6);
    } else {
      acc.failures.push(`${tid}: HTTP ${r.status}, [DONE] ${r.done}, status ${status}, ` +
        `${got.split(' ').filter(Boolean).length}/${expected.split(' ').length} words`);
    }
  } catch (e) {
    acc.failures.push(`${tid}: ${e.message}`);
  }
}

async function worker() {
  const direct = process.env.SM_DIRECT === '1';
  const port = Number(process.env.SM_PORT);
  const tokens = Number(process.env.SM_TOKENS);
  const expected = Array.from({ length: tokens }, (_, i) => `k${i}`).join(' ');
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const { asst, threads } = await new Promise((resolve) => process.once('message', resolve));
  process.send({ ready: true });
  await new Promise((resolve) => process.once('message', resolve));
  const cpu0 = process.cpuUsage();

  const acc = { complete: 0, failures: [], lat: [], firstMs: [], startMs: [], runMs: [] };
  await Promise.all(threads.map((tid) => oneStream(port, direct, asst, tid, agent, expected, acc)));
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  process.send({ ...acc, cpuS }, () => process.disconnect());
}

// --- the driver ------------------------------------------------------------------------------

function procStatus(pid) {
  const out = {};
  for (const line of fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const m = line.match(/^(VmHWM|VmRSS|Threads):\s+(\d+)/);
    if (m) out[m[1]] = Number(m[2]);
  }
  try {
    out.fds = fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    out.fds = -1;
  }
  return out;
}

// Per thread of pid: [comm, ns on a CPU, ns waiting on a run queue] (/proc/PID/task/TID/schedstat).
function threadTimes(pid) {
  const out = {};
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const [run, wait] = fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      out[tid] = [fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(), run, wait];
    } catch {
      // the thread ended
    }
  }
  return out;
}

async function driver() {
  const [port, srvPid, fakePort, fakePid] = process.argv.slice(2, 6).map(Number);
  const RUNS = Number(process.argv[6] || 1000);
  const WORKERS = Number(process.argv[7] || 2);
  const TOKENS = Number(process.argv[8] || 100);
  const direct = process.argv.includes('--direct');

  const asst = direct ? { id: null } : await post(port, '/v1/assistants', { model: 'gpt-4o' });
  const threads = direct ? Array.from({ length: RUNS }, (_, i) => `direct${i}`) : [];
  const setupAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  for (let i = 0; !direct && i < RUNS; i += 50) {
    const batch = Array.from({ length: Math.min(50, RUNS - i) }, () => post(port, '/v1/threads',
      { messages: [{ role: 'user', content: 'stream please' }] }, { agent: setupAgent }));
    for (const t of await Promise.all(batch)) threads.push(t.id);
  }
  setupAgent.destroy();

  const kids = [];
  for (let w = 0; w < WORKERS; w++) {
    const kid = fork(__filename, ['--worker'], {
      env: { ...process.env, SM_PORT: String(direct ? fakePort : port), SM_TOKENS: String(TOKENS),
        SM_DIRECT: direct ? '1' : '0' },
    });
    kids.push(kid);
    kid.send({ asst: asst.id, threads: threads.filter((_, i) => i % WORKERS === w) });
    await new Promise((resolve) => kid.once('message', resolve));
  }
  const before = procStatus(srvPid);
  const pids = { assistd: srvPid, fake: fakePid };
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuSeconds(p)]));
  const th0 = threadTimes(srvPid);
  const results = kids.map((k) => new Promise((resolve) => k.once('message', resolve)));
  const exits = kids.map((k) => new Promise((resolve) => k.once('exit', resolve)));
  let peakFds = 0;
  let peakThreads = 0;
  const sampler = setInterval(() => {
    const s = procStatus(srvPid);
    peakFds = Math.max(peakFds, s.fds);
    peakThreads = Math.max(peakThreads, s.Threads);
  }, 100);

  const t0 = nowNs();
  for (const k of kids) k.send({ go: true });
  const all = await Promise.all(results);
  const wall = Number(nowNs() - t0) / 1e9;
  const cpu1 = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuSeconds(p)]));
  const th1 = threadTimes(srvPid);
  // assistd's busiest thread over the window (the engine's, which drives every model call):
  // its share of one core, and the share of the window it was runnable but waiting for a CPU.
  let busiest = null;
  for (const [tid, [comm, run, wait]] of Object.entries(th1)) {
    const [, run0, wait0] = th0[tid] || [comm, 0, 0];
    const d = { tid, comm, cores: (run - run0) / 1e9 / wall, waiting: (wait - wait0) / 1e9 / wall };
    if (!busiest || d.cores > busiest.cores) busiest = d;
  }
  clearInterval(sampler);
  const after = procStatus(srvPid);
  await Promise.all(exits);

  const cores = Object.fromEntries(Object.keys(pids).map((k) => [k, (cpu1[k] - cpu0[k]) / wall]));
  const lat = stats(all.flatMap((r) => r.lat));
  const first = stats(all.flatMap((r) => r.firstMs));
  const start = stats(all.flatMap((r) => r.startMs));
  const run = stats(all.flatMap((r) => r.runMs));
  const failures = all.flatMap((r) => r.failures);
  process.stdout.write(`${JSON.stringify({
    runs: RUNS, workers: WORKERS, direct, tokens: TOKENS, complete: all.reduce((n, r) => n + r.complete, 0),
    failures: failures.length, failure_examples: failures.slice(0, 5), wall_s: wall,
    assistd_cores: cores.assistd, fake_cores: cores.fake,
    engine_cores: busiest && !direct ? busiest.cores : null,
    engine_waiting: busiest && !direct ? busiest.waiting : null,
    client_cores: all.reduce((n, r) => n + r.cpuS, 0) / wall,
    rss_before_kb: before.VmRSS, hwm_kb: after.VmHWM, rss_after_kb: after.VmRSS,
    peak_fds: peakFds, peak_threads: peakThreads,
    token_p50: lat.p50, token_p99: lat.p99, token_max: lat.max,
    first_p50: first.p50, first_p99: first.p99, start_p50: start.p50, start_p99: start.p99, run_p50: run.p50, run_max: run.max,
  })}\n`);
}

(process.argv.includes('--worker') ? worker() : driver()).catch((e) => {
  process.stderr.write(`stream_many.js: ${e.stack}\n`);
  process.exit(1);
});
