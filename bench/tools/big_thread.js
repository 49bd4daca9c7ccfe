#!/usr/bin/env node
'use strict';
// big_thread.js - does a run on a very long thread slow down everybody else's runs?
//
//   node bench/tools/big_thread.js SERVER_PORT SERVER_PID KEY_BIG KEY_SMALL [MESSAGES] [ROUNDS]
//
// Project "big" (KEY_BIG) gets a thread of MESSAGES user messages of about 1 kB each, posted
// 32 at a time. Project "small" (KEY_SMALL) gets an assistant. Then:
//  - alone: ROUNDS small runs, one after the other, each a streamed run (POST .../runs with
//    "stream": true on a new one-message thread), timed from the request to data: [DONE];
//  - loaded: ROUNDS times, a run starts on the big thread (not streamed) and at once a small
//    run is timed the same way; then the big run is awaited (retrieved every 20 ms until it
//    ends), so each small run overlaps the start of one big run.
// VmRSS of SERVER_PID is sampled every 10 ms through the loaded phase. Prints one JSON line
// (milliseconds and kB).

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { post, streamPost, stats } = require(path.join(__dirname, 'sse.js'));

const [srvPort, srvPid] = process.argv.slice(2, 4).map(Number);
const [KEY_BIG, KEY_SMALL] = process.argv.slice(4, 6);
const MESSAGES = Number(process.argv[6] || 20000);
const ROUNDS = Number(process.argv[7] || 10);
const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'expired', 'incomplete']);

const now = () => Number(process.hrtime.bigint()) / 1e6;
const auth = (key) => ({ authorization: `Bearer ${key}` });
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const call = (key, p, body, method) => post(srvPort, p, body, { headers: auth(key), agent, method });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rssKb() {
  const m = fs.readFileSync(`/proc/${srvPid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)/m);
  return Number(m[1]);
}

async function fill(threadId) {
  const text = 'lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(18);
  let next = 0;
  const worker = async () => {
    while (next < MESSAGES) {
      const i = next++;
      await call(KEY_BIG, `/v1/threads/${threadId}/messages`,
        { role: 'user', content: `message ${i}: ${text}` });
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
}

// One small streamed run; resolves its wall time.
async function smallRun(asstId) {
  const thread = await call(KEY_SMALL, '/v1/threads', { messages: [{ role: 'user', content: 'hi' }] });
  const t0 = now();
  let status = '';
  const r = await streamPost(srvPort, `/v1/threads/${thread.id}/runs`,
    { assistant_id: asstId, stream: true }, {
      agent, headers: auth(KEY_SMALL),
      onEvent(name) {
        if (name.startsWith('thread.run.') && !name.startsWith('thread.run.step')) status = name.slice(11);
      },
    });
  const ms = now() - t0;
  if (r.status !== 200 || !r.done || status !== 'completed') {
    throw new Error(`small run: HTTP ${r.status}, [DONE] ${r.done}, last status ${status}`);
  }
  return ms;
}

async function bigRunDone(threadId, runId) {
  for (;;) {
    const run = await call(KEY_BIG, `/v1/threads/${threadId}/runs/${runId}`, undefined, 'GET');
    if (TERMINAL.has(run.status)) return run;
    await sleep(20);
  }
}

async function main() {
  const t0 = now();
  const bigAsst = await call(KEY_BIG, '/v1/assistants', { model: 'gpt-4o' });
  const smallAsst = await call(KEY_SMALL, '/v1/assistants', { model: 'gpt-4o' });
  const big = await call(KEY_BIG, '/v1/threads', {});
  await fill(big.id);
  const fillMs = now() - t0;
  for (let i = 0; i < 5; i++) await smallRun(smallAsst.id); // warm-up
  const rssStart = rssKb();
  const alone = [];
  for (let i = 0; i < ROUNDS; i++) alone.push(await smallRun(smallAsst.id));
  let rssPeak = rssKb();
  const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, rssKb()); }, 10);
  const loaded = [];
  const bigMs = [];
  const bigStatus = {};
  for (let i = 0; i < ROUNDS; i++) {
    const b0 = now();
    const run = await call(KEY_BIG, `/v1/threads/${big.id}/runs`, { assistant_id: bigAsst.id });
    loaded.push(await smallRun(smallAsst.id));
    const end = await bigRunDone(big.id, run.id);
    bigMs.push(now() - b0);
    bigStatus[end.status] = (bigStatus[end.status] || 0) + 1;
  }
  clearInterval(sampler);
  const a = stats(alone);
  const l = stats(loaded);
  console.log(JSON.stringify({
    messages: MESSAGES, rounds: ROUNDS, fill_s: fillMs / 1000,
    alone_p50: a.p50, alone_max: a.max, loaded_p50: l.p50, loaded_max: l.max,
    delta_p50: l.p50 - a.p50, delta_max: l.max - a.p50, big_run_p50: stats(bigMs).p50,
    big_status: bigStatus, rss_start_kb: rssStart, rss_peak_kb: rssPeak, rss_end_kb: rssKb(),
  }));
  agent.destroy();
}

main().catch((e) => { console.error(e); process.exit(1); });
