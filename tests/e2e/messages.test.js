'use strict';
// Messages: create (string and array content, attachments, metadata), retrieve, modify,
// delete, list filters, and isolation between threads.

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, expectApiError, expectRawError } = require('./lib/harness');
const { validate, validateList } = require('./lib/spec');
const { assertRecent, assertSubset, assertUserMessage, plain, fileIdOrFake } = require('./lib/util');

describe('messages', () => {
  const { srv, it } = useServer();
  let thread, other, fileA, fileB;
  let msg; // the message with everything

  it('setup: two threads and two files', async () => {
    const c = srv().client();
    thread = await c.beta.threads.create();
    other = await c.beta.threads.create();
    validate('ThreadObject', thread);
    fileA = (await fileIdOrFake(srv(), 'a.py')).id;
    fileB = (await fileIdOrFake(srv(), 'b.md')).id;
  });

  it('creates a message with string content: one text part, defaults filled in', async () => {
    const m = await srv().client().beta.threads.messages.create(thread.id, { role: 'user', content: 'What is 2 + 2?' });
    assertUserMessage(m, thread.id);
    assert.equal(m.role, 'user');
    assert.deepEqual(m.content, [{ type: 'text', text: { value: 'What is 2 + 2?', annotations: [] } }]);
    assert.deepEqual(m.metadata, {});
    assert.deepEqual(m.attachments, [], 'no attachments: [] (as the hosted service; the schema also allows null)');
  });

  it('creates an assistant-role message with array content, attachments and metadata', async () => {
    const body = {
      role: 'assistant',
      content: [
        { type: 'text', text: 'First part.' },
        { type: 'text', text: 'Second part with "quotes" and ünïcödé.' },
        { type: 'image_url', image_url: { url: 'https://example.com/chart.webp', detail: 'auto' } },
      ],
      attachments: [
        { file_id: fileA, tools: [{ type: 'code_interpreter' }] },
        { file_id: fileB, tools: [{ type: 'file_search' }, { type: 'code_interpreter' }] },
      ],
      metadata: { source: 'e2e', step: '2' },
    };
    const m = await srv().client().beta.threads.messages.create(thread.id, body);
    assertUserMessage(m, thread.id);
    assert.equal(m.role, 'assistant');
    assert.deepEqual(m.content, [
      { type: 'text', text: { value: 'First part.', annotations: [] } },
      { type: 'text', text: { value: 'Second part with "quotes" and ünïcödé.', annotations: [] } },
      { type: 'image_url', image_url: { url: 'https://example.com/chart.webp', detail: 'auto' } },
    ]);
    assertSubset(m.attachments, body.attachments, 'attachments');
    assert.deepEqual(m.metadata, body.metadata);
    msg = plain(m);
  });

  it('retrieves a message exactly as created', async () => {
    const m = await srv().client().beta.threads.messages.retrieve(msg.id, { thread_id: thread.id });
    validate('MessageObject', m);
    assert.deepEqual(plain(m), msg);
  });

  it('modifies metadata only', async () => {
    const c = srv().client();
    const metadata = { ...msg.metadata, step: '3', reviewed: 'true' };
    const m = await c.beta.threads.messages.update(msg.id, { thread_id: thread.id, metadata });
    validate('MessageObject', m);
    const was = msg;
    msg = plain(m);
    assert.deepEqual(msg, { ...was, metadata });
    assert.deepEqual(plain(await c.beta.threads.messages.retrieve(msg.id, { thread_id: thread.id })), msg);
  });

  it('modify rejects content and role (only metadata is modifiable)', async () => {
    let r = await srv().raw('POST', `/threads/${thread.id}/messages/${msg.id}`, { json: { content: 'changed' } });
    expectRawError(r, 400, { param: 'content' });
    r = await srv().raw('POST', `/threads/${thread.id}/messages/${msg.id}`, { json: { role: 'user' } });
    expectRawError(r, 400, { param: 'role' });
    const m = await srv().client().beta.threads.messages.retrieve(msg.id, { thread_id: thread.id });
    assert.deepEqual(plain(m), msg, 'nothing changed');
  });

  it('a message is not visible under another thread (404), and other threads stay empty', async () => {
    const c = srv().client();
    const e = await expectApiError(c.beta.threads.messages.retrieve(msg.id, { thread_id: other.id }), 404);
    assert.match(e.error.message, new RegExp(msg.id));
    await expectApiError(c.beta.threads.messages.update(msg.id, { thread_id: other.id, metadata: { x: 'y' } }), 404);
    await expectApiError(c.beta.threads.messages.delete(msg.id, { thread_id: other.id }), 404);
    const list = await c.beta.threads.messages.list(other.id);
    validateList('MessageObject', list.body);
    assert.deepEqual(list.data, []);
    // still there, unchanged, under its own thread
    assert.deepEqual(plain(await c.beta.threads.messages.retrieve(msg.id, { thread_id: thread.id })), msg);
  });

  it('lists with order, limit, after and before', async () => {
    const c = srv().client();
    const extra = [];
    for (let i = 0; i < 3; i++) extra.push((await c.beta.threads.messages.create(thread.id, { role: 'user', content: `extra ${i}` })).id);
    const all = await c.beta.threads.messages.list(thread.id, { order: 'asc', limit: 100 });
    validateList('MessageObject', all.body);
    const ids = all.data.map((m) => m.id);
    assert.equal(ids.length, 5);
    assert.equal(ids[1], msg.id);
    assert.deepEqual(ids.slice(2), extra);
    all.data.forEach((m) => validate('MessageObject', m));

    const desc = await c.beta.threads.messages.list(thread.id, { limit: 2 });
    validateList('MessageObject', desc.body);
    assert.deepEqual(desc.data.map((m) => m.id), [ids[4], ids[3]]);
    assert.equal(desc.body.has_more, true);

    const after = await c.beta.threads.messages.list(thread.id, { order: 'asc', after: ids[1], limit: 2 });
    validateList('MessageObject', after.body);
    assert.deepEqual(after.data.map((m) => m.id), [ids[2], ids[3]]);
    assert.equal(after.body.has_more, true);

    const before = await c.beta.threads.messages.list(thread.id, { order: 'asc', before: ids[3], limit: 10 });
    validateList('MessageObject', before.body);
    assert.deepEqual(before.data.map((m) => m.id), ids.slice(0, 3));
  });

  it('run_id filter: no runs yet, a made-up run id gives an empty list', async () => {
    const r = await srv().client().beta.threads.messages.list(thread.id, { run_id: 'run_abc123' });
    validateList('MessageObject', r.body);
    assert.deepEqual(r.data, []);
    assert.equal(r.body.has_more, false);
  });

  it('deletes a message: thread.message.deleted, then 404, and it is not listed', async () => {
    const c = srv().client();
    const m = await c.beta.threads.messages.create(thread.id, { role: 'user', content: 'delete me' });
    const d = await c.beta.threads.messages.delete(m.id, { thread_id: thread.id });
    validate('DeleteMessageResponse', d);
    assert.deepEqual(plain(d), { id: m.id, object: 'thread.message.deleted', deleted: true });
    await expectApiError(c.beta.threads.messages.retrieve(m.id, { thread_id: thread.id }), 404);
    await expectApiError(c.beta.threads.messages.update(m.id, { thread_id: thread.id, metadata: {} }), 404);
    await expectApiError(c.beta.threads.messages.delete(m.id, { thread_id: thread.id }), 404);
    const list = await c.beta.threads.messages.list(thread.id, { limit: 100 });
    validateList('MessageObject', list.body);
    assert.ok(!list.data.some((x) => x.id === m.id));
    assert.ok(list.data.some((x) => x.id === msg.id), 'the other messages stay');
  });

  it('unknown message ids are 404 under a real thread', async () => {
    const c = srv().client();
    const e = await expectApiError(c.beta.threads.messages.retrieve('msg_doesnotexist0000', { thread_id: thread.id }), 404);
    assert.match(e.error.message, /msg_doesnotexist0000/);
  });

  it('a long text message round-trips (200 kB)', async () => {
    const c = srv().client();
    const text = 'lorem ipsum dolor sit amet '.repeat(8000).slice(0, 200000);
    const m = await c.beta.threads.messages.create(thread.id, { role: 'user', content: text });
    assertUserMessage(m, thread.id);
    assert.equal(m.content[0].text.value, text);
    const r = await c.beta.threads.messages.retrieve(m.id, { thread_id: thread.id });
    assert.equal(r.content[0].text.value, text);
  });

  it('message traffic leaves the thread as it was, but for the store its file_search attachment made', async () => {
    const t = await srv().client().beta.threads.retrieve(thread.id);
    validate('ThreadObject', t);
    const { tool_resources: res, ...rest } = plain(t);
    const { tool_resources: before, ...was } = plain(thread);
    assert.deepEqual(rest, was);
    assert.deepEqual(before, {});
    assert.deepEqual(Object.keys(res), ['file_search']);
    const vs = res.file_search.vector_store_ids;
    assert.equal(vs.length, 1);
    const files = (await srv().client().vectorStores.files.list(vs[0])).data.map((f) => f.id);
    assert.deepEqual(files, [fileB]);
  });
});
