'use strict';
// Two server processes on one data directory (two nodes sharing a store): a poll helper's
// held retrieve on node B of a run that node A drives is released by A's progress, which
// reaches B through the store's change notifications (the run event log's run:<id> topic),
// not by B's hold running out.

const test = require('node:test');
const { describe } = test;
const assert = require('node:assert/strict');
const { useUpstreamServer } = require('./lib/harness');
const { startServer } = require('./lib/server');
const { validate } = require('./lib/spec');

// promise, or a failure naming what never happened after ms.
function within(promise, what, ms = 20000) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

// B holds a poll up to a minute: only a notification from A can answer it within the test's
// 20 s.
const HOLD_MS = '60000';
const POLL = { 'X-Stainless-Poll-Helper': 'true' };

describe('held polls on another node', () => {
  const { srv, it, up } = useUpstreamServer(['--poll-hold-ms', HOLD_MS]);
  let b = null;
  let asst;

  it('setup: node B on node A\'s data directory, and an assistant', async () => {
    b = await startServer({ dataDir: srv().dataDir, args: ['--upstream-url', up().url, '--poll-hold-ms', HOLD_MS] });
    asst = await srv().client().beta.assistants.create({ model: 'gpt-4o' });
  });

  it('a held poll on B returns the completed run as soon as A completes it', async () => {
    const t = await srv().client().beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
    up().script({ text: 'one two three', delayMs: 300 });
    const run = await srv().client().beta.threads.runs.create(t.id, { assistant_id: asst.id });
    const path = `/threads/${t.id}/runs/${run.id}`;
    let got = await within(b.raw('GET', path, { headers: POLL }), 'B\'s held poll to answer');
    assert.equal(got.status, 200, got.text);
    // A poll that began while the run was queued or in_progress answers once it moved; the
    // helper polls again until it has ended.
    while (['queued', 'in_progress'].includes(got.json.status)) {
      got = await within(b.raw('GET', path, { headers: POLL }), 'B\'s next held poll');
    }
    validate('RunObject', got.json);
    assert.equal(got.json.status, 'completed');
    const msgs = await b.client().beta.threads.messages.list(t.id, { run_id: run.id });
    assert.equal(msgs.data[0].content[0].text.value, 'one two three');
  });

  it('polls on B see a run A leaves in requires_action, then held polls see it complete after outputs on A', async () => {
    const c = b.client();
    const a = await srv().client().beta.assistants.create({
      model: 'gpt-4o',
      tools: [{ type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } }],
    });
    const t = await srv().client().beta.threads.create({ messages: [{ role: 'user', content: 'time?' }] });
    up().script({ toolCalls: [{ name: 'get_time', arguments: '{}' }], delayMs: 200 });
    const run = await srv().client().beta.threads.runs.create(t.id, { assistant_id: a.id });
    const waiting = await within(c.beta.threads.runs.poll(run.id, { thread_id: t.id }), 'requires_action seen on B');
    validate('RunObject', JSON.parse(JSON.stringify(waiting)));
    assert.equal(waiting.status, 'requires_action');
    const call = waiting.required_action.submit_tool_outputs.tool_calls[0];
    up().script({ text: 'noon', delayMs: 300 });
    const queued = await srv().client().beta.threads.runs.submitToolOutputs(run.id, { thread_id: t.id, tool_outputs: [{ tool_call_id: call.id, output: '12:00' }] });
    assert.equal(queued.status, 'queued');
    // On SQLite, B may answer from a read a few milliseconds older than A's last write (see
    // STORE_WATCH_POLL_MS): a requires_action answer comes at once and the helper asks again.
    const path = `/threads/${t.id}/runs/${run.id}`;
    const seen = [];
    for (let i = 0; i < 100 && seen[seen.length - 1] !== 'completed'; i++) {
      const got = await within(b.raw('GET', path, { headers: POLL }), 'B\'s held poll to answer');
      assert.equal(got.status, 200, got.text);
      seen.push(got.json.status);
    }
    assert.equal(seen[seen.length - 1], 'completed', seen.join(' '));
    // Once B has seen the run move on, it never goes back.
    const moved = seen.findIndex((st) => st !== 'requires_action');
    assert.ok(seen.slice(moved).every((st) => st !== 'requires_action'), seen.join(' '));
  });

  it('node B stops cleanly', async () => {
    await b.stop();
    b = null;
  });

  test.after(async () => { if (b) await b.stop(); });
});
