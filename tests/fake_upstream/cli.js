#!/usr/bin/env node
'use strict';
// cli.js - runs the fake upstream (server.js) as a process, for tests written in C.
//
//   node tests/fake_upstream/cli.js [--exit-on-stdin-close] ['<JSON array of steps>']
//
// Prints "PORT <port>" on its first line once listening, then one line
// "REQUEST {"headers":{...},"body":{...}}" per chat completion request received. With
// --exit-on-stdin-close it exits when its standard input closes, so it cannot outlive the
// test that started it. SIGTERM and SIGINT stop it too.

const { startFakeUpstream } = require('./server.js');

async function main() {
  const args = process.argv.slice(2);
  const watchStdin = args.includes('--exit-on-stdin-close');
  const json = args.find((a) => !a.startsWith('--'));
  const steps = json ? JSON.parse(json) : [];
  const up = await startFakeUpstream({
    onRequest(body, headers) {
      process.stdout.write(`REQUEST ${JSON.stringify({ headers, body })}\n`);
    },
  });
  up.script(steps);
  // The test that started us may be gone already: that is no error.
  process.stdout.on('error', () => process.exit(0));
  process.stdout.write(`PORT ${up.port}\n`);
  const stop = () => up.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (watchStdin) {
    process.stdin.on('end', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();
  }
}

main().catch((e) => {
  process.stderr.write(`fake upstream: ${e.stack}\n`);
  process.exit(1);
});
