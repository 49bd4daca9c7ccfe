'use strict';
// server.js - start/stop an assistd process for a test file, and talk to it.
//
//   const srv = await startServer({ args, env, keys: ['projA', 'projB'], dataDir })
//   srv.baseURL        'http://127.0.0.1:<port>/v1'
//   srv.port, srv.dataDir, srv.keys ({project: key} for opts.keys, created before the start)
//   srv.client(apiKey?)  an OpenAI SDK client (maxRetries 0) whose fetch records header problems
//   srv.raw(method, path, {body, json, headers, apiKey})  -> {status, headers, text, json}
//   srv.stop()         SIGTERM, wait, assert exit code 0 and a clean stderr
//   srv.kill9()        SIGKILL, wait
//   srv.restart()      stop (if running) and start again on the same data dir (new port)
//   srv.stderr         everything the server wrote to stderr (all runs)
//   srv.problems()     sanitizer reports, unexpected exits and header violations seen so far
//
//   createKey(dataDir, project) -> key   (`assistd keys create --project NAME --data DIR`)
//
// The binary is $ASSISTD_BIN or <repo>/build/test/assistd.

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const assert = require('node:assert/strict');
const { validateResponse } = require('./spec');

const REPO = path.resolve(__dirname, '..', '..', '..');
const { dbEnv } = require('./pg');
const BIN = process.env.ASSISTD_BIN || path.join(REPO, 'build', 'test', 'assistd');
const START_TIMEOUT_MS = Number(process.env.ASSISTD_START_TIMEOUT_MS || 20000);
const STOP_TIMEOUT_MS = Number(process.env.ASSISTD_STOP_TIMEOUT_MS || 15000);

// Sanitizer settings for when the tests run outside scripts/test.sh.
const SAN_ENV = {
  ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=1:abort_on_error=1',
  UBSAN_OPTIONS: process.env.UBSAN_OPTIONS || 'print_stacktrace=1:halt_on_error=1',
};

const SANITIZER_RE = /AddressSanitizer|LeakSanitizer|ThreadSanitizer|MemorySanitizer|runtime error:/;
const LISTEN_RE = /listening on http:\/\/127\.0\.0\.1:(\d+)/;

function binExists() { return fs.existsSync(BIN); }

function mkDataDir() { return fs.mkdtempSync(path.join(os.tmpdir(), 'assistd-e2e-')); }

function createKey(dataDir, project, bin = BIN) {
  const out = execFileSync(bin, ['keys', 'create', '--project', project, '--data', dataDir], {
    env: { ...process.env, ...SAN_ENV, ...dbEnv(dataDir) },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20000,
  });
  const key = out.trim();
  assert.ok(key.length > 0, `keys create --project ${project} printed nothing`);
  assert.ok(!/\s/.test(key), `keys create printed more than a key: ${JSON.stringify(out)}`);
  return key;
}

function tail(text, lines = 80) {
  const all = text.split('\n');
  return (all.length > lines ? [`... (${all.length - lines} earlier lines)`] : []).concat(all.slice(-lines)).join('\n');
}

