#!/usr/bin/env node
'use strict';
// run_overhead.js - what a run costs on top of the model: the official SDK's createAndPoll
// wall time against an instant fake upstream, minus the upstream's own time.
//
//   node bench/tools/run_overhead.js SERVER_PORT UPSTREAM_PORT [RUNS] [WARMUP] [POLL_MS]
//
// Each run gets a new thread with one user message (created before the clock starts), then
// client.beta.threads.runs.createAndPoll(thread, {assistant_id}) is timed: with POLL_MS 0
// (the default) the SDK's default options, else {pollIntervalMs: POLL_MS}. The upstream's
// own time is the median of the same streamed chat completion (a system and a user message,
// stream_options.include_usage) sent straight to the fake over a kept-alive connection and
// read to [DONE]; those calls are interleaved with the runs so both see the same machine.
// Prints one JSON line: medians and p99 of both, the overhead, how many HTTP requests the
// SDK made per run, and the statuses its retrieves answered.

const http = require('node:http');
const path = require('node:path');

const ROOT = path.join(__dirname, '../..');
const OpenAI = require(path.join(ROOT, 'tests/e2e/node_modules/openai'));
const { stats } = require(path.join(__dirname, 'sse.js'));

const [srvPort, upPort] = process.argv.slice(2, 4).map(Number);
const RUNS = Number(process.argv[4] || 300);
const WARMUP = Number(process.argv[5] || 30);
const POLL_MS = Number(process.argv[6] || 0);

const now = () => Number(process.hrtime.bigint()) / 1e6;

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const UP_BODY = JSON.stringify({
  model: 'gpt-4o', stream: true, stream_options: { include_usage: true },
  messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'hello' }],
});

// One streamed chat completion straight to the fake, read to the end; resolves its ms.
function upstreamOnce() {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const req = http.request({
      host: '127.0.0.1', port: upPort, path: '/v1/chat/completions', method: 'POST', agent,
      headers: { 'content-type': 'application/json', authorization: 'Bearer x',
        'content-length': Buffer.byteLength(UP_BODY) },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        if (res.statusCode !== 200 || !body.includes('[DONE]')) {
          reject(new Error(`upstream: ${res.statusCode} ${body.slice(0, 200)}`));
        } else {
          resolve(now() - t0);
        }
      });
    });
    req.on('error', reject);
    req.end(UP_BODY);
  });
}

async function main() {
  let requests = 0;
  const retrieved = {}; // status -> how many of the SDK's retrieves answered it
  const countingFetch = async (url, init) => {
    requests++;
    const res = await fetch(url, init);
    if ((init?.method || 'GET') === 'GET' && /\/runs\/run_[^/]*$/.test(String(url))) {
      const { status } = await res.clone().json();
      retrieved[status] = (retrieved[status] || 0) + 1;
    }
    return res;
  };
  const client = new OpenAI({
    baseURL: `http://127.0.0.1:${srvPort}/v1`, apiKey: 'x', maxRetries: 0, fetch: countingFetch,
  });
  const asst = await client.beta.assistants.create({ model: 'gpt-4o', instructions: 'You are terse.' });
  const opts = POLL_MS > 0 ? { pollIntervalMs: POLL_MS } : undefined;
  const runMs = [];
  const upMs = [];
  const reqs = [];
  let bad = 0;
  let lastThread = null;
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'hello' }] });
    lastThread = thread.id;
    const n0 = requests;
    const t0 = now();
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: asst.id }, opts);
    const dt = now() - t0;
    const n = requests - n0;
    const u = await upstreamOnce();
    if (i < WARMUP) continue;
    if (run.status !== 'completed') bad++;
    runMs.push(dt);
    upMs.push(u);
    reqs.push(n);
  }
  // The reply must be the fake's: a run that never reached it would look fast.
  const msgs = await client.beta.threads.messages.list(lastThread, { order: 'desc', limit: 1 });
  const reply = msgs.data[0]?.content?.[0]?.text?.value;
  if (reply !== 'ok') throw new Error(`the last run's reply is ${JSON.stringify(reply)}, not "ok"`);
  const r = stats(runMs);
  const u = stats(upMs);
  const out = {
    runs: RUNS, warmup: WARMUP, not_completed: bad,
    poll: POLL_MS > 0 ? `pollIntervalMs ${POLL_MS}` : 'SDK defaults',
    run_p50: r.p50, run_p90: r.p90, run_p99: r.p99, run_max: r.max,
    up_p50: u.p50, up_p99: u.p99,
    overhead_p50: r.p50 - u.p50, overhead_p99: r.p99 - u.p50,
    requests_p50: stats(reqs).p50, requests_max: stats(reqs).max,
    // runs whose SDK made more than create + one retrieve: the retrieve came back not final
    // and the SDK slept its poll interval before the next
    stalled: reqs.filter((n) => n > 2).length,
    stalled_p50: stats(runMs.filter((_, i) => reqs[i] > 2)).p50 ?? null,
    retrieved, // warm-up included
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  agent.destroy();
}

main().catch((e) => {
  process.stderr.write(`run_overhead.js: ${e.stack}\n`);
  process.exit(1);
});
