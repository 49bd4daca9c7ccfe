'use strict';
// Two nodes on one store (two processes on one SQLite data directory): a cancel, tool outputs
// or a thread deletion sent to the node that is not driving the run gets the answer one node
// gives, and acts on the run; a node that hangs past its lease loses the run to the other,
// and its client's stream goes on with the other node's events to the end; a node killed
// with kill -9 has its runs finished by the other once their leases lapse.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { startFakeUpstream } = require('../fake_upstream/server');
const { streamRun, waitTerminal } = require('./lib/midrun');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const LEASE_MS = 1000;
const TEXT = 'one two three four five six seven eight nine ten eleven twelve';

describe('two nodes on one store', () => {
  let up;
  let a;
  let b;
  before(async () => {
    up = await startFakeUpstream();
    const args = (node) => ['--upstream-url', up.url, '--node-id', node, '--lease-ms', String(LEASE_MS)];
    a = await startServer({ args: args('node-a') });
    b = await startServer({ args: args('node-b'), dataDir: a.dataDir });
  });
  after(async () => {
    if (b) await b.stop();
    if (a) await a.stop();
    if (up) await up.close();
  });

  async function setup(tools) {
    const asst = await a.client().beta.assistants.create({ model: 'gpt-4o', tools });
    const t = await a.client().beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
    return { asst, t };
  }

  it('a cancel sent to the other node cancels the run the first node drives', async () => {
    up.script({ text: TEXT, delayMs: 200 });
    const { asst, t } = await setup();
    const { runId, rest } = await streamRun(a, t.id, { assistant_id: asst.id }, 2);
    const cancelled = await b.client().beta.threads.runs.cancel(runId, { thread_id: t.id });
    assert.equal(cancelled.id, runId);
    assert.equal(cancelled.status, 'cancelling');
    const raw = await rest; // node a's stream ends as on one node
    assert.match(raw, /event: thread\.run\.cancelled\n/);
    assert.ok(raw.endsWith('event: done\ndata: [DONE]\n\n'), raw.slice(-200));
    const run = await waitTerminal(b.client(), runId, t.id);
    assert.equal(run.status, 'cancelled');
    const again = await b.raw('POST', `/threads/${t.id}/runs/${runId}/cancel`);
    assert.equal(again.status, 400);
    assert.match(again.json.error.message, /Cannot cancel run with status 'cancelled'/);
  });

  it('tool outputs sent to the other node: it takes the run over and streams the rest', async () => {
    up.script([{ toolCalls: [{ name: 'now', arguments: {} }] }, { text: 'it is noon' }]);
    const { asst, t } = await setup([{ type: 'function', function: { name: 'now' } }]);
    const run = await a.client().beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id });
    assert.equal(run.status, 'requires_action');
    const call = run.required_action.submit_tool_outputs.tool_calls[0];
    const stream = b.client().beta.threads.runs.submitToolOutputsStream(run.id,
      { thread_id: t.id, tool_outputs: [{ tool_call_id: call.id, output: '12:00' }] });
    const names = [];
    for await (const ev of stream) names.push(ev.event);
    assert.equal(names[0], 'thread.run.step.completed');
    assert.equal(names[names.length - 1], 'thread.run.completed');
    const done = await a.client().beta.threads.runs.retrieve(run.id, { thread_id: t.id });
    assert.equal(done.status, 'completed');
    const msgs = await a.client().beta.threads.messages.list(t.id);
    assert.equal(msgs.data[0].content[0].text.value, 'it is noon');
    // both nodes now refuse more outputs the same way
    for (const n of [a, b]) {
      const r = await n.raw('POST', `/threads/${t.id}/runs/${run.id}/submit_tool_outputs`,
        { json: { tool_outputs: [{ tool_call_id: call.id, output: 'x' }] } });
      assert.equal(r.status, 400);
      assert.match(r.json.error.message, /Runs in status 'completed' do not accept tool outputs/);
    }
  });

  it('a cancel of a run waiting for outputs, sent to the other node, ends it at once', async () => {
    up.script({ toolCalls: [{ name: 'now', arguments: {} }] });
    const { asst, t } = await setup([{ type: 'function', function: { name: 'now' } }]);
    const run = await a.client().beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id });
    assert.equal(run.status, 'requires_action');
    const cancelled = await b.client().beta.threads.runs.cancel(run.id, { thread_id: t.id });
    assert.equal(cancelled.status, 'cancelled');
    const steps = await a.client().beta.threads.runs.steps.list(run.id, { thread_id: t.id });
    assert.deepEqual(steps.data.map((s) => s.status), ['cancelled']);
  });

  it('deleting the thread on the other node stops the model call of the driving node', async () => {
    up.script({ endless: true, delayMs: 50 });
    const { asst, t } = await setup();
    const abortedBefore = up.aborted();
    const { rest } = await streamRun(a, t.id, { assistant_id: asst.id }, 2);
    const del = await b.client().beta.threads.delete(t.id);
    assert.equal(del.deleted, true);
    const raw = await rest;
    assert.match(raw, /event: thread\.run\.cancelled\n/);
    for (let i = 0; i < 100 && up.aborted() === abortedBefore; i++) await sleep(20);
    assert.equal(up.aborted(), abortedBefore + 1);
  });

  it('deleting the assistant on the other node cancels its run on the driving node', async () => {
    up.script({ endless: true, delayMs: 50 });
    const { asst, t } = await setup();
    const { runId, rest } = await streamRun(a, t.id, { assistant_id: asst.id }, 2);
    const del = await b.client().beta.assistants.delete(asst.id);
    assert.equal(del.deleted, true);
    const raw = await rest;
    assert.match(raw, /event: thread\.run\.cancelled\n/);
    const run = await waitTerminal(b.client(), runId, t.id);
    assert.equal(run.status, 'cancelled');
  });

  it('a node that hangs past its lease: its stream goes on with the new owner\'s events', async () => {
    up.script([{ text: TEXT, delayMs: 150 }, { text: TEXT }]);
    const { asst, t } = await setup();
    const { runId, rest } = await streamRun(a, t.id, { assistant_id: asst.id }, 2);
    await sleep(100); // its events so far are in the log (written within a few ms)
    process.kill(a.proc.pid, 'SIGSTOP');
    let run;
    try {
      run = await waitTerminal(b.client(), runId, t.id);
    } finally {
      process.kill(a.proc.pid, 'SIGCONT');
    }
    assert.equal(run.status, 'completed');
    const raw = await rest;
    const names = [...raw.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    const once = (n) => names.filter((x) => x === n).length;
    assert.equal(once('thread.run.created'), 1);
    assert.equal(once('thread.run.completed'), 1, names.join(' '));
    assert.equal(names[names.length - 2], 'thread.run.completed');
    assert.ok(raw.endsWith('event: done\ndata: [DONE]\n\n'), raw.slice(-200));
    const done = raw.match(/event: thread\.message\.completed\ndata: (.+)\n/);
    assert.ok(done, names.join(' '));
    assert.equal(JSON.parse(done[1]).content[0].text.value, TEXT); // the new owner's reply
    assert.match(b.stderr, new RegExp(`run ${runId} taken over`));
    assert.match(a.stderr, new RegExp(`run ${runId}: another node took it over`));
  });

  it('kill -9 of the driving node: the other node finishes its run, the reply whole', async () => {
    up.script([{ text: TEXT, delayMs: 150 }, { text: TEXT }]);
    const { asst, t } = await setup();
    const { runId } = await streamRun(a, t.id, { assistant_id: asst.id }, 2);
    await a.kill9();
    const run = await waitTerminal(b.client(), runId, t.id);
    assert.equal(run.status, 'completed');
    const msgs = await b.client().beta.threads.messages.list(t.id, { order: 'asc' });
    assert.deepEqual(msgs.data.map((m) => m.role), ['user', 'assistant']);
    assert.equal(msgs.data[1].content[0].text.value, TEXT);
    assert.match(b.stderr, new RegExp(`run ${runId} taken over`));
    await a.restart(); // for after()
  });
});