// A raw HTTP request, for what the SDK can't send (malformed JSON, unknown fields, huge bodies,
// odd methods). Speaks HTTP/1.1 over a plain socket with "Connection: close" and keeps reading
// when a write fails, so an early answer (413 before the whole body was sent, then a close)
// still comes back as a response instead of an EPIPE.
function rawRequest(port, method, urlPath, opts = {}) {
  const net = require('node:net');
  return new Promise((resolve, reject) => {
    let body = opts.body;
    const headers = { ...(opts.headers || {}) };
    const has = (h) => Object.keys(headers).some((k) => k.toLowerCase() === h);
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      if (!has('content-type')) headers['Content-Type'] = 'application/json';
    }
    if (opts.apiKey !== null && opts.apiKey !== undefined) headers.Authorization = `Bearer ${opts.apiKey}`;
    if (!opts.noBeta && !has('openai-beta')) headers['OpenAI-Beta'] = 'assistants=v2';
    if (body !== undefined && body !== null && !Buffer.isBuffer(body)) body = Buffer.from(String(body));
    if (body && !has('content-length') && !has('transfer-encoding')) headers['Content-Length'] = String(body.length);
    if (!body && !has('content-length') && !has('transfer-encoding') && !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(method)) headers['Content-Length'] = '0';
    // Big bodies go with "Expect: 100-continue": a server that refuses them by their length
    // answers before we send a byte of the body (otherwise our writes race its close, and an
    // EPIPE destroys the socket before its answer was read).
    const expectContinue = opts.expectContinue ?? (body && body.length > 256 * 1024 && !has('transfer-encoding'));
    if (expectContinue) headers.Expect = '100-continue';
    headers.Host = `127.0.0.1:${port}`;
    headers.Connection = 'close';
    let head = `${method} ${urlPath} HTTP/1.1\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    head += '\r\n';

    const chunks = [];
    let writeError = null;
    let settled = false;
    const sock = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => { sock.destroy(); finish(new Error(`${method} ${urlPath}: timed out`)); }, opts.timeoutMs || 30000);
    function finish(err) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      let raw = Buffer.concat(chunks);
      // interim 1xx answers (a late "100 Continue") come before the real one
      for (let m; (m = /^HTTP\/1\.[01] 1\d\d[^\r]*\r\n(?:[^\r]+\r\n)*\r\n/.exec(raw.toString('latin1'))) && !/^HTTP\/1\.[01] 101/.test(m[0]);) {
        raw = raw.subarray(Buffer.byteLength(m[0], 'latin1'));
      }
      const sep = raw.indexOf('\r\n\r\n');
      if (sep < 0) {
        reject(err || writeError || new Error(`${method} ${urlPath}: no HTTP response (${raw.length} bytes: ${JSON.stringify(raw.toString('latin1').slice(0, 200))})`));
        return;
      }
      const lines = raw.subarray(0, sep).toString('latin1').split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
      if (!m) { reject(new Error(`bad status line ${JSON.stringify(lines[0])}`)); return; }
      const resHeaders = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        if (i > 0) {
          const k = l.slice(0, i).trim().toLowerCase();
          const v = l.slice(i + 1).trim();
          resHeaders[k] = k in resHeaders ? `${resHeaders[k]}, ${v}` : v;
        }
      }
      let payload = raw.subarray(sep + 4);
      if (/chunked/i.test(resHeaders['transfer-encoding'] || '')) {
        const out = [];
        let pos = 0;
        for (;;) {
          const eol = payload.indexOf('\r\n', pos);
          if (eol < 0) break;
          const size = parseInt(payload.subarray(pos, eol).toString('latin1'), 16);
          if (!(size > 0)) break;
          out.push(payload.subarray(eol + 2, eol + 2 + size));
          pos = eol + 2 + size + 2;
        }
        payload = Buffer.concat(out);
      } else if (resHeaders['content-length'] !== undefined) {
        payload = payload.subarray(0, Number(resHeaders['content-length']));
      }
      if (method === 'HEAD') payload = Buffer.alloc(0);
      const text = payload.toString('utf8');
      let json;
      try { json = text.length ? JSON.parse(text) : undefined; } catch { json = undefined; }
      resolve({ status: Number(m[1]), headers: resHeaders, text, json, writeError });
    }
    let waitingContinue = !!expectContinue;
    let sendBody = null;
    sock.on('data', (d) => {
      if (waitingContinue) {
        waitingContinue = false;
        const m = /^HTTP\/1\.1 100[^\r]*\r\n\r\n/.exec(d.toString('latin1'));
        if (m) {
          d = d.subarray(Buffer.byteLength(m[0], 'latin1'));
          if (sendBody) sendBody();
          if (!d.length) return;
        }
      }
      chunks.push(d);
    });
    sock.on('end', () => finish());
    sock.on('close', () => finish());
    sock.on('error', (e) => { writeError = writeError || e; });
    sock.on('connect', () => {
      sock.write(head);
      if (body && body.length) {
        // In pieces, letting the event loop read between them, and stop as soon as the server
        // has answered: an early 413 followed by a close must not turn into an EPIPE that
        // destroys the socket before the answer was read.
        let off = 0;
        const step = () => {
          if (sock.destroyed || chunks.length > 0 || off >= body.length) return;
          const piece = body.subarray(off, off + 65536);
          off += piece.length;
          if (sock.write(piece)) setImmediate(step);
          else sock.once('drain', step);
        };
        sendBody = () => { sendBody = null; setImmediate(step); };
        if (expectContinue) {
          // a server that ignores Expect gets the body after a while anyway
          setTimeout(() => { if (waitingContinue && sendBody) { waitingContinue = false; sendBody(); } }, 1000);
        } else {
          sendBody();
        }
      }
    });
  });
}

let sharedNodes = 0; // servers started on another server's data directory: their node ids

class Server {
  constructor(opts) {
    this.opts = opts;
    this.dataDir = opts.dataDir || mkDataDir();
    this.ownsDataDir = !opts.dataDir;
    // Kept across restarts; a second server on the same data directory is another node.
    this.nodeId = `e2e-${path.basename(this.dataDir)}${opts.dataDir ? `-${++sharedNodes}` : ''}`;
    this.stderr = '';
    this.keys = {};
    this.proc = null;
    this.port = null;
    this.baseURL = null;
    this._problems = [];
    this.responseLog = []; // {method, url, status, problem}
  }

  _log(s) { this.stderr += s; }

  async _start() {
    const bin = this.opts.bin || BIN;
    assert.ok(fs.existsSync(bin), `assistd binary not found at ${bin} (build it with make test-build, or set ASSISTD_BIN)`);
    const args = ['--listen', '127.0.0.1:0', '--data', this.dataDir, ...(this.opts.args || [])];
    // One node id for the server's life, restarts included, as a real node on a fixed port
    // has: a restarted node takes its runs back at once instead of waiting for its own
    // leases to lapse (the default id, HOSTNAME:PORT, changes with the port 0 gives).
    if (!args.includes('--node-id')) args.push('--node-id', this.nodeId);
    const env = { ...process.env, ...SAN_ENV, ...(this.opts.env || {}) };
    // the server must not pick up a listen/data config from the environment of whoever runs the tests
    delete env.ASSISTD_LISTEN; delete env.ASSISTD_DATA; delete env.ASSISTD_DATABASE_URL;
    Object.assign(env, dbEnv(this.dataDir)); // the PostgreSQL pass: this data dir's database
    if (this.opts.env) Object.assign(env, this.opts.env);
    this._log(`\n=== start: ${bin} ${args.join(' ')}\n`);
    const proc = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.exitInfo = null;
    proc.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        proc.exitInfo = { code, signal };
        this._log(`=== exit: code=${code} signal=${signal}\n`);
        if (!proc.expectExit) {
          this._problems.push(`server exited unexpectedly (code=${code}, signal=${signal})`);
          process.stderr.write(`\n[assistd e2e] server pid ${proc.pid} exited unexpectedly (code=${code}, signal=${signal}); stderr:\n${tail(this.stderr)}\n`);
        }
        resolve(proc.exitInfo);
      });
    });
    proc.stdout.on('data', (d) => this._log(d.toString()));
    const port = await new Promise((resolve, reject) => {
      let buf = '';
      let found = false;
      const timer = setTimeout(() => {
        reject(new Error(`assistd did not log "listening on http://127.0.0.1:<port>" within ${START_TIMEOUT_MS} ms; stderr:\n${tail(this.stderr)}`));
      }, START_TIMEOUT_MS);
      const onData = (d) => {
        if (found) return;
        buf += d.toString();
        const m = LISTEN_RE.exec(buf);
        if (m) { found = true; buf = ''; clearTimeout(timer); resolve(Number(m[1])); }
      };
      proc.stderr.on('data', (d) => { this._log(d.toString()); onData(d); });
      proc.stdout.on('data', onData);
      proc.on('error', (e) => { clearTimeout(timer); reject(e); });
      proc.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`assistd exited (code=${code}, signal=${signal}) before listening; stderr:\n${tail(this.stderr)}`));
      });
    }).catch(async (e) => { proc.expectExit = true; if (!proc.exitInfo) { proc.kill('SIGKILL'); await proc.exited; } throw e; });
    assert.ok(port > 0, `server logged port ${port}`);
    this.port = port;
    this.baseURL = `http://127.0.0.1:${port}/v1`;
    return this;
  }

  async _wait(proc, ms) {
    let timer;
    const t = new Promise((resolve) => { timer = setTimeout(() => resolve(null), ms); });
    const r = await Promise.race([proc.exited, t]);
    clearTimeout(timer);
    return r;
  }

  // SIGTERM, wait, assert a clean exit (code 0, no sanitizer report).
  async stop() {
    const proc = this.proc;
    if (!proc) return;
    this.proc = null;
    proc.expectExit = true;
    if (!proc.exitInfo) proc.kill('SIGTERM');
    let info = await this._wait(proc, STOP_TIMEOUT_MS);
    if (!info) {
      proc.kill('SIGKILL');
      await proc.exited;
      throw new assert.AssertionError({ message: `assistd did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM; stderr:\n${tail(this.stderr)}` });
    }
    this.assertClean();
    assert.ok(info.code === 0 && info.signal === null,
      `assistd should exit 0 on SIGTERM, got code=${info.code} signal=${info.signal}; stderr:\n${tail(this.stderr)}`);
  }

  async kill9() {
    const proc = this.proc;
    if (!proc) return;
    this.proc = null;
    proc.expectExit = true;
    if (!proc.exitInfo) proc.kill('SIGKILL');
    await proc.exited;
  }

  async restart() {
    if (this.proc) await this.stop();
    await this._start();
    return this;
  }

  // Sanitizer output, unexpected exits, header violations. Returns a list of strings.
  problems() {
    const out = [...this._problems];
    if (SANITIZER_RE.test(this.stderr)) out.push('sanitizer report in server stderr');
    this.responseLog.forEach((h, i) => { if (h.problem) out.push(`response #${i + 1} ${h.method} ${h.url} -> ${h.status}: ${h.problem}`); });
    return out;
  }

  assertClean() {
    const p = this.problems();
    if (p.length) {
      throw new assert.AssertionError({ message: `server problems:\n  ${p.join('\n  ')}\nstderr:\n${tail(this.stderr, 200)}` });
    }
  }

  stderrTail(lines) { return tail(this.stderr, lines); }

  // Every response the tests see goes through here: x-request-id, application/json, and the
  // body against the spec (errors against the error envelope, 200s against the operation's
  // schema). Problems are recorded and fail the test that saw them (harness.js).
  _checkResponse(method, url, status, headers, text) {
    const get = (h) => (typeof headers.get === 'function' ? headers.get(h) : headers[h]);
    const problems = [];
    if (!get('x-request-id')) problems.push('no x-request-id header');
    const ct = get('content-type') || '';
    const stream = /^text\/event-stream\b/i.test(ct);
    const binary = /\/files\/[^/]+\/content(\?|$)/.test(url);
    // every JSON endpoint answers application/json; streams and file contents are checked by
    // the tests that use them
    if (!/^application\/json\b/i.test(ct) && !stream && !binary) {
      problems.push(`content-type ${JSON.stringify(ct)}, expected application/json`);
    }
    const apiPath = new URL(url, 'http://x').pathname.replace(/^\/v1(?=\/)/, '');
    if (text !== undefined && !stream && !binary && method !== 'HEAD' && new URL(url, 'http://x').pathname.startsWith('/v1/')) {
      let body;
      try { body = JSON.parse(text); } catch { problems.push(`body is not JSON: ${JSON.stringify(text.slice(0, 200))}`); }
      if (body !== undefined) {
        try { validateResponse(method, apiPath, status, body); } catch (e) { problems.push(`body does not match the spec: ${e.message.split('\nvalue:')[0]}`); }
      }
    }
    this.responseLog.push({ method, url, status, problem: problems.join('; ') || null });
  }

  // The OpenAI SDK client; every response goes through _checkResponse.
  client(apiKey, extra = {}) {
    const OpenAI = require('openai');
    const self = this;
    return new OpenAI({
      baseURL: this.baseURL,
      apiKey: apiKey || 'test',
      maxRetries: 0,
      timeout: 30000,
      ...extra,
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        // only our server's answers (the SDK also fetches data: URLs, e.g. in toFile)
        if (String(url).startsWith(`http://127.0.0.1:${self.port}/`)) {
          const ct = res.headers.get('content-type') || '';
          const text = /event-stream/i.test(ct) ? undefined : await res.clone().text();
          self._checkResponse((init && init.method) || 'GET', String(url), res.status, res.headers, text);
        }
        return res;
      },
    });
  }

  // Raw request; `p` is a path under /v1 (e.g. '/assistants') or an absolute path starting with
  // '//' ('//healthz' -> '/healthz'). Checks headers and body like the SDK client does unless
  // opts.noHeaderCheck.
  async raw(method, p, opts = {}) {
    const urlPath = p.startsWith('//') ? p.slice(1) : `/v1${p}`;
    const apiKey = 'apiKey' in opts ? opts.apiKey : 'test';
    const r = await rawRequest(this.port, method, urlPath, { ...opts, apiKey });
    if (!opts.noHeaderCheck) this._checkResponse(method, urlPath, r.status, r.headers, r.text);
    return r;
  }
}

async function startServer(opts = {}) {
  const srv = new Server(opts);
  try {
    for (const project of opts.keys || []) srv.keys[project] = createKey(srv.dataDir, project, opts.bin);
    await srv._start();
  } catch (e) {
    if (srv.ownsDataDir) fs.rmSync(srv.dataDir, { recursive: true, force: true });
    throw e;
  }
  return srv;
}

module.exports = { startServer, createKey, rawRequest, binExists, BIN, REPO, SANITIZER_RE, tail };
