#!/usr/bin/env node
'use strict';
// stream_nodes.js - benchmark 3 of issue 10: a run's events on the node that drives it and on
// another node, in the same runs.
//
//   node bench/tools/stream_nodes.js SERVER_PORT FOLLOW_BENCH DATA_DIR [RUNS] [TOKENS]
//
// SERVER_PORT is the driving node (assistd on DATA_DIR, its upstream the fake of
// tools/fake.js --stamp). FOLLOW_BENCH (bench/out/follow_bench) is started once as the other
// node on DATA_DIR. Each of RUNS streaming runs (one after the other, a new thread each) is
// read here as a local stream, taking arrival - stamp per token as stream_latency.js does;
// its id goes to the other node as soon as thread.run.created arrives, which streams it from
// the event log and takes the same measure. Prints one JSON line (milliseconds): the other
// node's percentiles, and the local stream's as the same-run baseline.

const path = require('node:path');
const readline = require('node:readline');
const { spawn } = require('node:child_process');
const { post, streamPost, stats, stampLatencies } = require(path.join(__dirname, 'sse.js'));

const [srvPort, followBin, dataDir] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
const RUNS = Number(process.argv[5] || 20);
const TOKENS = Number(process.argv[6] || 50);

// The other node: lines it prints come to waiters in order.
function startFollower() {
  const child = spawn(followBin, [dataDir, 'default'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  const waiters = [];
  readline.createInterface({ input: child.stdout }).on('line', (l) => {
    if (waiters.length) waiters.shift()(l);
    else lines.push(l);
  });
  const next = () => new Promise((resolve) => {
    if (lines.length) resolve(lines.shift());
    else waiters.push(resolve);
  });
  const done = new Promise((resolve, reject) => {
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`follow_bench exited ${code}`))));
  });
  return { child, next, done };
}

async function oneRun(asstId, follower, lat) {
  const thread = await post(srvPort, '/v1/threads', { messages: [{ role: 'user', content: 'go' }] });
  let tokens = 0;
  let status = '';
  const r = await streamPost(srvPort, `/v1/threads/${thread.id}/runs`,
    { assistant_id: asstId, stream: true }, {
      onEvent(name, data, t) {
        if (name === 'thread.run.created') follower.child.stdin.write(`${JSON.parse(data).id}\n`);
        if (name === 'thread.message.delta') {
          for (const c of JSON.parse(data).delta.content || []) tokens += stampLatencies(c.text?.value || '', t, lat);
        } else if (name.startsWith('thread.run.') && !name.startsWith('thread.run.step')) {
          status = name.slice('thread.run.'.length);
        }
      },
    });
  if (r.status !== 200 || !r.done || status !== 'completed' || tokens !== TOKENS) {
    throw new Error(`run on ${thread.id}: HTTP ${r.status}, [DONE] ${r.done}, last status ${status}, ${tokens}/${TOKENS} tokens`);
  }
  const ack = await follower.next();
  if (ack !== 'ok') throw new Error(`the other node answered ${ack}`);
}

async function main() {
  const asst = await post(srvPort, '/v1/assistants', { model: 'gpt-4o' });
  const follower = startFollower();
  const ready = await follower.next();
  if (ready !== 'ready') throw new Error(`the other node said ${ready}`);
  const local = [];
  await oneRun(asst.id, follower, []); // warm-up, on both nodes
  for (let i = 0; i < RUNS; i++) await oneRun(asst.id, follower, local);
  follower.child.stdin.end();
  const other = JSON.parse(await follower.next());
  await follower.done;
  const l = stats(local);
  process.stdout.write(`${JSON.stringify({
    runs: RUNS, tokens: TOKENS, samples: other.samples,
    p50: other.p50, p90: other.p90, p99: other.p99, max: other.max,
    local_p50: l.p50, local_p99: l.p99, local_max: l.max,
  })}\n`);
}

main().catch((e) => {
  process.stderr.write(`stream_nodes.js: ${e.stack}\n`);
  process.exit(1);
});
