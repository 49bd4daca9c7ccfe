'use strict';
// The code_interpreter tool in runs: a fake upstream scripted to call code_interpreter, then
// to answer. Checks the tool_calls step (input, logs and image outputs), what the model sees
// (the output, or the traceback), state kept between calls of a thread, a chart becoming an
// image output, an image_file part and a PNG to download, input files (a CSV attachment at
// /mnt/data/<file id> and under its name), a file written becoming a File linked with a
// file_path annotation, streaming through the SDK's helpers, the demo model's "python" path,
// and a run failing with the reason when the sandbox cannot run.

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { toFile } = require('openai');
const { useServer, useUpstreamServer } = require('./lib/harness');
const { validate, validateEvent } = require('./lib/spec');
const { plain } = require('./lib/util');

const POLL = { pollIntervalMs: 50 };
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const codeCall = (code) => ({ toolCalls: [{ name: 'code_interpreter', arguments: { code } }] });

async function download(c, id) {
  const res = await c.files.content(id);
  return Buffer.from(await res.arrayBuffer());
}

// Runs a thread with the message to completion; returns { t, run, steps (asc), msgs }.
async function runOnce(c, asst, message, extra = {}) {
  const t = await c.beta.threads.create({ messages: [{ role: 'user', content: message, ...extra }] });
  const run = await c.beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id }, POLL);
  const steps = await c.beta.threads.runs.steps.list(run.id, { thread_id: t.id, order: 'asc' });
  const msgs = await c.beta.threads.messages.list(t.id, { run_id: run.id });
  for (const s of steps.data) validate('RunStepObject', plain(s));
  for (const m of msgs.data) validate('MessageObject', plain(m));
  return { t, run, steps: steps.data, msgs: msgs.data };
}

// The code_interpreter calls of a run's steps, in order.
const ciCalls = (steps) => steps.filter((s) => s.type === 'tool_calls')
  .flatMap((s) => s.step_details.tool_calls).filter((x) => x.type === 'code_interpreter');

// The tool message the model got for call id in the upstream requests.
function toolMessage(up, id) {
  for (const rq of up.requests) {
    const m = rq.messages.find((x) => x.role === 'tool' && x.tool_call_id === id);
    if (m) return m.content;
  }
  return undefined;
}

