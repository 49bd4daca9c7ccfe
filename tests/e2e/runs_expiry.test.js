'use strict';
// Run expiry (demo model): a run left waiting for tool outputs expires, its tool_calls step
// too, and late outputs are refused; expires_at says when. A run's expiry counts from its
// creation in whole seconds, and again from each wait for tool outputs, so with --run-expiry 1 a run can expire before it ever waits
// for outputs on a loaded machine: the case that must see requires_action first runs on a
// server with --run-expiry 3 and streams the run, which shows requires_action the moment it
// comes (no poll can miss it).

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, expectApiError } = require('./lib/harness');
const { validate } = require('./lib/spec');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const withTool = (s) => s.client().beta.assistants.create({
  model: 'gpt-4o', tools: [{ type: 'function', function: { name: 'slow_tool', parameters: { type: 'object', properties: {} } } }],
});

describe('run expiry (--run-expiry 1)', () => {
  const { srv, it } = useServer({ args: ['--run-expiry', '1'] });
  let asst;

  it('setup: an assistant with a function tool', async () => { asst = await withTool(srv()); });

  it('a new run expires one second after its creation', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create();
    const r = await c.beta.threads.runs.create(t.id, { assistant_id: asst.id });
    assert.equal(r.expires_at, r.created_at + 1);
  });

});

describe('run expiry (--run-expiry 3)', () => {
  const { srv, it } = useServer({ args: ['--run-expiry', '3'] });
  let asst;

  it('setup: an assistant with a function tool', async () => { asst = await withTool(srv()); });

  it('a run waiting for tool outputs ends expired, and late outputs are refused', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'call slow_tool' }] });
    const stream = c.beta.threads.runs.stream(t.id, { assistant_id: asst.id });
    const names = [];
    stream.on('event', (ev) => names.push(ev.event));
    const r = await stream.finalRun();
    const waited = Math.ceil(Date.now() / 1000);
    assert.equal(r.status, 'requires_action', `${names.join(' ')} ${JSON.stringify(r)}`);
    // The wait for outputs has its own 3 s, from the second the run began waiting.
    assert.ok(r.expires_at >= r.created_at + 3 && r.expires_at <= waited + 3, JSON.stringify(r));
    const end = Date.now() + 10000;
    let x = r;
    while (x.status === 'requires_action' && Date.now() < end) {
      await sleep(100);
      x = await c.beta.threads.runs.retrieve(r.id, { thread_id: t.id });
    }
    validate('RunObject', x);
    assert.equal(x.status, 'expired');
    assert.equal(x.required_action, null);
    const steps = await c.beta.threads.runs.steps.list(r.id, { thread_id: t.id });
    const step = steps.data.find((s) => s.type === 'tool_calls');
    validate('RunStepObject', step);
    assert.equal(step.status, 'expired');
    assert.ok(Number.isInteger(step.expired_at));
    const id = r.required_action.submit_tool_outputs.tool_calls[0].id;
    await expectApiError(c.beta.threads.runs.submitToolOutputs(r.id, { thread_id: t.id, tool_outputs: [{ tool_call_id: id, output: 'late' }] }), 400);
    await expectApiError(c.beta.threads.runs.cancel(r.id, { thread_id: t.id }), 400);
    // the thread is free for the next run
    const next = await c.beta.threads.runs.create(t.id, { assistant_id: asst.id, tool_choice: 'none' });
    assert.equal(next.status, 'queued');
  });
});
