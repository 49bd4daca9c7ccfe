#!/usr/bin/env node
'use strict';
// failover.js - from kill -9 of the node driving a run to the run streaming again on another.
//
//   node bench/tools/failover.js BIN UPSTREAM_PORT DIR LEASE_MS ROUNDS LOG [DB_URL]
//
// DB_URL: a PostgreSQL database the nodes share (emptied by the caller), else SQLite in DIR.
// Each round starts two nodes (a, b) on a fresh data directory under DIR, creates a run on a
// and waits until a is writing its reply (the assistant message exists), then kills a with
// SIGKILL and reads b's messages of the thread every 5 ms until a new assistant message is
// there: b took the run over, deleted the cut reply and its new turn is streaming. The
// upstream (bench/tools/fake.js) streams a long reply slowly, so every turn is still going.
// Prints one JSON line: milliseconds, p50/max over the rounds, and the lease.

const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { post, stats, nowNs } = require(path.join(__dirname, 'sse.js'));
const { startNode, stopNode } = require(path.join(__dirname, 'nodes.js'));

const [bin, upstreamPort, root, leaseArg, roundsArg, log, dbUrl] = process.argv.slice(2);
const LEASE_MS = Number(leaseArg);
const ROUNDS = Number(roundsArg);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function newest(port, threadId, agent) {
  const l = await post(port, `/v1/threads/${threadId}/messages?limit=1&order=desc`, undefined,
    { method: 'GET', agent });
  return l.data[0];
}

async function round(i) {
  const dir = path.join(root, `round-${i}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const opts = { bin, dir, upstreamPort, leaseMs: LEASE_MS, log, dbUrl };
  const a = await startNode({ ...opts, name: 'a' });
  const b = await startNode({ ...opts, name: 'b' });
  const agent = new http.Agent({ keepAlive: true });
  try {
    const asst = await post(a.port, '/v1/assistants', { model: 'gpt-4o' }, { agent });
    const run = await post(a.port, '/v1/threads/runs', { assistant_id: asst.id,
      thread: { messages: [{ role: 'user', content: 'tell me a long story' }] } }, { agent });
    let cut;
    for (;;) {
      cut = await newest(a.port, run.thread_id, agent);
      if (cut.role === 'assistant') break;
      await sleep(5);
    }
    const t0 = nowNs();
    await stopNode(a, 'SIGKILL');
    for (;;) {
      const m = await newest(b.port, run.thread_id, agent);
      if (m.role === 'assistant' && m.id !== cut.id) break;
      await sleep(5);
    }
    const ms = Number(nowNs() - t0) / 1e6;
    // end the run, so that nothing of this round is left for the next (one store on PG)
    await post(b.port, `/v1/threads/${run.thread_id}/runs/${run.id}/cancel`, {}, { agent });
    return ms;
  } finally {
    agent.destroy();
    await stopNode(a, 'SIGKILL');
    await stopNode(b, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const all = [];
  for (let i = 0; i < ROUNDS; i++) all.push(await round(i));
  const s = stats(all);
  process.stdout.write(`${JSON.stringify({ lease_ms: LEASE_MS, rounds: ROUNDS, p50: s.p50, max: s.max, all })}\n`);
}

main().catch((e) => { process.stderr.write(`failover.js: ${e.stack}\n`); process.exit(1); });
