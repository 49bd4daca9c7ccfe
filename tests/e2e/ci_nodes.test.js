'use strict';
// code_interpreter sessions across nodes (two processes on one store): a run created on node B
// for a thread whose sandbox session node A holds is driven by A, so the variables of the
// thread's earlier runs are there, streamed or polled on B; once A is killed with kill -9 a
// run on B starts a new session on B, with the thread's files in /mnt/data: its attachment,
// and a file an earlier call wrote (saved as a File), put back from the blobs. A thread
// deleted on B ends its session on A.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { toFile } = require('openai');
const { startServer } = require('./lib/server');
const { startFakeUpstream } = require('../fake_upstream/server');
const { validateEvent } = require('./lib/spec');
const { plain } = require('./lib/util');

const POLL = { pollIntervalMs: 50 };
const LEASE_MS = 1000;
const codeCall = (code) => ({ toolCalls: [{ name: 'code_interpreter', arguments: { code } }] });

// The sandbox sessions node n has bound to a thread (its /metrics gauge).
async function sessionsOn(n) {
  const m = await n.raw('GET', '//metrics', { noHeaderCheck: true });
  assert.equal(m.status, 200);
  return Number(/^assistd_sandboxes_active (\d+)$/m.exec(m.text)[1]);
}

// The logs of a run's code_interpreter calls, in order, read on node n.
async function logsOf(n, t, run) {
  const steps = await n.client().beta.threads.runs.steps.list(run.id, { thread_id: t.id, order: 'asc' });
  return steps.data.filter((s) => s.type === 'tool_calls')
    .flatMap((s) => s.step_details.tool_calls)
    .map((c) => plain(c.code_interpreter.outputs).map((o) => o.logs).join(''));
}

describe('code_interpreter sessions on two nodes', () => {
  let up;
  let a;
  let b;
  let asst;
  let t;
  before(async () => {
    up = await startFakeUpstream();
    const args = (node) => ['--upstream-url', up.url, '--node-id', node, '--lease-ms', String(LEASE_MS)];
    a = await startServer({ args: args('ci-a') });
    b = await startServer({ args: args('ci-b'), dataDir: a.dataDir });
    asst = await a.client().beta.assistants.create({ model: 'gpt-4o', tools: [{ type: 'code_interpreter' }] });
    const f = await a.client().files.create({ file: await toFile(Buffer.from('a,b\n1,2\n3,4\n'), 'rows.csv'), purpose: 'assistants' });
    t = await a.client().beta.threads.create({ messages: [{ role: 'user', content: 'remember',
      attachments: [{ file_id: f.id, tools: [{ type: 'code_interpreter' }] }] }] });
  });
  after(async () => {
    if (b) await b.stop();
    if (a) await a.stop();
    if (up) await up.close();
  });

  it('a variable set in a run on A is there in a later run created on B', async () => {
    up.script([codeCall("x = 41\nopen('/mnt/data/note.txt', 'w').write('kept')"), { text: 'set' }]);
    const first = await a.client().beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id }, POLL);
    assert.equal(first.status, 'completed', JSON.stringify(first.last_error));
    up.script([codeCall('print(x + 1)'), { text: '42' }]);
    const second = await b.client().beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id }, POLL);
    assert.equal(second.status, 'completed', JSON.stringify(second.last_error));
    assert.deepEqual(await logsOf(b, t, second), ['42\n']);
    assert.match(a.stderr, new RegExp(`run ${second.id} handed to this node`));
  });

  it('streamed on B, from its first event, while A drives it', async () => {
    up.script([codeCall('x += 1\nprint(x)'), { text: 'up' }]);
    const names = [];
    const stream = b.client().beta.threads.runs.stream(t.id, { assistant_id: asst.id });
    for await (const ev of stream) {
      validateEvent(ev.event, plain(ev.data));
      names.push(ev.event);
    }
    const run = await stream.finalRun();
    assert.equal(run.status, 'completed');
    assert.deepEqual(names.slice(0, 3), ['thread.run.created', 'thread.run.queued', 'thread.run.in_progress']);
    assert.equal(names.at(-1), 'thread.run.completed');
    assert.deepEqual(await logsOf(b, t, run), ['42\n']);
    assert.match(a.stderr, new RegExp(`run ${run.id} handed to this node`));
  });

  it('a thread deleted on B ends its session on A', async () => {
    const gone = await a.client().beta.threads.create();
    up.script([codeCall("y = 1"), { text: 'set' }]);
    const run = await a.client().beta.threads.runs.createAndPoll(gone.id, { assistant_id: asst.id }, POLL);
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    const before = await sessionsOn(a);
    assert.ok(before >= 1, `A holds the thread's session (${before})`);
    await b.client().beta.threads.delete(gone.id);
    const until = Date.now() + 10000;
    while (await sessionsOn(a) !== before - 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await sessionsOn(a), before - 1, 'A ended the deleted thread\'s session');
    assert.match(a.stderr, new RegExp(`thread ${gone.id} was deleted: its code_interpreter session ended`));
  });

  it('after kill -9 of A, a run on B starts a new session with the thread\'s files', async () => {
    await a.kill9();
    up.script([codeCall("print('x' in globals(), len(open('/mnt/data/rows.csv').readlines()), " +
      "open('/mnt/data/note.txt').read())"), { text: 'fresh' }]);
    const run = await b.client().beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id }, POLL);
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    assert.deepEqual(await logsOf(b, t, run), ['False 3 kept\n']);
    await a.restart(); // for after()
  });
});