describe('code_interpreter in runs (fake upstream)', () => {
  const { srv, it, up } = useUpstreamServer();
  const c = () => srv().client();
  let asst;

  it('setup: an assistant with code_interpreter', async () => {
    asst = await c().beta.assistants.create({ model: 'gpt-4o', tools: [{ type: 'code_interpreter' }] });
  });

  it('print(6*7): the step has the input and logs "42", and the model sees them', async () => {
    up().script([codeCall('print(6*7)'), { text: 'It is 42.' }]);
    const n = up().requests.length;
    const { run, steps, msgs } = await runOnce(c(), asst, 'What is 6*7?');
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    const fn = up().requests[n].tools.find((x) => x.function.name === 'code_interpreter');
    assert.ok(fn, 'code_interpreter offered as a function');
    assert.deepEqual(fn.function.parameters.required, ['code']);
    assert.match(up().requests[n].messages[0].content, /sandbox:\/mnt\/data/);
    const [call] = ciCalls(steps);
    assert.equal(call.code_interpreter.input, 'print(6*7)');
    assert.deepEqual(plain(call.code_interpreter.outputs), [{ type: 'logs', logs: '42\n' }]);
    assert.deepEqual(Object.keys(call.code_interpreter).sort(), ['input', 'outputs'], 'server-only members hidden');
    assert.equal(toolMessage(up(), call.id), '42\n');
    assert.ok(steps[0].usage.total_tokens > 0, 'usage in the step');
    assert.equal(msgs[0].content[0].text.value, 'It is 42.');
  });

  it('state is kept across calls in a thread', async () => {
    up().script([codeCall('x = 20\nimport math'), codeCall('print(x + 22, math.floor(2.5))'), { text: 'done' }]);
    const { run, steps } = await runOnce(c(), asst, 'twice');
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    const calls = ciCalls(steps);
    assert.equal(calls.length, 2);
    assert.deepEqual(plain(calls[0].code_interpreter.outputs), []);
    assert.equal(toolMessage(up(), calls[0].id), '(no output)');
    assert.deepEqual(plain(calls[1].code_interpreter.outputs), [{ type: 'logs', logs: '42 2\n' }]);
  });

  it('an exception comes back as logs with the traceback, and the run goes on', async () => {
    up().script([codeCall('1/0'), { text: 'Division by zero.' }]);
    const { run, steps } = await runOnce(c(), asst, 'divide');
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    const [call] = ciCalls(steps);
    assert.equal(call.code_interpreter.outputs[0].type, 'logs');
    assert.match(call.code_interpreter.outputs[0].logs, /Traceback[\s\S]*ZeroDivisionError/);
    assert.match(toolMessage(up(), call.id), /ZeroDivisionError/);
  });

  it('a CSV attachment is at /mnt/data/<file id> and under its name', async () => {
    const csv = 'city,temp\nOslo,4\nRome,18\nCairo,30\n';
    const f = await c().files.create({ file: await toFile(Buffer.from(csv), 'temps.csv'), purpose: 'assistants' });
    const code = `import csv\nrows = list(csv.DictReader(open('/mnt/data/${f.id}')))\n` +
      "same = open('/mnt/data/temps.csv').read() == open('/mnt/data/" + f.id + "').read()\n" +
      "print(len(rows), sum(int(r['temp']) for r in rows) / len(rows), same)";
    // A later call sees the file as the code left it, not put back as uploaded.
    const edit = "open('/mnt/data/temps.csv', 'a').write('Lima,19\\n')";
    const count = "print(len(open('/mnt/data/temps.csv').readlines()))";
    up().script([codeCall(code), codeCall(edit), codeCall(count), { text: 'Three cities, mean 17.3.' }]);
    const n = up().requests.length;
    const { run, steps } = await runOnce(c(), asst, 'Summarise the CSV',
      { attachments: [{ file_id: f.id, tools: [{ type: 'code_interpreter' }] }] });
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    const fn = up().requests[n].tools.find((x) => x.function.name === 'code_interpreter');
    assert.ok(fn.function.description.includes(`/mnt/data/${f.id} (also /mnt/data/temps.csv)`),
      'the model is told both names');
    const calls = ciCalls(steps);
    assert.deepEqual(plain(calls[0].code_interpreter.outputs), [{ type: 'logs', logs: `3 ${52 / 3} True\n` }]);
    assert.deepEqual(plain(calls[2].code_interpreter.outputs), [{ type: 'logs', logs: '5\n' }]);
  });

  it('a file written becomes a File, linked in the reply with a file_path annotation', async () => {
    const reply = 'Here it is: [report](sandbox:/mnt/data/out/report.txt).';
    up().script([codeCall("import os\nos.makedirs('/mnt/data/out', exist_ok=True)\nopen('/mnt/data/out/report.txt', 'w').write('all good')"),
      { text: reply }]);
    const { run, steps, msgs } = await runOnce(c(), asst, 'write a report');
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    const [call] = ciCalls(steps);
    assert.match(toolMessage(up(), call.id), /sandbox:\/mnt\/data\/out\/report\.txt/);
    const text = msgs[0].content[0].text;
    assert.equal(text.value, reply);
    assert.equal(text.annotations.length, 1);
    const a = text.annotations[0];
    assert.equal(a.type, 'file_path');
    assert.equal(a.text, 'sandbox:/mnt/data/out/report.txt');
    assert.equal([...text.value].slice(a.start_index, a.end_index).join(''), a.text);
    const file = await c().files.retrieve(a.file_path.file_id);
    assert.equal(file.purpose, 'assistants_output');
    assert.equal(file.filename, 'report.txt');
    assert.equal((await download(c(), file.id)).toString(), 'all good');
  });

  it('streamed with the SDK helpers: input deltas, a chart as image output and image_file part', async () => {
    const code = "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9])\nplt.title('squares \\u00e9')\nprint('drawn')";
    up().script([codeCall(code), { text: 'Here is the chart.' }]);
    const t = await c().beta.threads.create({ messages: [{ role: 'user', content: 'chart please' }] });
    const created = [];
    const inputs = [];
    const done = [];
    const images = [];
    const names = [];
    const s = c().beta.threads.runs.stream(t.id, { assistant_id: asst.id })
      .on('toolCallCreated', (tc) => created.push(plain(tc)))
      .on('toolCallDelta', (d) => { if (d.code_interpreter?.input) inputs.push(d.code_interpreter.input); })
      .on('toolCallDone', (tc) => done.push(plain(tc)))
      .on('imageFileDone', (img) => images.push(plain(img)))
      .on('event', (e) => { validateEvent(e.event, plain(e.data)); names.push(e.event); });
    const run = await s.finalRun();
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    assert.equal(created.length, 1);
    assert.equal(created[0].type, 'code_interpreter');
    // The input deltas (merged when the reader lags) add up to the code, decoded.
    assert.ok(inputs.length >= 1, 'input deltas');
    assert.equal(inputs.join(''), code);
    assert.equal(done.length, 1);
    assert.equal(done[0].code_interpreter.input, code);
    const outs = done[0].code_interpreter.outputs;
    assert.deepEqual(outs.map((o) => o.type), ['logs', 'image']);
    assert.equal(outs[0].logs, 'drawn\n');
    const imageId = outs[1].image.file_id;
    const stepDone = names.indexOf('thread.run.step.completed');
    assert.ok(names.indexOf('thread.run.step.created') < names.indexOf('thread.run.step.delta'));
    assert.ok(names.indexOf('thread.run.step.delta') < stepDone);

    assert.deepEqual(images, [{ file_id: imageId, detail: 'auto' }]);
    const [msg] = await s.finalMessages();
    assert.deepEqual(msg.content.map((p) => p.type), ['image_file', 'text']);
    assert.equal(msg.content[0].image_file.file_id, imageId);
    assert.equal(msg.content[1].text.value, 'Here is the chart.');
    const png = await download(c(), imageId);
    assert.ok(png.subarray(0, 8).equals(PNG), 'PNG bytes');
    assert.equal((await c().files.retrieve(imageId)).purpose, 'assistants_output');
  });
});

