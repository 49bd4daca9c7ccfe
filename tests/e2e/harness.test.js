'use strict';
// The harness itself, against lib/fake-assistd.js: it must notice sanitizer reports, unclean
// exits, crashes and missing headers, and its raw client must survive early answers.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const net = require('node:net');
const { startServer, rawRequest } = require('./lib/server');
const { fileIdOrFake, vectorStoreIdOrFake } = require('./lib/util');

const FAKE = path.join(__dirname, 'lib', 'fake-assistd.js');
const fs = require('node:fs');
const started = [];
const start = async (mode, extra = {}) => {
  const srv = await startServer({ bin: FAKE, env: { FAKE_MODE: mode }, ...extra });
  started.push(srv);
  return srv;
};

describe('harness', () => {
  after(async () => {
    for (const srv of started) {
      await srv.kill9();
      fs.rmSync(srv.dataDir, { recursive: true, force: true });
    }
  });

  it('starts, finds the port, builds a working SDK client, stops cleanly', async () => {
    const srv = await start('ok', { keys: ['p'] });
    assert.ok(srv.port > 0);
    assert.equal(srv.baseURL, `http://127.0.0.1:${srv.port}/v1`);
    assert.equal(srv.keys.p, 'sk-fake-0123456789abcdefghijklmnop');
    const page = await srv.client().beta.assistants.list();
    assert.deepEqual(page.data, []);
    assert.deepEqual(srv.problems(), []);
    await srv.stop();
  });

  it('flags a UBSan "runtime error:" line', async () => {
    const srv = await start('ubsan');
    await srv.raw('GET', '/assistants');
    await new Promise((r) => setTimeout(r, 100));
    assert.match(srv.problems().join('\n'), /sanitizer/);
    await assert.rejects(srv.stop(), /sanitizer/);
  });

  it('flags an AddressSanitizer report and a non-zero exit at stop', async () => {
    const srv = await start('asan-exit');
    await assert.rejects(srv.stop(), /sanitizer report/);
    const srv2 = await start('exit1');
    await assert.rejects(srv2.stop(), /exit 0 on SIGTERM, got code=1/);
  });

  it('flags an unexpected exit', async () => {
    const srv = await start('crash');
    await assert.rejects(srv.raw('GET', '/assistants'));
    await new Promise((r) => setTimeout(r, 200));
    assert.match(srv.problems().join('\n'), /exited unexpectedly \(code=3/);
    await srv.stop().catch(() => {});
  });

  it('flags responses without x-request-id', async () => {
    const srv = await start('noheaders');
    await srv.client().beta.assistants.list();
    assert.match(srv.problems().join('\n'), /no x-request-id/);
    await srv.stop().catch(() => {});
  });

  it('restart and kill9 reuse the data dir on a new process', async () => {
    const srv = await start('ok');
    const dir = srv.dataDir;
    const pid = srv.proc.pid;
    await srv.kill9();
    await srv.restart();
    assert.equal(srv.dataDir, dir);
    assert.notEqual(srv.proc.pid, pid);
    await srv.restart();
    await srv.stop();
  });

  it('set-up helpers fake an id only when the route is missing, and fail on any other error', async () => {
    const missing = await start('noroute');
    assert.equal((await fileIdOrFake(missing)).real, false);
    assert.match((await vectorStoreIdOrFake(missing)).id, /^vs_e2eFake/);
    const refusing = await start('badrequest');
    await assert.rejects(fileIdOrFake(refusing), (e) => e.status === 400);
    await assert.rejects(vectorStoreIdOrFake(refusing), (e) => e.status === 400);
    const noId = await start('ok');
    await assert.rejects(fileIdOrFake(noId), /files.create answered without an id/);
    await assert.rejects(noId.stop(), /does not match the spec/);
    for (const srv of [missing, refusing]) await srv.stop();
  });

  it('raw requests read an early answer even when the server closes mid-upload', async () => {
    const server = net.createServer((sock) => {
      sock.once('data', () => {
        sock.end('HTTP/1.1 413 Content Too Large\r\nContent-Type: application/json\r\nx-request-id: r1\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{"error":1}');
      });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const r = await rawRequest(server.address().port, 'POST', '/v1/x', { body: Buffer.alloc(8 * 1024 * 1024, 0x61) });
    assert.equal(r.status, 413);
    assert.deepEqual(r.json, { error: 1 });
    server.close();
  });
});
