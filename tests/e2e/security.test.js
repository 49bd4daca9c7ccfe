'use strict';
// Security and HTTP edges (issue 6): revoking the last key keeps the API closed, requests are
// refused before any body byte is kept (and answered once the body is dropped), request bodies
// share a memory budget, secrets of the upstream never reach clients, and requests that
// libmicrohttpd would mis-take are refused.

const test = require('node:test');
const { describe } = test;
const assert = require('node:assert/strict');
const net = require('node:net');
const { execFileSync, spawnSync } = require('node:child_process');
const { useServer, expectRawError } = require('./lib/harness');
const { BIN } = require('./lib/server');
const { dbEnv } = require('./lib/pg');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const SAN_ENV = { ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1' };

// Opens a connection, writes `head` (and `body`, when given) and collects what comes back.
// Resolves {text, closed} when the server closes the connection; rejects after timeoutMs
// (a server still waiting for the rest of a body never answers).
function exchange(port, head, { body = null, timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const chunks = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 200))}`));
    }, timeoutMs);
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', () => {}); // a reset after the answer is fine: the answer is what counts
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: true });
    });
    sock.write(head);
    if (body) sock.write(body);
  });
}

// Parses "HTTP/1.1 NNN ...\r\nheaders\r\n\r\nbody" into {status, headers, body, json}.
function parse(text) {
  const sep = text.indexOf('\r\n\r\n');
  assert.ok(sep > 0, `no HTTP response: ${JSON.stringify(text.slice(0, 200))}`);
  const lines = text.slice(0, sep).split('\r\n');
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const body = text.slice(sep + 4);
  let json;
  try { json = JSON.parse(body); } catch { json = undefined; }
  return { status: Number(lines[0].split(' ')[1]), headers, body, text: body, json };
}

function keysCli(dataDir, ...args) {
  return execFileSync(BIN, ['keys', ...args, '--data', dataDir], {
    env: { ...process.env, ...SAN_ENV, ...dbEnv(dataDir) }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('revoking the last key keeps the API closed', () => {
  const { srv, it } = useServer({ keys: ['solo'] });

  it('no key -> 401; after `assistd keys revoke` of the only key: no key -> 401, revoked key -> 401', async () => {
    const key = srv().keys.solo;
    expectRawError(await srv().raw('GET', '/assistants', { apiKey: null }), 401);
    assert.equal((await srv().raw('GET', '/assistants', { apiKey: key })).status, 200);
    const id = keysCli(srv().dataDir, 'list').split('\n').find((l) => l.startsWith('key_')).split(/\s+/)[0];
    keysCli(srv().dataDir, 'revoke', id);
    assert.match(keysCli(srv().dataDir, 'list'), /every key is revoked: every request is refused/);
    // Another process's write is seen within the store's snapshot age (100 ms).
    let r;
    for (let i = 0; i < 100; i++) {
      r = await srv().raw('GET', '/assistants', { apiKey: key });
      if (r.status === 401) break;
      await sleep(20);
    }
    expectRawError(r, 401);
    expectRawError(await srv().raw('GET', '/assistants', { apiKey: null }), 401);
    expectRawError(await srv().raw('POST', '/assistants', { apiKey: null, json: { model: 'gpt-4o' } }), 401);
  });
});

describe('requests are refused before their body is kept', () => {
  const { srv, it } = useServer({ keys: ['p'], args: ['--max-body', '1048576', '--max-body-memory', '1048576'] });

  it('a 4 MB upload without a key waiting for 100 Continue is answered 401 at once, with the body unsent, and closed', async () => {
    const head = 'POST /v1/assistants HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      `Expect: 100-continue\r\nContent-Length: ${4 << 20}\r\n\r\n`;
    const r = await exchange(srv().port, head);
    assert.ok(r.closed);
    const res = parse(r.text);
    expectRawError(res, 401);
    assert.ok(res.headers['x-request-id']);
  });

  it('a 2 MB JSON body with a bad key, sent whole before reading: the client reads the 401 envelope', async () => {
    const body = Buffer.from(JSON.stringify({ model: 'gpt-4o', instructions: 'x'.repeat(2 << 20) }));
    for (let i = 0; i < 20; i++) {
      const res = await srv().raw('POST', '/assistants', { apiKey: 'sk-wrong', body, expectContinue: false, headers: { 'Content-Type': 'application/json' } });
      const e = expectRawError(res, 401);
      assert.equal(e.code, 'invalid_api_key');
    }
  });

  it('a refused body sent on past 16 MiB: the connection is closed unanswered', async () => {
    const head = 'POST /v1/assistants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-wrong\r\n' +
      `Content-Length: ${64 << 20}\r\n\r\n`;
    const r = await exchange(srv().port, head, { body: Buffer.alloc(64 << 20, 0x20) });
    assert.equal(r.text, '');
    expectRawError(await srv().raw('GET', '/assistants', { apiKey: null }), 401);
  });

  it('bodies held past --max-body-memory get 503 with Retry-After; once they are gone, the same request works', async () => {
    const key = srv().keys.p;
    // One upload holds nearly all the budget (its length and a NUL) while its body trickles
    // in: what is left is too little for the next request's 17 bytes.
    const holder = net.connect({ host: '127.0.0.1', port: srv().port });
    holder.on('error', () => {});
    await new Promise((r) => holder.on('connect', r));
    holder.write(`POST /v1/assistants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 1048566\r\n\r\n{"model":');
    let res;
    for (let i = 0; i < 100; i++) {
      res = await srv().raw('POST', '/assistants', { apiKey: key, json: { model: 'gpt-4o' } });
      if (res.status === 503) break;
      await sleep(20);
    }
    const e = expectRawError(res, 503);
    assert.equal(e.type, 'server_error');
    assert.match(e.message, /retry/);
    assert.equal(res.headers['retry-after'], '1');
    holder.destroy();
    for (let i = 0; i < 100; i++) {
      res = await srv().raw('POST', '/assistants', { apiKey: key, json: { model: 'gpt-4o' } });
      if (res.status === 200) break;
      await sleep(20);
    }
    assert.equal(res.status, 200, res.text);
  });
});

