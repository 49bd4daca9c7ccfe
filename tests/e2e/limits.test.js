'use strict';
// --max-body, and many requests at once (the server's worker threads under the sanitizers).

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, expectRawError } = require('./lib/harness');
const { validate, validateList } = require('./lib/spec');

const MAX = 4096;

describe('limits and concurrency', () => {
  const { srv, it } = useServer({ args: ['--max-body', String(MAX)] });

  const bodyOfSize = (n) => {
    // {"model":"gpt-4o","instructions":"xxx..."} of exactly n bytes
    const base = JSON.stringify({ model: 'gpt-4o', instructions: '' });
    return JSON.stringify({ model: 'gpt-4o', instructions: 'x'.repeat(n - base.length) });
  };

  it(`--max-body ${MAX}: a body of exactly ${MAX} bytes is accepted`, async () => {
    const body = bodyOfSize(MAX);
    assert.equal(Buffer.byteLength(body), MAX);
    const r = await srv().raw('POST', '/assistants', { body, headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    validate('AssistantObject', r.json);
  });

  it(`--max-body ${MAX}: ${MAX + 1} bytes -> 413 with the error body, nothing written`, async () => {
    const before = (await srv().raw('GET', '/assistants?limit=100')).json.data.length;
    const r = await srv().raw('POST', '/assistants', { body: bodyOfSize(MAX + 1), headers: { 'Content-Type': 'application/json' } });
    expectRawError(r, 413);
    const after = await srv().raw('GET', '/assistants?limit=100');
    validateList('AssistantObject', after.json);
    assert.equal(after.json.data.length, before);
  });

  it('413 also for a chunked body (no Content-Length) over the limit', async () => {
    const body = bodyOfSize(MAX * 4);
    let chunked = '';
    for (let i = 0; i < body.length; i += 1000) {
      const piece = body.slice(i, i + 1000);
      chunked += `${Buffer.byteLength(piece).toString(16)}\r\n${piece}\r\n`;
    }
    chunked += '0\r\n\r\n';
    const r = await srv().raw('POST', '/assistants', { body: chunked, headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } });
    expectRawError(r, 413);
  });

  it('a chunked body under the limit is read', async () => {
    const body = JSON.stringify({ model: 'gpt-4o', name: 'chunky' });
    const chunked = `${Buffer.byteLength(body.slice(0, 10)).toString(16)}\r\n${body.slice(0, 10)}\r\n${Buffer.byteLength(body.slice(10)).toString(16)}\r\n${body.slice(10)}\r\n0\r\n\r\n`;
    const r = await srv().raw('POST', '/assistants', { body: chunked, headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } });
    assert.equal(r.status, 200, r.text);
    validate('AssistantObject', r.json);
    assert.equal(r.json.name, 'chunky');
  });

  it('50 concurrent creates: all succeed with unique ids, all listed', async () => {
    const c = srv().client();
    const before = (await c.beta.assistants.list({ limit: 100 })).data.length;
    const made = await Promise.all(Array.from({ length: 50 }, (_, i) => c.beta.assistants.create({ model: 'gpt-4o', name: `c${i}` })));
    made.forEach((a) => validate('AssistantObject', a));
    assert.equal(new Set(made.map((a) => a.id)).size, 50);
    const all = [];
    for await (const a of c.beta.assistants.list({ limit: 100 })) all.push(a.id);
    assert.equal(all.length, before + 50);
  });

  it('concurrent messages into one thread: all stored, order consistent with created_at', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create();
    const made = await Promise.all(Array.from({ length: 30 }, (_, i) => c.beta.threads.messages.create(t.id, { role: 'user', content: `p${i}` })));
    assert.equal(new Set(made.map((m) => m.id)).size, 30);
    const list = await c.beta.threads.messages.list(t.id, { order: 'asc', limit: 100 });
    validateList('MessageObject', list.body);
    assert.equal(list.data.length, 30);
    for (let i = 1; i < list.data.length; i++) assert.ok(list.data[i - 1].created_at <= list.data[i].created_at, 'asc by created_at');
  });

  it('a mix of concurrent reads, writes and deletes does not break anything', async () => {
    const c = srv().client();
    const base = await Promise.all(Array.from({ length: 10 }, () => c.beta.assistants.create({ model: 'gpt-4o' })));
    const ops = [];
    for (const a of base) {
      ops.push(c.beta.assistants.retrieve(a.id).catch((e) => e));
      ops.push(c.beta.assistants.update(a.id, { name: 'u' }).catch((e) => e));
      ops.push(c.beta.assistants.delete(a.id).catch((e) => e));
      ops.push(c.beta.assistants.list({ limit: 5 }).catch((e) => e));
    }
    const res = await Promise.all(ops);
    for (const r of res) {
      if (r instanceof Error) assert.equal(r.status, 404, `only 404s (raced with a delete) are acceptable: ${r.message}`);
    }
    for (const a of base) {
      const r = await srv().raw('GET', `/assistants/${a.id}`);
      expectRawError(r, 404);
    }
  });
});
