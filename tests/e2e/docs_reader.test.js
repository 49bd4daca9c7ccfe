'use strict';
// docs_reader.test.js - the server and its document reader, assistd-docs: the server process
// never loads the libraries of documents (poppler, glib, cairo, libxml2, libzip, ICU), finds
// the reader beside its own executable, and when the reader is missing (or --docs-reader /
// ASSISTD_DOCS_READER names a path that is not one) says so once at start and serves everything
// else. (What the reader extracts: tests/unit.)

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const { startServer, BIN } = require('./lib/server');

const WARNING = 'PDF, HTML, DOCX and PPTX files cannot be read';
const HEAVY_LIBS = /libpoppler|libglib-2\.0|libgobject-2\.0|libcairo|libxml2|libzip|libicu/;

// Starts a server with opts, runs fn(srv), stops it (checking a clean exit).
async function withServer(opts, fn) {
  const srv = await startServer(opts);
  try {
    await fn(srv);
  } finally {
    await srv.stop();
  }
}

function warnings(stderr) {
  return stderr.split('\n').filter((l) => l.includes(WARNING));
}

describe('document reader', () => {
  it('the server process does not load poppler, glib, cairo, libxml2, libzip or ICU', async () => {
    await withServer({}, async (srv) => {
      const maps = fs.readFileSync(`/proc/${srv.proc.pid}/maps`, 'utf8');
      const heavy = maps.split('\n').filter((l) => HEAVY_LIBS.test(l));
      assert.deepEqual(heavy, [], 'libraries only the document reader should load');
    });
  });

  it('finds the reader beside its executable: no warning at start', async () => {
    assert.ok(fs.existsSync(`${BIN}-docs`), `the build puts the reader at ${BIN}-docs`);
    await withServer({}, async (srv) => {
      assert.deepEqual(warnings(srv.stderr), []);
    });
  });

  it('--docs-reader naming a missing program: one warning naming it, the API still serves',
    async () => {
      const missing = '/nonexistent/dir/assistd-docs';
      await withServer({ args: ['--docs-reader', missing] }, async (srv) => {
        const w = warnings(srv.stderr);
        assert.equal(w.length, 1, srv.stderr);
        assert.ok(w[0].includes(`${WARNING}: the document reader ${missing} is missing`), w[0]);
        assert.ok(w[0].includes('--docs-reader (ASSISTD_DOCS_READER)'), w[0]);
        const asst = await srv.client().beta.assistants.create({ model: 'gpt-4o' });
        assert.match(asst.id, /^asst_/);
      });
    });

  it('ASSISTD_DOCS_READER naming a file that is not executable: the same warning', async () => {
    const plain = fs.mkdtempSync('/tmp/assistd-e2e-docs-') + '/assistd-docs';
    fs.writeFileSync(plain, '#!/bin/sh\n', { mode: 0o644 });
    try {
      await withServer({ env: { ASSISTD_DOCS_READER: plain } }, async (srv) => {
        const w = warnings(srv.stderr);
        assert.equal(w.length, 1, srv.stderr);
        assert.ok(w[0].includes(`the document reader ${plain} is missing or not executable`), w[0]);
      });
    } finally {
      fs.rmSync(plain.replace(/\/assistd-docs$/, ''), { recursive: true, force: true });
    }
  });

  it('--help lists --docs-reader and its variable', () => {
    const r = spawnSync(BIN, ['--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout,
      /--docs-reader\s+PATH\s+ASSISTD_DOCS_READER\s+the program that reads PDF, HTML, DOCX and PPTX/);
  });
});
