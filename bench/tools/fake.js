#!/usr/bin/env node
'use strict';
// fake.js - the fake OpenAI-compatible upstream (tests/fake_upstream/server.js) as a process
// for the run-engine benchmarks.
//
//   node bench/tools/fake.js --port N [--step JSON] [--stamp]
//
// Listens on 127.0.0.1:N and answers every POST /v1/chat/completions with the step JSON
// (default {"text":"ok"}: the fake's own fallback, one chunk, no delay), not just the first,
// and every POST /v1/embeddings with the fake's hashed bag-of-words vectors.
// A step may give its text as {"repeat": TEXT, "length": N}: TEXT repeated and cut to N
// characters, for replies too long for a command line.
// With --stamp, the marker STAMP_MARK in a chunk's text is replaced, just before the chunk is
// written to the socket, by the time of the write: process.hrtime.bigint() in nanoseconds,
// which is CLOCK_MONOTONIC and so the same clock in every process on the machine. A client
// that reads the text back knows when each token left the provider.
// Exits on SIGTERM or SIGINT (the case that started it kills it by pid when it ends).

const http = require('node:http');
const path = require('node:path');
const { startFakeUpstream } = require(path.join(__dirname, '../../tests/fake_upstream/server.js'));

const STAMP_MARK = '@TS@';

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

// Rewrites the marker in whatever the fake writes, at the moment it writes it.
function installStamp() {
  const write = http.ServerResponse.prototype.write;
  http.ServerResponse.prototype.write = function stamped(chunk, ...rest) {
    if (typeof chunk === 'string' && chunk.includes(STAMP_MARK)) {
      chunk = chunk.split(STAMP_MARK).join(process.hrtime.bigint().toString());
    }
    return write.call(this, chunk, ...rest);
  };
}

async function main() {
  const port = Number(arg('--port', '0'));
  const step = JSON.parse(arg('--step', '{"text":"ok"}'));
  if (step.repeat) {
    step.text = step.repeat.repeat(Math.ceil(step.length / step.repeat.length)).slice(0, step.length);
    delete step.repeat;
    delete step.length;
  }
  if (process.argv.includes('--stamp')) installStamp();
  let up = null;
  up = await startFakeUpstream({
    port,
    keepEmbeddingRequests: false,
    // Called for each request just before its step is taken from the queue: queue one.
    onRequest() {
      up.script(step);
      // The fake keeps every request body; a benchmark sends thousands.
      up.requests.length = 0;
      up.requestHeaders.length = 0;
    },
  });
  process.stdout.write(`PORT ${up.port}\n`);
  const stop = () => up.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`fake.js: ${e.stack}\n`);
  process.exit(1);
});
