#!/usr/bin/env node
'use strict';
// nodes_throughput.js - durable message creates and runs per second by 1, 2 or 3 nodes
// sharing one store.
//
//   node bench/tools/nodes_throughput.js BIN UPSTREAM_PORT DIR NODES CLIENTS SECONDS LOG [DB_URL]
//
// Starts NODES nodes on one store (the PostgreSQL database DB_URL, emptied by the caller, or
// SQLite in a fresh directory under DIR) and spreads CLIENTS clients over them round robin, as
// a balancer would. Two phases of SECONDS each:
// - messages: each client creates a thread, then POSTs messages to it one after the other
//   (each answered once it is committed);
// - runs: each client creates a thread and run in one call (POST /v1/threads/runs) and polls
//   the run on the same node (the SDK's poll helper header: the node holds it until the run
//   changes) until it completes. The upstream answers at once: this is the nodes' and the
//   store's cost.
// Prints one JSON line: messages/s, runs/s, and the runs' p50/p99 create-to-completed (ms).

const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { post, stats, nowNs } = require(path.join(__dirname, 'sse.js'));
const { startNode, stopNode } = require(path.join(__dirname, 'nodes.js'));

const [bin, upstreamPort, root, nodesArg, clientsArg, secondsArg, log, dbUrl] =
  process.argv.slice(2);
const NODES = Number(nodesArg);
const CLIENTS = Number(clientsArg);
const SECONDS = Number(secondsArg);
const POLL = { 'x-stainless-poll-helper': 'true', 'x-stainless-custom-poll-interval': '1000' };

async function messages(port, until) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const t = await post(port, '/v1/threads', {}, { agent });
  let n = 0;
  while (Date.now() < until) {
    await post(port, `/v1/threads/${t.id}/messages`, { role: 'user', content: 'hello there' },
      { agent });
    n++;
  }
  agent.destroy();
  return n;
}

async function runs(port, asstId, until, times) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  while (Date.now() < until) {
    const t0 = nowNs();
    let r = await post(port, '/v1/threads/runs', { assistant_id: asstId,
      thread: { messages: [{ role: 'user', content: 'hello' }] } }, { agent });
    while (r.status !== 'completed') {
      if (!['queued', 'in_progress'].includes(r.status)) throw new Error(`run ${r.id}: ${r.status}`);
      r = await post(port, `/v1/threads/${r.thread_id}/runs/${r.id}`, undefined,
        { method: 'GET', headers: POLL, agent });
    }
    times.push(Number(nowNs() - t0) / 1e6);
  }
  agent.destroy();
}

// Runs fn(port of client i, i) for every client at once; resolves with the results and the
// seconds it took.
async function phase(nodes, fn) {
  const t0 = Date.now();
  const out = await Promise.all(Array.from({ length: CLIENTS },
    (_, i) => fn(nodes[i % NODES].port, t0 + SECONDS * 1000)));
  return { out, secs: (Date.now() - t0) / 1000 };
}

async function main() {
  const dir = path.join(root, `nodes-${NODES}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const nodes = [];
  for (let i = 0; i < NODES; i++) {
    nodes.push(await startNode({ bin, dir, upstreamPort, leaseMs: 10000, log, dbUrl,
      name: `n${i}` }));
  }
  try {
    const asst = await post(nodes[0].port, '/v1/assistants', { model: 'gpt-4o' });
    const m = await phase(nodes, (port, until) => messages(port, until));
    const times = [];
    const r = await phase(nodes, (port, until) => runs(port, asst.id, until, times));
    const s = stats(times);
    const msgs = m.out.reduce((a, b) => a + b, 0);
    process.stdout.write(`${JSON.stringify({ nodes: NODES, msgs_per_s: msgs / m.secs,
      runs_per_s: times.length / r.secs, p50: s.p50, p99: s.p99 })}\n`);
  } finally {
    for (const n of nodes) await stopNode(n, 'SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { process.stderr.write(`nodes_throughput.js: ${e.stack}\n`); process.exit(1); });