describe('upstream secrets never reach clients', () => {
  // Port 1 is closed: every attempt is refused.
  const upstream = 'http://someone:pw-s3cret@127.0.0.1:1/v1';
  const { srv, it } = useServer({
    env: { ASSISTD_UPSTREAM_URL: upstream, ASSISTD_UPSTREAM_KEY: 'sk-upstream-s3cret' },
  });

  it('a run failing to reach the upstream: last_error names neither its URL, userinfo nor key; the log shows the URL without userinfo', async () => {
    const c = srv().client();
    const a = await c.beta.assistants.create({ model: 'gpt-4o' });
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
    let run = await c.beta.threads.runs.create(t.id, { assistant_id: a.id });
    for (let i = 0; i < 600 && !['failed', 'completed'].includes(run.status); i++) {
      await sleep(50);
      run = await c.beta.threads.runs.retrieve(run.id, { thread_id: t.id });
    }
    assert.equal(run.status, 'failed');
    const text = JSON.stringify(run);
    assert.match(run.last_error.message, /could not connect to the upstream model server/);
    for (const secret of ['pw-s3cret', 'someone', '127.0.0.1:1', 'sk-upstream-s3cret']) {
      assert.ok(!text.includes(secret), `run shows ${secret}: ${text}`);
    }
    assert.ok(srv().stderr.includes('http://127.0.0.1:1/v1'), 'the log names the upstream');
    assert.ok(!srv().stderr.includes('pw-s3cret'), 'the log shows the upstream password');
    assert.ok(!srv().stderr.includes('sk-upstream-s3cret'), 'the log shows the upstream key');
  });
});

