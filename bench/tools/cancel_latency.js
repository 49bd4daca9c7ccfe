#!/usr/bin/env node
'use strict';
// cancel_latency.js - how long a cancel takes to stop a run in the middle of its stream.
//
//   node bench/tools/cancel_latency.js SERVER_PORT [RUNS] [MID_MS] [CANCEL_PORT]
//
// The fake upstream (bench/tools/fake.js, step {"endless": true}) streams tokens until the
// client goes away. For each of RUNS runs (a new thread each): create the run (not
// streamed), retrieve it every 5 ms until it is in_progress, let it stream MID_MS more,
// then time POST .../cancel and, when that answers "cancelling", a poll-helper retrieve
// (X-Stainless-Poll-Helper: true, as the SDK's poll sends; assistd holds it until the run
// changes) until the run reads "cancelled". With CANCEL_PORT (another node on the same store),
// the cancel and the polls after it go to that node, while the run is created and driven on
// SERVER_PORT's. Prints one JSON line (milliseconds).

const http = require('node:http');
const path = require('node:path');
const { post, stats, nowNs } = require(path.join(__dirname, 'sse.js'));

const srvPort = Number(process.argv[2]);
const RUNS = Number(process.argv[3] || 20);
const MID_MS = Number(process.argv[4] || 100);
const cancelPort = Number(process.argv[5] || srvPort);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const POLL = { 'x-stainless-poll-helper': 'true' };

async function heldGet(p) {
  return post(cancelPort, p, undefined, { method: 'GET', headers: POLL, agent });
}

async function once(asstId) {
  const thread = await post(srvPort, '/v1/threads', { messages: [{ role: 'user', content: 'go on forever' }] }, { agent });
  const run = await post(srvPort, `/v1/threads/${thread.id}/runs`, { assistant_id: asstId }, { agent });
  const p = `/v1/threads/${thread.id}/runs/${run.id}`;
  let r = run;
  for (let i = 0; r.status === 'queued' && i < 1000; i++) {
    await sleep(5);
    r = await post(srvPort, p, undefined, { method: 'GET', agent });
  }
  if (r.status !== 'in_progress') throw new Error(`run ${run.id} is ${r.status}, not in_progress`);
  await sleep(MID_MS);
  const t0 = nowNs();
  r = await post(cancelPort, `${p}/cancel`, {}, { agent });
  const postMs = Number(nowNs() - t0) / 1e6;
  let polls = 0;
  while (r.status === 'cancelling' && polls < 50) {
    r = await heldGet(p);
    polls++;
  }
  const ms = Number(nowNs() - t0) / 1e6;
  if (r.status !== 'cancelled') throw new Error(`run ${run.id} is ${r.status} after the cancel`);
  return { ms, postMs, polls };
}

async function main() {
  const asst = await post(srvPort, '/v1/assistants', { model: 'gpt-4o' }, { agent });
  await once(asst.id); // warm-up
  const all = [];
  for (let i = 0; i < RUNS; i++) all.push(await once(asst.id));
  const t = stats(all.map((x) => x.ms));
  const c = stats(all.map((x) => x.postMs));
  process.stdout.write(`${JSON.stringify({
    runs: RUNS, p50: t.p50, p99: t.p99, max: t.max, post_p50: c.p50, post_max: c.max,
    polls_max: Math.max(...all.map((x) => x.polls)),
  })}\n`);
  agent.destroy();
}

main().catch((e) => {
  process.stderr.write(`cancel_latency.js: ${e.stack}\n`);
  process.exit(1);
});
