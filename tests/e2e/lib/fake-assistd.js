#!/usr/bin/env node
'use strict';
// fake-assistd.js - a stand-in for the server binary, used only by harness.test.js to check
// that the harness notices what it should (sanitizer reports, bad exits, missing headers).
// FAKE_MODE: ok | ubsan (prints a UBSan report on the first request) | asan-exit (prints an
// ASan report and exits 1 on SIGTERM) | exit1 (exits 1 on SIGTERM) | crash (exits 3 on the
// first request) | noheaders (answers without x-request-id) | noroute (answers 404 "Invalid
// URL", as for a route the server lacks) | badrequest (answers POSTs 400).
const http = require('node:http');

const args = process.argv.slice(2);
if (args[0] === 'keys') { process.stdout.write('sk-fake-0123456789abcdefghijklmnop\n'); process.exit(0); }
const mode = process.env.FAKE_MODE || 'ok';
let n = 0;
const server = http.createServer((req, res) => {
  n++;
  if (mode === 'ubsan' && n === 1) process.stderr.write('src/x.c:10:5: runtime error: signed integer overflow\n');
  if (mode === 'crash') process.exit(3);
  const headers = { 'Content-Type': 'application/json' };
  if (mode !== 'noheaders') headers['x-request-id'] = `req_${n}`;
  const failure = { noroute: [404, `Invalid URL (${req.method} ${req.url})`],
    badrequest: req.method === 'POST' && [400, 'Invalid file format.'] }[mode];
  if (failure) {
    res.writeHead(failure[0], headers);
    res.end(JSON.stringify({ error: { message: failure[1], type: 'invalid_request_error', param: null, code: null } }));
    return;
  }
  res.writeHead(200, headers);
  res.end(JSON.stringify({ object: 'list', data: [], first_id: null, last_id: null, has_more: false }));
});
server.listen(0, '127.0.0.1', () => {
  process.stderr.write(`2026-01-01T00:00:00.000Z info  listening on http://127.0.0.1:${server.address().port} (fake)\n`);
});
process.on('SIGTERM', () => {
  if (mode === 'asan-exit') process.stderr.write('==1==ERROR: AddressSanitizer: heap-use-after-free\n');
  server.close();
  process.exit(mode === 'exit1' || mode === 'asan-exit' ? 1 : 0);
});