describe('a bad upstream setting is not echoed', () => {
  test('--upstream-url / --upstream-key too long: refused without showing the value', () => {
    const secret = `pw-${'x'.repeat(1100)}`;
    for (const flag of ['--upstream-url', '--upstream-key']) {
      const r = spawnSync(BIN, ['--listen', '127.0.0.1:0', '--data', '/nonexistent', flag, secret],
        { env: { ...process.env, ...SAN_ENV }, encoding: 'utf8', timeout: 20000 });
      assert.notEqual(r.status, 0, `${flag}: the server started`);
      assert.match(r.stderr, /not shown/, r.stderr);
      assert.ok(!r.stderr.includes('pw-x'), `${flag}: the value was echoed`);
    }
  });
});

describe('HTTP edges', () => {
  const { srv, it } = useServer();
  const head = (line, extra = '') => `${line}\r\nHost: x\r\nConnection: close\r\n${extra}\r\n`;

  it('a 16 KB URL gets 414 in the error envelope', async () => {
    const url = `/v1/assistants?after=${'a'.repeat(16 * 1024)}`;
    const res = parse((await exchange(srv().port, head(`GET ${url} HTTP/1.1`))).text);
    const e = expectRawError(res, 414);
    assert.match(e.message, /URL/);
  });

  // The connection memory (HTTP_CONN_MEMORY) is kept small because MHD zeroes it after every
  // request; it must still hold 16 KB of headers (a browser's cookies, a proxy's additions).
  it('16 KB of request headers are served', async () => {
    const r = await srv().raw('GET', '/assistants', { headers: { 'X-Padding': 'x'.repeat(16 * 1024) } });
    assert.equal(r.status, 200, r.text);
  });

  // Both bodies are valid: a server that picked one framing would create an assistant.
  const body = '{"model":"gpt-4o"}';

  it('two different Content-Length headers -> 400', async () => {
    const h = head('POST /v1/assistants HTTP/1.1',
      `Content-Length: ${body.length}\r\nContent-Length: ${body.length + 5}\r\n`);
    const res = parse((await exchange(srv().port, h, { body })).text);
    assert.match(expectRawError(res, 400).message, /Content-Length/);
  });

  it('Content-Length with Transfer-Encoding -> 400', async () => {
    const h = head('POST /v1/assistants HTTP/1.1',
      `Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n`);
    const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const res = parse((await exchange(srv().port, h, { body: chunked })).text);
    assert.match(expectRawError(res, 400).message, /Transfer-Encoding/);
  });

  it('an encoded NUL in the path or query is refused, never cut short', async () => {
    const a = await srv().client().beta.assistants.create({ model: 'gpt-4o' });
    expectRawError(await srv().raw('GET', `/assistants/${a.id}%00junk`), 400);
    expectRawError(await srv().raw('GET', `/assistants/${a.id}%00`), 400);
    expectRawError(await srv().raw('GET', '/assistants?order=asc%00junk'), 400);
    assert.equal((await srv().raw('GET', `/assistants/${a.id}`)).status, 200);
  });

  it('the method is logged escaped', async () => {
    const res = parse((await exchange(srv().port, head('G\x1b[31mT /v1/assistants HTTP/1.1'))).text);
    assert.ok(res.status >= 400, `status ${res.status}`);
    await sleep(100);
    assert.ok(!srv().stderr.includes('\x1b[31m'), 'an ESC from the method reached the log');
  });

  it('HEAD on a GET route answers like GET, without a body', async () => {
    const c = srv().client();
    const a = await c.beta.assistants.create({ model: 'gpt-4o' });
    for (const p of ['/v1/assistants', `/v1/assistants/${a.id}`, '/v1/assistants/asst_nope']) {
      const get = parse((await exchange(srv().port, head(`GET ${p} HTTP/1.1`))).text);
      const r = await exchange(srv().port, head(`HEAD ${p} HTTP/1.1`));
      const res = parse(r.text);
      assert.equal(res.status, get.status, p);
      assert.equal(res.headers['content-type'], get.headers['content-type'], p);
      assert.equal(res.headers['content-length'], String(Buffer.byteLength(get.body)), p);
      assert.ok(res.headers['x-request-id'], p);
      assert.equal(res.body, '', `${p}: HEAD sent a body`);
    }
  });
});
