'use strict';
// Threads: create (no body, empty body, initial messages of every content kind, tool_resources,
// metadata), retrieve, modify, delete (and its messages are gone).

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, expectApiError, expectRawError } = require('./lib/harness');
const { validate, validateList } = require('./lib/spec');
const { assertRecent, assertSubset, assertUserMessage, plain, fileIdOrFake, vectorStoreIdOrFake } = require('./lib/util');

function assertFreshThread(t) {
  validate('ThreadObject', t);
  assert.match(t.id, /^thread_[A-Za-z0-9]+$/);
  assert.equal(t.object, 'thread');
  assertRecent(t.created_at, 'created_at');
  assert.deepEqual(t.metadata, {});
  // required and nullable; the hosted service (and the spec's examples) answer {} for a bare thread
  assert.deepEqual(t.tool_resources, {}, `tool_resources of a bare thread: ${JSON.stringify(t.tool_resources)}`);
}

describe('threads', () => {
  const { srv, it } = useServer();
  let fileId, imageFileId, vsId;
  let rich; // the thread made with everything

  it('setup: files and a vector store', async () => {
    fileId = (await fileIdOrFake(srv(), 'data.csv')).id;
    imageFileId = (await fileIdOrFake(srv(), 'cat.png')).id;
    vsId = (await vectorStoreIdOrFake(srv())).id;
  });

  it('SDK create() with no arguments', async () => {
    const t = await srv().client().beta.threads.create();
    assertFreshThread(t);
  });

  it('raw POST /threads with an empty body (no Content-Type, Content-Length 0)', async () => {
    const r = await srv().raw('POST', '/threads', { body: '' });
    assert.equal(r.status, 200, r.text);
    assertFreshThread(r.json);
  });

  it('raw POST /threads with no body at all and with "{}"', async () => {
    const r1 = await srv().raw('POST', '/threads', {});
    assert.equal(r1.status, 200, r1.text);
    assertFreshThread(r1.json);
    const r2 = await srv().raw('POST', '/threads', { json: {} });
    assert.equal(r2.status, 200, r2.text);
    assertFreshThread(r2.json);
    assert.notEqual(r1.json.id, r2.json.id);
  });

  it('raw POST /threads with an empty body and Content-Type: application/json (what the Python SDK sends)', async () => {
    const r = await srv().raw('POST', '/threads', { body: '', headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 200, r.text);
    assertFreshThread(r.json);
  });

  it('creates a thread with messages (string and parts), tool_resources and metadata', async () => {
    const c = srv().client();
    const body = {
      messages: [
        { role: 'user', content: 'Hello, what is in this picture?', metadata: { n: '1' } },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look at these:' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'high' } },
            { type: 'image_file', image_file: { file_id: imageFileId, detail: 'low' } },
          ],
          attachments: [{ file_id: fileId, tools: [{ type: 'code_interpreter' }] }],
        },
        { role: 'assistant', content: [{ type: 'text', text: 'A cat.' }] },
      ],
      tool_resources: { code_interpreter: { file_ids: [fileId] }, file_search: { vector_store_ids: [vsId] } },
      metadata: { user: 'u-42', topic: 'cats' },
    };
    const t = await c.beta.threads.create(body);
    validate('ThreadObject', t);
    assert.match(t.id, /^thread_/);
    assert.deepEqual(t.metadata, body.metadata);
    assertSubset(t.tool_resources, body.tool_resources, 'tool_resources');
    rich = plain(t);

    const list = await c.beta.threads.messages.list(t.id, { order: 'asc' });
    validateList('MessageObject', list.body);
    const msgs = list.data;
    assert.equal(msgs.length, 3);
    msgs.forEach((m) => assertUserMessage(m, t.id));
    assert.deepEqual(msgs.map((m) => m.role), ['user', 'user', 'assistant']);
    assert.deepEqual(msgs[0].content, [{ type: 'text', text: { value: 'Hello, what is in this picture?', annotations: [] } }]);
    assert.deepEqual(msgs[0].metadata, { n: '1' });
    assert.equal(msgs[1].content.length, 3);
    assert.deepEqual(msgs[1].content[0], { type: 'text', text: { value: 'Look at these:', annotations: [] } });
    assert.deepEqual(msgs[1].content[1], { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'high' } });
    assert.deepEqual(msgs[1].content[2], { type: 'image_file', image_file: { file_id: imageFileId, detail: 'low' } });
    assertSubset(msgs[1].attachments, [{ file_id: fileId, tools: [{ type: 'code_interpreter' }] }], 'attachments');
    assert.deepEqual(msgs[2].content, [{ type: 'text', text: { value: 'A cat.', annotations: [] } }]);
    assert.deepEqual(msgs[2].metadata, {});
    const ts = msgs.map((m) => m.created_at);
    assert.ok(ts[0] <= ts[1] && ts[1] <= ts[2], 'messages keep their order');
  });

  it('image parts without detail are accepted (detail defaults to auto or is left out)', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.jpg' } }] }] });
    validate('ThreadObject', t);
    const list = await c.beta.threads.messages.list(t.id);
    validateList('MessageObject', list.body);
    const part = list.data[0].content[0];
    assert.equal(part.type, 'image_url');
    assert.equal(part.image_url.url, 'https://example.com/a.jpg');
    assert.ok(part.image_url.detail === undefined || part.image_url.detail === 'auto', `detail ${part.image_url.detail}`);
  });

  it('retrieves a thread exactly as created', async () => {
    const t = await srv().client().beta.threads.retrieve(rich.id);
    validate('ThreadObject', t);
    assert.deepEqual(plain(t), rich);
  });

  it('modifies metadata (and keeps tool_resources)', async () => {
    const c = srv().client();
    const metadata = { ...rich.metadata, topic: 'dogs', extra: 'x' };
    const t = await c.beta.threads.update(rich.id, { metadata });
    validate('ThreadObject', t);
    const was = rich;
    rich = plain(t);
    assert.deepEqual(t.metadata, metadata);
    assert.deepEqual(t.tool_resources, was.tool_resources);
    assert.equal(t.created_at, was.created_at);
    assert.deepEqual(plain(await c.beta.threads.retrieve(rich.id)), rich);
  });

  it('modify overrides the tool_resources lists that are given, keeps metadata', async () => {
    const c = srv().client();
    let t = await c.beta.threads.update(rich.id, { tool_resources: { code_interpreter: { file_ids: [] } } });
    validate('ThreadObject', t);
    const was = rich;
    rich = plain(t);
    assert.deepEqual(t.tool_resources.code_interpreter.file_ids, []);
    assert.deepEqual(t.metadata, was.metadata);
    t = await c.beta.threads.update(rich.id, { tool_resources: { code_interpreter: { file_ids: [fileId] }, file_search: { vector_store_ids: [] } } });
    validate('ThreadObject', t);
    rich = plain(t);
    assert.deepEqual(t.tool_resources.code_interpreter.file_ids, [fileId]);
    assert.deepEqual(t.tool_resources.file_search.vector_store_ids, []);
    assert.deepEqual(plain(await c.beta.threads.retrieve(rich.id)), rich);
  });

  it('modify with an empty body changes nothing', async () => {
    const t = await srv().client().beta.threads.update(rich.id, {});
    validate('ThreadObject', t);
    assert.deepEqual(plain(t), rich);
  });

  it('modify rejects fields other than tool_resources and metadata (messages)', async () => {
    const r = await srv().raw('POST', `/threads/${rich.id}`, { json: { messages: [{ role: 'user', content: 'x' }] } });
    expectRawError(r, 400, { param: 'messages' });
  });

  it('deletes a thread; the thread and its messages are then 404', async () => {
    const c = srv().client();
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'bye' }] });
    const msgs = await c.beta.threads.messages.list(t.id);
    assert.equal(msgs.data.length, 1);
    const mid = msgs.data[0].id;
    const d = await c.beta.threads.delete(t.id);
    validate('DeleteThreadResponse', d);
    assert.deepEqual(plain(d), { id: t.id, object: 'thread.deleted', deleted: true });
    const e = await expectApiError(c.beta.threads.retrieve(t.id), 404);
    assert.match(e.error.message, new RegExp(t.id));
    await expectApiError(c.beta.threads.update(t.id, { metadata: { a: 'b' } }), 404);
    await expectApiError(c.beta.threads.delete(t.id), 404);
    await expectApiError(c.beta.threads.messages.list(t.id), 404);
    await expectApiError(c.beta.threads.messages.retrieve(mid, { thread_id: t.id }), 404);
    await expectApiError(c.beta.threads.messages.create(t.id, { role: 'user', content: 'again' }), 404);
    await expectApiError(c.beta.threads.messages.update(mid, { thread_id: t.id, metadata: {} }), 404);
    await expectApiError(c.beta.threads.messages.delete(mid, { thread_id: t.id }), 404);
  });

  it('unknown thread ids are 404', async () => {
    const c = srv().client();
    await expectApiError(c.beta.threads.retrieve('thread_doesnotexist0000'), 404);
    await expectApiError(c.beta.threads.messages.list('thread_doesnotexist0000'), 404);
    await expectApiError(c.beta.threads.messages.create('thread_doesnotexist0000', { role: 'user', content: 'x' }), 404);
  });

  it('other threads are untouched by the deletes', async () => {
    const t = await srv().client().beta.threads.retrieve(rich.id);
    assert.deepEqual(plain(t), rich);
  });
});
