'use strict';
// pg.js - the PostgreSQL pass of the e2e suite: one fresh database per data directory.
//
// scripts/test.sh runs the whole suite twice: on SQLite, then with ASSISTD_TEST_PG set to the
// socket directory of a throwaway cluster (scripts/pg.sh). In that pass every data directory a
// test uses gets an empty database of its own, made on first use, and the server and the
// `assistd keys` command run with ASSISTD_DATABASE_URL naming it (dbEnv); a server restarted
// on the same data directory finds its database again. The file bytes stay in the data
// directory, as on a node that shares it.
//
// PENDING is the one list of test files that do not run in the PostgreSQL pass yet, each with
// the reason; scripts/test.sh leaves them out of that pass.

const path = require('node:path');
const { execFileSync, execFile } = require('node:child_process');

const PG_DIR = process.env.ASSISTD_TEST_PG || '';
const PG = PG_DIR !== '';
const PG_SH = path.resolve(__dirname, '..', '..', '..', 'scripts', 'pg.sh');

// Every file runs in the PostgreSQL pass: the list stays for a file that cannot yet, with why.
const PENDING = [];

const dbs = new Map(); // data directory -> database name
let made = 0;

// The URL of the database of dataDir, creating it on first use; null outside the PG pass.
function dbUrl(dataDir) {
  if (!PG) return null;
  let name = dbs.get(dataDir);
  if (!name) {
    name = `e2e_${process.pid}_${++made}`;
    execFileSync(PG_SH, ['createdb', PG_DIR, name], { stdio: ['ignore', 'ignore', 'pipe'] });
    dbs.set(dataDir, name);
  }
  return `postgresql://postgres@/${name}?host=${PG_DIR}`;
}

// The environment a server or CLI on dataDir needs: ASSISTD_DATABASE_URL in the PG pass.
function dbEnv(dataDir) {
  return PG ? { ASSISTD_DATABASE_URL: dbUrl(dataDir) } : {};
}

// Drops the database of dataDir (when the data directory goes), in the background.
function dropDb(dataDir) {
  const name = dbs.get(dataDir);
  if (!name) return;
  dbs.delete(dataDir);
  execFile(PG_SH, ['dropdb', PG_DIR, name], () => {});
}

module.exports = { PG, PENDING, dbUrl, dbEnv, dropDb };
