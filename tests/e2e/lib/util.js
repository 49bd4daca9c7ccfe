'use strict';
// util.js - small assertions shared by the test files.

const assert = require('node:assert/strict');
const { validate } = require('./spec');

const nowSec = () => Math.floor(Date.now() / 1000);

// created_at & co: an integer Unix-seconds timestamp within `slack` seconds of now.
function assertRecent(ts, what = 'timestamp', slack = 120) {
  assert.ok(Number.isInteger(ts), `${what} must be an integer, got ${JSON.stringify(ts)}`);
  assert.ok(Math.abs(ts - nowSec()) <= slack, `${what} ${ts} is not close to now (${nowSec()}): seconds, not ms?`);
}

// Every key of `expected` must be in `actual` with a matching value; arrays must have the same
// length and match element by element; extra keys in actual objects are allowed.
function assertSubset(actual, expected, where = '') {
  if (expected === null || typeof expected !== 'object') {
    assert.deepEqual(actual, expected, `${where || '(value)'}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${where}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${where}: expected ${expected.length} items, got ${actual.length}: ${JSON.stringify(actual)}`);
    expected.forEach((e, i) => assertSubset(actual[i], e, `${where}[${i}]`));
    return;
  }
  assert.ok(actual && typeof actual === 'object' && !Array.isArray(actual), `${where}: expected an object, got ${JSON.stringify(actual)}`);
  for (const [k, v] of Object.entries(expected)) {
    assert.ok(Object.prototype.hasOwnProperty.call(actual, k), `${where}.${k} is missing in ${JSON.stringify(actual)}`);
    assertSubset(actual[k], v, `${where}.${k}`);
  }
}

// Strip the SDK's non-enumerable/enumerable extras (_request_id) for deepEqual comparisons.
function plain(obj) { return JSON.parse(JSON.stringify(obj)); }

// Upload a real file / create a real vector store if the server has those endpoints (a later
// issue); otherwise fall back to ids that look right. Tests that reference files work either way.
// Whether the endpoints exist is asked with a list (GET, no body): only "Invalid URL" (404)
// means "not there yet". Any other failure of the list or of the create, or an answer without
// an id, fails the test that asked.
async function routeExists(list) {
  try {
    await list();
    return true;
  } catch (e) {
    if (e && e.status === 404 && /^Invalid URL/.test(e.error?.message ?? '')) return false;
    throw e;
  }
}
function idOf(obj, what) {
  assert.ok(obj && typeof obj.id === 'string', `${what} answered without an id: ${JSON.stringify(obj)}`);
  return obj.id;
}
async function fileIdOrFake(srv, name = 'notes.txt') {
  const c = srv.client();
  if (!(await routeExists(() => c.files.list()))) {
    return { id: 'file-e2eFake' + Math.random().toString(36).slice(2, 10), real: false };
  }
  const { toFile } = require('openai');
  const file = await toFile(Buffer.from('hello from the e2e tests\n'), name);
  return { id: idOf(await c.files.create({ file, purpose: 'assistants' }), 'files.create'), real: true };
}
async function vectorStoreIdOrFake(srv) {
  const c = srv.client();
  if (!(await routeExists(() => c.vectorStores.list()))) {
    return { id: 'vs_e2eFake' + Math.random().toString(36).slice(2, 10), real: false };
  }
  return { id: idOf(await c.vectorStores.create({ name: 'e2e' }), 'vectorStores.create'), real: true };
}

// A rejected SDK call: returns the error.
async function rejects(promise) {
  try { await promise; } catch (e) { return e; }
  assert.fail('expected the call to fail, but it succeeded');
}

// A message a client wrote (create message, or a thread's initial messages): valid, completed
// at once, and owned by no assistant and no run.
function assertUserMessage(m, threadId) {
  validate('MessageObject', m);
  assert.match(m.id, /^msg_[A-Za-z0-9]+$/);
  assert.equal(m.object, 'thread.message');
  assert.equal(m.thread_id, threadId);
  assertRecent(m.created_at, 'created_at');
  assert.equal(m.status, 'completed');
  assert.equal(m.incomplete_details, null);
  assert.equal(m.incomplete_at, null);
  assert.ok(Number.isInteger(m.completed_at) && m.completed_at >= m.created_at, `completed_at ${m.completed_at}`);
  assert.equal(m.assistant_id, null);
  assert.equal(m.run_id, null);
}

// Waits until the vector store has no file in progress; returns it.
async function settled(c, vs, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await c.vectorStores.retrieve(vs);
    if (v.file_counts.in_progress === 0) return v;
    assert.ok(Date.now() < end, `vector store ${vs} still in progress: ${JSON.stringify(v.file_counts)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

module.exports = { nowSec, assertRecent, assertUserMessage, assertSubset, plain, fileIdOrFake, vectorStoreIdOrFake, rejects, settled };
