'use strict';
// Streaming runs and function calling with the built-in demo model: the SSE wire format and
// event order, the SDK's stream helpers (runs.stream, createAndRunStream,
// submitToolOutputsStream), submitToolOutputsAndPoll, parallel tool calls, and the 400s of
// submit_tool_outputs. Every streamed event is checked against the spec.

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, expectApiError } = require('./lib/harness');
const { validate, validateEvent } = require('./lib/spec');
const { plain } = require('./lib/util');

const WEATHER = {
  type: 'function',
  function: {
    name: 'get_weather', description: 'Weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const TIME = { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } };

// POSTs body to path (under /v1) and reads the whole event stream: [{event, data}], data parsed
// (except [DONE]), each event validated against the spec.
async function sse(srv, path, body) {
  const res = await fetch(`${srv.baseURL}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer test', 'OpenAI-Beta': 'assistants=v2' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(res.headers.get('content-type'), /^text\/event-stream/);
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  assert.ok(res.headers.get('x-request-id'));
  const raw = await res.text();
  assert.ok(raw.endsWith('event: done\ndata: [DONE]\n\n'), `stream end: ${JSON.stringify(raw.slice(-80))}`);
  return raw.split('\n\n').filter(Boolean).map((block) => {
    const lines = block.split('\n');
    assert.equal(lines.length, 2, `one event line and one data line: ${JSON.stringify(block.slice(0, 200))}`);
    assert.ok(lines[0].startsWith('event: ') && lines[1].startsWith('data: '), block.slice(0, 200));
    const event = lines[0].slice(7);
    const text = lines[1].slice(6);
    const data = event === 'done' ? text : JSON.parse(text);
    validateEvent(event, data);
    return { event, data };
  });
}

// Collapses runs of the same event name: [a, b, b, c] -> [a, b..., c].
function shape(events) {
  const out = [];
  for (const { event } of events) {
    const last = out[out.length - 1];
    if (last === event || last === `${event}...`) out[out.length - 1] = `${event}...`;
    else out.push(event);
  }
  return out;
}

const PLAIN_RUN = [
  'thread.run.created', 'thread.run.queued', 'thread.run.in_progress',
  'thread.run.step.created', 'thread.run.step.in_progress',
  'thread.message.created', 'thread.message.in_progress', 'thread.message.delta...',
  'thread.message.completed', 'thread.run.step.completed', 'thread.run.completed', 'done',
];

describe('streaming runs and tools (demo model)', () => {
  const { srv, it } = useServer();
  let asst;

  it('setup: an assistant with two function tools', async () => {
    asst = await srv().client().beta.assistants.create({ model: 'gpt-4o', tools: [WEATHER, TIME] });
  });

  it('raw stream: spec events in the documented order, ending with [DONE]', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'one two three' }] });
    const ev = await sse(srv(), `/threads/${t.id}/runs`, { assistant_id: asst.id, stream: true });
    assert.deepEqual(shape(ev), PLAIN_RUN);
    const run = ev[0].data;
    assert.equal(run.status, 'queued');
    ev.filter((e) => e.event.startsWith('thread.run.') && !e.event.includes('step')).forEach((e) => assert.equal(e.data.id, run.id));
    const deltas = ev.filter((e) => e.event === 'thread.message.delta');
    const streamed = deltas.map((d) => d.data.delta.content.map((p) => p.text.value).join('')).join('');
    const done = ev.find((e) => e.event === 'thread.message.completed').data;
    assert.equal(streamed, 'You said: one two three');
    assert.equal(done.content[0].text.value, streamed);
    assert.equal(done.run_id, run.id);
    const step = ev.find((e) => e.event === 'thread.run.step.completed').data;
    assert.equal(step.step_details.message_creation.message_id, done.id);
    const end = ev.find((e) => e.event === 'thread.run.completed').data;
    assert.ok(end.usage && Number.isInteger(end.completed_at));
    // the stored run agrees with the last event
    const stored = await c.beta.threads.runs.retrieve(run.id, { thread_id: t.id });
    assert.equal(stored.status, 'completed');
    assert.deepEqual(plain(stored.usage), end.usage);
  });

  it('raw create-thread-and-run stream starts with thread.created', async () => {
    const ev = await sse(srv(), '/threads/runs', {
      assistant_id: asst.id, stream: true, thread: { messages: [{ role: 'user', content: 'hi' }] },
    });
    assert.deepEqual(shape(ev), ['thread.created', ...PLAIN_RUN]);
    assert.equal(ev[1].data.thread_id, ev[0].data.id);
  });

  it('SDK runs.stream: textDelta callbacks, finalRun and finalMessages', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'stream me please' }] });
    let deltas = '';
    const events = [];
    const s = c.beta.threads.runs.stream(t.id, { assistant_id: asst.id })
      .on('textDelta', (d) => { deltas += d.value; })
      .on('event', (e) => { validateEvent(e.event, plain(e.data)); events.push(e.event); });
    const run = await s.finalRun();
    validate('RunObject', plain(run));
    assert.equal(run.status, 'completed');
    const msgs = await s.finalMessages();
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0].content[0].text.value, 'You said: stream me please');
    assert.equal(deltas, 'You said: stream me please');
    assert.equal(events[0], 'thread.run.created');
    assert.equal(events.at(-1), 'thread.run.completed');
  });

  it('SDK createAndRunStream', async () => {
    const c = srv().client();
    const s = c.beta.threads.createAndRunStream({ assistant_id: asst.id, thread: { messages: [{ role: 'user', content: 'new one' }] } });
    const seen = [];
    s.on('event', (e) => seen.push(e.event));
    const run = await s.finalRun();
    assert.equal(run.status, 'completed');
    assert.equal(seen[0], 'thread.created');
    assert.equal((await s.finalMessages())[0].content[0].text.value, 'You said: new one');
  });

  it('function calling with polling: requires_action, submitToolOutputsAndPoll, steps', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'call get_weather {"city":"Paris"}' }] });
    const r = await c.beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id }, { pollIntervalMs: 50 });
    validate('RunObject', plain(r));
    assert.equal(r.status, 'requires_action');
    assert.equal(r.required_action.type, 'submit_tool_outputs');
    const calls = r.required_action.submit_tool_outputs.tool_calls;
    assert.equal(calls.length, 1);
    assert.match(calls[0].id, /^call_/);
    assert.equal(calls[0].type, 'function');
    assert.equal(calls[0].function.name, 'get_weather');
    assert.deepEqual(JSON.parse(calls[0].function.arguments), { city: 'Paris' });
    const busy = await expectApiError(c.beta.threads.runs.create(t.id, { assistant_id: asst.id }), 400);
    assert.match(busy.error.message, /already has an active run/);

    const done = await c.beta.threads.runs.submitToolOutputsAndPoll(r.id, {
      thread_id: t.id, tool_outputs: [{ tool_call_id: calls[0].id, output: 'sunny, 21C' }],
    }, { pollIntervalMs: 50 });
    assert.equal(done.status, 'completed');
    assert.equal(done.required_action, null);
    const msgs = await c.beta.threads.messages.list(t.id, { run_id: r.id });
    assert.equal(msgs.data.length, 1);
    assert.equal(msgs.data[0].content[0].text.value, 'Tool get_weather returned: sunny, 21C');

    const steps = await c.beta.threads.runs.steps.list(r.id, { thread_id: t.id, order: 'asc' });
    assert.deepEqual(steps.data.map((s) => [s.type, s.status]), [['tool_calls', 'completed'], ['message_creation', 'completed']]);
    const tc = steps.data[0].step_details.tool_calls[0];
    assert.deepEqual(plain(tc), { id: calls[0].id, type: 'function', function: { name: 'get_weather', arguments: calls[0].function.arguments, output: 'sunny, 21C' } });
  });

  it('submit_tool_outputs 400s: wrong id, missing output, duplicate, not waiting', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'call get_weather {"city":"Oslo"} and call get_time' }] });
    const r = await c.beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id }, { pollIntervalMs: 50 });
    assert.equal(r.status, 'requires_action');
    const [a, b] = r.required_action.submit_tool_outputs.tool_calls;
    assert.ok(a && b, 'two parallel calls');
    const submit = (outs) => c.beta.threads.runs.submitToolOutputs(r.id, { thread_id: t.id, tool_outputs: outs });
    const wrong = await expectApiError(submit([{ tool_call_id: a.id, output: 'x' }, { tool_call_id: 'call_wrong', output: 'y' }]), 400, { param: /^tool_outputs/ });
    assert.match(wrong.error.message, /call_wrong/);
    const missing = await expectApiError(submit([{ tool_call_id: a.id, output: 'x' }]), 400, { param: /^tool_outputs/ });
    assert.match(missing.error.message, new RegExp(b.id));
    await expectApiError(submit([{ tool_call_id: a.id, output: 'x' }, { tool_call_id: a.id, output: 'x' }]), 400, { param: 'tool_outputs[1].tool_call_id' });
    await expectApiError(submit([{ output: 'x' }, { tool_call_id: b.id, output: 'y' }]), 400, { param: 'tool_outputs[0].tool_call_id' });
    await expectApiError(submit([]), 400, { param: /^tool_outputs/ });
    // still waiting: the good submission works
    const ok = await submit([{ tool_call_id: b.id, output: '12:00' }, { tool_call_id: a.id, output: 'rain' }]);
    validate('RunObject', plain(ok));
    assert.ok(['queued', 'in_progress', 'completed'].includes(ok.status), ok.status);
    const end = await c.beta.threads.runs.poll(r.id, { thread_id: t.id }, { pollIntervalMs: 50 });
    assert.equal(end.status, 'completed');
    const msgs = await c.beta.threads.messages.list(t.id, { run_id: r.id });
    assert.equal(msgs.data[0].content[0].text.value, 'Tool get_weather returned: rain\nTool get_time returned: 12:00');
    await expectApiError(submit([{ tool_call_id: a.id, output: 'late' }]), 400);
  });

  it('parallel tool calls over streams: stream to requires_action, submitToolOutputsStream to the end', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'call get_time and call get_weather {"city":"Rome"}' }] });
    const ev1 = await sse(srv(), `/threads/${t.id}/runs`, { assistant_id: asst.id, stream: true });
    const s1 = shape(ev1);
    assert.deepEqual(s1.slice(0, 5), ['thread.run.created', 'thread.run.queued', 'thread.run.in_progress', 'thread.run.step.created', 'thread.run.step.in_progress']);
    assert.deepEqual(s1.slice(-3), ['thread.run.step.delta...', 'thread.run.requires_action', 'done']);
    const run = ev1.at(-2).data;
    const calls = run.required_action.submit_tool_outputs.tool_calls;
    assert.deepEqual(calls.map((x) => x.function.name), ['get_time', 'get_weather']);
    // first delta of each call carries id, type and name; later ones only arguments
    const firstDeltas = ev1.filter((e) => e.event === 'thread.run.step.delta').map((e) => e.data.delta.step_details.tool_calls).flat();
    for (const call of calls) {
      const mine = firstDeltas.filter((d) => d.id === call.id);
      assert.equal(mine.length, 1, `one delta names ${call.id}`);
      assert.equal(mine[0].function.name, call.function.name);
    }

    let text = '';
    const seen = [];
    const s2 = c.beta.threads.runs.submitToolOutputsStream(run.id, {
      thread_id: t.id,
      tool_outputs: [{ tool_call_id: calls[0].id, output: 'noon' }, { tool_call_id: calls[1].id, output: 'warm' }],
    }).on('event', (e) => { validateEvent(e.event, plain(e.data)); seen.push(e.event); })
      .on('textDelta', (d) => { text += d.value; });
    const end = await s2.finalRun();
    assert.equal(end.status, 'completed');
    assert.equal(seen[0], 'thread.run.step.completed', 'the tool_calls step completes first');
    assert.ok(!seen.includes('thread.run.created'));
    assert.ok(seen.includes('thread.run.queued') && seen.includes('thread.run.in_progress'));
    assert.equal(seen.at(-1), 'thread.run.completed');
    assert.equal(text, 'Tool get_time returned: noon\nTool get_weather returned: warm');
  });

  it('raw submit_tool_outputs stream: documented order, ending with [DONE]', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'call get_time' }] });
    const r = await c.beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id }, { pollIntervalMs: 50 });
    const id = r.required_action.submit_tool_outputs.tool_calls[0].id;
    const ev = await sse(srv(), `/threads/${t.id}/runs/${r.id}/submit_tool_outputs`, { tool_outputs: [{ tool_call_id: id, output: '1' }], stream: true });
    assert.deepEqual(shape(ev), ['thread.run.step.completed', ...PLAIN_RUN.slice(1)]);
    assert.equal(ev[0].data.step_details.tool_calls[0].function.output, '1');
  });

  it('a client that leaves a stream early does not disturb the run', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'demo:slow l1 l2 l3 l4' }] });
    const ac = new AbortController();
    const res = await fetch(`${srv().baseURL}/threads/${t.id}/runs`, {
      method: 'POST', signal: ac.signal,
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer test' },
      body: JSON.stringify({ assistant_id: asst.id, stream: true }),
    });
    const reader = res.body.getReader();
    const first = await reader.read();
    assert.match(Buffer.from(first.value).toString(), /thread\.run\.created/);
    ac.abort();
    await reader.read().catch(() => null);
    const runs = await c.beta.threads.runs.list(t.id);
    const end = await c.beta.threads.runs.poll(runs.data[0].id, { thread_id: t.id }, { pollIntervalMs: 50 });
    assert.equal(end.status, 'completed');
  });

  it('many concurrent streams all finish', async () => {
    const c = srv().client();
    const threads = await Promise.all(Array.from({ length: 12 }, (_, i) => c.beta.threads.create({ messages: [{ role: 'user', content: `n${i}` }] })));
    const all = await Promise.all(threads.map((t) => sse(srv(), `/threads/${t.id}/runs`, { assistant_id: asst.id, stream: true })));
    all.forEach((ev, i) => {
      assert.deepEqual(shape(ev), PLAIN_RUN);
      assert.equal(ev.find((e) => e.event === 'thread.message.completed').data.content[0].text.value, `You said: n${i}`);
    });
  });
});