describe('code_interpreter without a sandbox', () => {
  const { srv, it, up } = useUpstreamServer(['--sandbox-bwrap', '/nonexistent/bwrap']);
  const c = () => srv().client();

  it('a run that calls it fails, saying why', async () => {
    const asst = await c().beta.assistants.create({ model: 'gpt-4o', tools: [{ type: 'code_interpreter' }] });
    up().script([codeCall('print(1)'), { text: 'never' }]);
    const { run } = await runOnce(c(), asst, 'run it');
    assert.equal(run.status, 'failed');
    assert.equal(run.last_error.code, 'server_error');
    assert.match(run.last_error.message, /code_interpreter is unavailable/);
    assert.match(run.last_error.message, /bubblewrap|bwrap/);
  });
});

describe('code_interpreter with the demo model', () => {
  const { srv, it } = useServer({ args: ['--demo-delay-ms', '0'] });
  const c = () => srv().client();

  it('"python <code>" runs the code and reports its output', async () => {
    const asst = await c().beta.assistants.create({ model: 'gpt-4o', tools: [{ type: 'code_interpreter' }] });
    const { run, steps, msgs } = await runOnce(c(), asst,
      "python print(6*7)\nopen('/mnt/data/n.txt', 'w').write('x')");
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    assert.match(ciCalls(steps)[0].code_interpreter.outputs[0].logs, /^42\n$/);
    const text = msgs[0].content[0].text;
    assert.match(text.value, /42/);
    assert.ok(text.annotations.some((a) => a.type === 'file_path'), JSON.stringify(text));
  });

  it('a fenced block is code too', async () => {
    const asst = await c().beta.assistants.create({ model: 'gpt-4o', tools: [{ type: 'code_interpreter' }] });
    const { run, steps } = await runOnce(c(), asst, 'Run this:\n```python\nprint(sum(range(10)))\n```\nthanks');
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    assert.equal(ciCalls(steps)[0].code_interpreter.input, 'print(sum(range(10)))\n');
    assert.equal(ciCalls(steps)[0].code_interpreter.outputs[0].logs, '45\n');
  });
});
