'use strict';
// harness.js - glue between node:test and one assistd per test file.
//
//   const { useServer } = require('./lib/harness');
//   describe('assistants', () => {
//     const { srv, it } = useServer();        // before: start, after: stop (exit 0, clean stderr)
//     it('creates', async () => { const c = srv().client(); ... });
//   });
//   const { srv, it, up } = useUpstreamServer();  // the same, talking to a fake upstream
//
// The `it` returned here wraps node:test's `it`: when a test fails, the tail of the server's
// stderr is appended to the error; after every test the server is checked for sanitizer reports
// ("AddressSanitizer", "runtime error:"), an unexpected exit, and responses without
// x-request-id / application/json - any of which fails that test.

const fs = require('node:fs');
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, binExists, BIN } = require('./server');
const { dropDb } = require('./pg');

function useServer(opts = {}) {
  let server = null;
  let failed = false;
  const reported = new Set(); // problems already blamed on an earlier test

  test.before(async () => {
    server = await startServer(opts);
  });

  test.after(async () => {
    if (!server) return;
    try {
      await server.stop();
    } catch (e) {
      process.stderr.write(`\n[assistd e2e] server stderr:\n${server.stderrTail(200)}\n`);
      throw e;
    }
    if (!failed && server.ownsDataDir && !process.env.ASSISTD_KEEP_DATA) {
      fs.rmSync(server.dataDir, { recursive: true, force: true });
      dropDb(server.dataDir);
    }
  });

  const srv = () => {
    assert.ok(server, `server not started (binary ${BIN}${binExists() ? '' : ' is missing'})`);
    return server;
  };

  function wrap(fn) {
    return async function wrapped(t) {
      try {
        await fn.call(this, t);
      } catch (e) {
        failed = true;
        if (server && e && typeof e === 'object' && typeof e.message === 'string' && !e.__stderrAdded) {
          e.__stderrAdded = true;
          const extra = `\n--- assistd stderr (tail) ---\n${server.stderrTail(40)}`;
          try { e.message += extra; } catch { /* read-only */ }
          if (e.stack) { try { e.stack += extra; } catch { /* ignore */ } }
        }
        throw e;
      }
      if (server) {
        const p = server.problems();
        const fresh = p.filter((x) => !reported.has(x));
        fresh.forEach((x) => reported.add(x));
        if (fresh.length) {
          failed = true;
          throw new assert.AssertionError({ message: `server problems during this test:\n  ${fresh.join('\n  ')}\n--- assistd stderr (tail) ---\n${server.stderrTail(120)}` });
        }
      }
    };
  }

  const it = (name, optsOrFn, maybeFn) => {
    if (typeof optsOrFn === 'function') return test.it(name, wrap(optsOrFn));
    return test.it(name, optsOrFn, maybeFn && wrap(maybeFn));
  };
  it.skip = (name, fn) => test.it.skip(name, fn);
  it.todo = (name, fn) => test.it.todo(name, fn);

  return { srv, it };
}

// expectError(promise, status) - await an SDK call that must fail with `status`; returns the
// APIError after checking its body shape.
async function expectApiError(promise, status, expect = {}) {
  const { validateError } = require('./spec');
  let err = null;
  try { await promise; } catch (e) { err = e; }
  assert.ok(err, `expected HTTP ${status}, but the call succeeded`);
  assert.equal(err.status, status, `expected HTTP ${status}, got ${err.status}: ${err.message}`);
  validateError({ error: err.error }, expect);
  return err;
}

// expectRawError(response, status, expect) - check a raw response is an error of `status` with a
// spec-shaped body (and param/type/code when given).
function expectRawError(r, status, expect = {}) {
  const { validateError } = require('./spec');
  assert.equal(r.status, status, `expected HTTP ${status}, got ${r.status}: ${r.text.slice(0, 500)}`);
  assert.ok(r.json !== undefined, `error body is not JSON: ${JSON.stringify(r.text.slice(0, 300))}`);
  validateError(r.json, expect);
  return r.json.error;
}

// A useServer whose assistd talks to a fake upstream (tests/fake_upstream) started just before
// it, with any further server arguments; up() is the fake.
function useUpstreamServer(extraArgs = []) {
  const { startFakeUpstream } = require('../../fake_upstream/server');
  const holder = {};
  const opts = { args: extraArgs };
  test.before(async () => {
    holder.up = await startFakeUpstream();
    opts.args = ['--upstream-url', holder.up.url, ...extraArgs];
  });
  test.after(async () => { if (holder.up) await holder.up.close(); });
  const { srv, it } = useServer(opts);
  return { srv, it, up: () => holder.up };
}

module.exports = { useServer, useUpstreamServer, expectApiError, expectRawError };
