#!/usr/bin/env node
'use strict';
// nodes_throughput.js - runs completed per second by 1, 2 or 3 nodes sharing one store.
//
//   node bench/tools/nodes_throughput.js BIN UPSTREAM_PORT DIR NODES CLIENTS SECONDS LOG
//
// Starts NODES nodes on one fresh data directory; CLIENTS clients, spread over the nodes
// round robin (as a balancer would), each create a thread and run in one call
// (POST /v1/threads/runs) and poll the run on the same node (the SDK's poll helper header,
// which the node holds until the run changes) until it completes, again and again for
// SECONDS. The upstream answers at once, so this is what the nodes and their store cost.
// Prints one JSON line: runs/s, and the runs' p50/p99 time from create to completed (ms).

const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { post, stats, nowNs } = require(path.join(__dirname, 'sse.js'));
const { startNode, stopNode } = require(path.join(__dirname, 'nodes.js'));

const [bin, upstreamPort, root, nodesArg, clientsArg, secondsArg, log] = process.argv.slice(2);
const NODES = Number(nodesArg);
const CLIENTS = Number(clientsArg);
const SECONDS = Number(secondsArg);
const POLL = { 'x-stainless-poll-helper': 'true', 'x-stainless-custom-poll-interval': '1000' };

async function client(port, asstId, until, times) {
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

async function main() {
  const dir = path.join(root, `nodes-${NODES}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const nodes = [];
  for (let i = 0; i < NODES; i++) {
    nodes.push(await startNode({ bin, dir, upstreamPort, leaseMs: 10000, log, name: `n${i}` }));
  }
  try {
    const asst = await post(nodes[0].port, '/v1/assistants', { model: 'gpt-4o' });
    const times = [];
    const t0 = Date.now();
    await Promise.all(Array.from({ length: CLIENTS },
      (_, i) => client(nodes[i % NODES].port, asst.id, t0 + SECONDS * 1000, times)));
    const secs = (Date.now() - t0) / 1000;
    const s = stats(times);
    process.stdout.write(`${JSON.stringify({ nodes: NODES, runs: times.length, per_s: times.length / secs, p50: s.p50, p99: s.p99 })}\n`);
  } finally {
    for (const n of nodes) await stopNode(n, 'SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { process.stderr.write(`nodes_throughput.js: ${e.stack}\n`); process.exit(1); });
