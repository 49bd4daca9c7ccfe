'use strict';
// nodes.js - starting several assistd nodes on one data directory, for the failover and
// node-throughput benchmarks.
//
//   const { startNode, stopNode } = require('./nodes.js');
//   const n = await startNode({ bin, dir, name: 'a', upstreamPort, leaseMs, log, dbUrl });
//   (dbUrl: a PostgreSQL URL, else the nodes share dir's SQLite store)
//   n.port, n.proc; await stopNode(n, 'SIGKILL' | 'SIGTERM')

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { freePort } = require(path.join(__dirname, '../../tests/e2e/lib/nginx.js'));

async function waitPort(port, proc) {
  for (let i = 0; i < 400; i++) {
    if (proc.exitCode !== null) throw new Error(`assistd exited with ${proc.exitCode}`);
    const ok = await new Promise((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`assistd did not listen on ${port}`);
}

async function startNode({ bin, dir, name, upstreamPort, leaseMs, log, dbUrl, extra = [] }) {
  const port = await freePort();
  const out = fs.openSync(log, 'a');
  const proc = spawn(bin, ['--listen', `127.0.0.1:${port}`, '--data', dir, '--log-level', 'warn',
    '--node-id', name, '--lease-ms', String(leaseMs),
    '--upstream-url', `http://127.0.0.1:${upstreamPort}/v1`,
    ...(dbUrl ? ['--database-url', dbUrl] : []), ...extra],
  { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  proc.exited = new Promise((resolve) => proc.on('exit', resolve));
  await waitPort(port, proc);
  return { port, proc, name };
}

async function stopNode(n, signal = 'SIGTERM') {
  if (n.proc.exitCode === null && n.proc.signalCode === null) n.proc.kill(signal);
  await n.proc.exited;
}

module.exports = { startNode, stopNode, freePort };
