'use strict';
// server.test.js - checks the fake upstream itself: `node --test tests/fake_upstream/`.
const test = require('node:test');
const assert = require('node:assert');
const { startFakeUpstream } = require('./server.js');

async function post(up, body) {
  return fetch(`${up.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi there' }],
      stream: true, stream_options: { include_usage: true }, ...body }),
  });
}

// The data payloads of an SSE body, JSON-parsed except for [DONE].
function events(text) {
  return text.split('\n\n').filter((e) => e.startsWith('data: '))
    .map((e) => e.slice(6)).map((d) => (d === '[DONE]' ? d : JSON.parse(d)));
}

test('streams text, tool calls, errors and the fallback in order', async () => {
  const up = await startFakeUpstream();
  try {
    up.script([{ text: 'hello big world', usage: { prompt_tokens: 9 } },
      { toolCalls: [{ name: 'f', arguments: { a: 1 } }, { name: 'g', arguments: '{}' }] },
      { status: 429, headers: { 'retry-after': '2' } }, { nonStream: true, text: 'whole' }]);
    let ev = events(await (await post(up)).text());
    assert.strictEqual(ev[0].choices[0].delta.role, 'assistant');
    assert.strictEqual(ev.slice(1, 4).map((c) => c.choices[0].delta.content).join(''),
      'hello big world');
    assert.strictEqual(ev[4].choices[0].finish_reason, 'stop');
    assert.deepStrictEqual(ev[5].choices, []);
    assert.strictEqual(ev[5].usage.prompt_tokens, 9);
    assert.strictEqual(ev[6], '[DONE]');

    ev = events(await (await post(up)).text());
    const args = ['', ''];
    for (const c of ev.slice(1, -3)) {
      for (const tc of c.choices[0].delta.tool_calls) args[tc.index] += tc.function.arguments;
    }
    assert.deepStrictEqual(JSON.parse(args[0]), { a: 1 });
    assert.strictEqual(args[1], '{}');
    assert.strictEqual(ev.at(-3).choices[0].finish_reason, 'tool_calls');

    const r = await post(up);
    assert.strictEqual(r.status, 429);
    assert.strictEqual(r.headers.get('retry-after'), '2');
    assert.match((await r.json()).error.message, /429/);

    const whole = await post(up);
    assert.match(whole.headers.get('content-type'), /application\/json/);
    assert.strictEqual((await whole.json()).choices[0].message.content, 'whole');

    ev = events(await (await post(up, { stream: false })).text());
    assert.strictEqual(ev.length, 0); // fallback "ok", but not streamed
    assert.strictEqual(up.requests.length, 5);
    assert.strictEqual(up.requests[0].model, 'm');
  } finally {
    await up.close();
  }
});

test('endless and hanging replies end when the client leaves; close() still works', async () => {
  const up = await startFakeUpstream();
  up.script([{ endless: true, delayMs: 5 }, { hang: true }]);
  const r = await post(up);
  const reader = r.body.getReader();
  await reader.read();
  await reader.cancel();
  const hanging = fetch(`${up.url}/chat/completions`, { method: 'POST', body: '{}' })
    .catch(() => 'closed');
  await new Promise((resolve) => setTimeout(resolve, 50));
  await up.close();
  assert.strictEqual(await hanging, 'closed');
});

test('malformed and cut streams', async () => {
  const up = await startFakeUpstream();
  try {
    up.script([{ malformed: true }, { disconnectAfterChunks: 2 }]);
    const text = await (await post(up)).text();
    assert.throws(() => events(text));
    const cut = await post(up);
    await assert.rejects(cut.text());
  } finally {
    await up.close();
  }
});

test('embeddings: hashed bag-of-words vectors, dimensions, scripted errors', async () => {
  const up = await startFakeUpstream();
  const embed = (body) => fetch(`${up.url}/embeddings`, { method: 'POST',
    headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const cos = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
  try {
    up.scriptEmbeddings([{ status: 429, headers: { 'retry-after': '1' } }]);
    let r = await embed({ model: 'e', input: ['x'] });
    assert.strictEqual(r.status, 429);
    assert.strictEqual(r.headers.get('retry-after'), '1');
    r = await embed({ model: 'e', dimensions: 64,
      input: ['red apples and green apples', 'green apples', 'quantum chromodynamics'] });
    const { data } = await r.json();
    assert.deepStrictEqual(data.map((d) => [d.index, d.embedding.length]),
      [[0, 64], [1, 64], [2, 64]]);
    assert.ok(Math.abs(cos(data[0].embedding, data[0].embedding) - 1) < 1e-5);
    assert.ok(cos(data[0].embedding, data[1].embedding) > 0.5);
    assert.ok(Math.abs(cos(data[0].embedding, data[2].embedding)) < 0.5);
    assert.strictEqual(up.embeddingRequests.length, 2);
    assert.strictEqual(up.requests.length, 0);
  } finally {
    await up.close();
  }
});

test('models: the default list, scripted lists, errors and raw bodies, counted', async () => {
  const up = await startFakeUpstream();
  const get = () => fetch(`${up.url}/models`);
  try {
    up.scriptModels([{ data: [{ id: 'a', object: 'model', created: 1, owned_by: 'x' }] },
      { status: 404 }, { raw: 'not json' }]);
    assert.deepStrictEqual((await (await get()).json()).data.map((m) => m.id), ['a']);
    assert.strictEqual((await get()).status, 404);
    assert.strictEqual(await (await get()).text(), 'not json');
    assert.deepStrictEqual((await (await get()).json()).data.map((m) => m.id), ['fake-model']);
    assert.strictEqual(up.modelRequests(), 4);
  } finally {
    await up.close();
  }
});
