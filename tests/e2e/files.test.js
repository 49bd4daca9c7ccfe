'use strict';
// Files: upload (toFile and a read stream), list (purpose, limit, order, after), retrieve,
// download byte for byte (text, binary, several MB), delete (the blob goes too), expires_after
// and expiry, the errors of a bad upload, the upload limit (413, nothing left on disk), auth and
// projects, and a server killed mid-upload (no half-file visible after the restart).

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const OpenAI = require('openai');
const { toFile } = OpenAI;
const { useServer, expectApiError, expectRawError } = require('./lib/harness');
const { validate, validateList } = require('./lib/spec');
const { assertRecent, rejects } = require('./lib/util');

function assertFile(f, { filename, bytes, purpose = 'assistants' }) {
  validate('OpenAIFile', f);
  assert.match(f.id, /^file-[A-Za-z0-9]{24}$/);
  assert.equal(f.object, 'file');
  assert.equal(f.filename, filename);
  assert.equal(f.bytes, bytes);
  assert.equal(f.purpose, purpose);
  assert.equal(f.status, 'processed');
  assert.equal(f.status_details, null);
  assertRecent(f.created_at, 'created_at');
}

async function download(c, id) {
  const res = await c.files.content(id);
  return { buf: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

// Names in <dataDir>/files: committed blobs and temporaries.
function blobNames(srv) {
  const dir = path.join(srv.dataDir, 'files');
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

// A multipart body for raw requests: fields is [[name, value]], file is {name, filename, data}.
function multipart(fields, file) {
  const boundary = `----e2e${crypto.randomBytes(8).toString('hex')}`;
  const parts = [];
  for (const [name, value] of fields) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`, 'latin1'));
  }
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`));
    parts.push(file.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

describe('files: upload, list, retrieve, download, delete', () => {
  const { srv, it } = useServer();
  const made = [];

  it('uploads with toFile and returns the File object', async () => {
    const c = srv().client();
    const f = await c.files.create({ file: await toFile(Buffer.from('hello, files\n'), 'hello.txt'), purpose: 'assistants' });
    assertFile(f, { filename: 'hello.txt', bytes: 13 });
    assert.equal(f.expires_at, null);
    made.push(f);
    assert.deepEqual(await c.files.retrieve(f.id), f);
  });

  it('uploads a binary file from a read stream and downloads it byte for byte', async () => {
    const c = srv().client();
    const data = crypto.randomBytes(300 * 1024);
    const p = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'assistd-files-')), 'blob.bin');
    fs.writeFileSync(p, data);
    const f = await c.files.create({ file: fs.createReadStream(p), purpose: 'user_data' });
    assertFile(f, { filename: 'blob.bin', bytes: data.length, purpose: 'user_data' });
    made.push(f);
    const { buf, headers } = await download(c, f.id);
    assert.ok(buf.equals(data), 'downloaded bytes differ from the upload');
    assert.equal(headers.get('content-type'), 'application/octet-stream');
    assert.equal(headers.get('content-disposition'), 'attachment; filename="blob.bin"');
    fs.rmSync(path.dirname(p), { recursive: true, force: true });
  });

  it('round-trips a multi-MB file, with the content type of its name', async () => {
    const c = srv().client();
    const data = Buffer.alloc(6 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 64 * 1024) crypto.randomBytes(64 * 1024).copy(data, i);
    const f = await c.files.create({ file: await toFile(data, 'big.pdf'), purpose: 'assistants' });
    assertFile(f, { filename: 'big.pdf', bytes: data.length });
    made.push(f);
    const { buf, headers } = await download(c, f.id);
    assert.equal(buf.length, data.length);
    assert.ok(buf.equals(data), 'downloaded bytes differ from the upload');
    assert.equal(headers.get('content-type'), 'application/pdf');
    assert.equal(headers.get('content-length'), String(data.length));
  });

  it('keeps a non-ASCII file name and encodes it in Content-Disposition', async () => {
    const c = srv().client();
    const f = await c.files.create({ file: await toFile(Buffer.from('{}'), 'naïve résumé.json'), purpose: 'assistants' });
    assertFile(f, { filename: 'naïve résumé.json', bytes: 2 });
    made.push(f);
    const { buf, headers } = await download(c, f.id);
    assert.equal(buf.toString(), '{}');
    assert.equal(headers.get('content-type'), 'application/json');
    assert.equal(headers.get('content-disposition'), "attachment; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.json");
  });

  it('accepts an empty file', async () => {
    const c = srv().client();
    const f = await c.files.create({ file: await toFile(Buffer.alloc(0), 'empty.txt'), purpose: 'assistants' });
    assertFile(f, { filename: 'empty.txt', bytes: 0 });
    made.push(f);
    assert.equal((await download(c, f.id)).buf.length, 0);
  });

  it('lists newest first by default, filters by purpose, pages with limit and after', async () => {
    const c = srv().client();
    const page = await c.files.list();
    validateList('OpenAIFile', page.body ?? JSON.parse(JSON.stringify(page)));
    const ids = page.data.map((f) => f.id);
    assert.deepEqual(ids, made.map((f) => f.id).reverse());
    const asc = await c.files.list({ order: 'asc' });
    assert.deepEqual(asc.data.map((f) => f.id), made.map((f) => f.id));
    const user = await c.files.list({ purpose: 'user_data' });
    assert.deepEqual(user.data.map((f) => f.id), [made[1].id]);
    assert.deepEqual((await c.files.list({ purpose: 'batch' })).data, []);
    const first = await srv().raw('GET', '/files?limit=2&order=asc');
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.json.data.map((f) => f.id), [made[0].id, made[1].id]);
    assert.equal(first.json.has_more, true);
    const next = await srv().raw('GET', `/files?limit=2&order=asc&after=${first.json.last_id}`);
    assert.deepEqual(next.json.data.map((f) => f.id), [made[2].id, made[3].id]);
    const all = [];
    for await (const f of c.files.list({ limit: 2, order: 'asc' })) all.push(f.id);
    assert.deepEqual(all, made.map((f) => f.id));
  });

  it('refuses a limit outside 1..10000 and an unknown cursor', async () => {
    for (const limit of [0, 10001]) {
      const r = await srv().raw('GET', `/files?limit=${limit}`);
      expectRawError(r, 400, { param: 'limit' });
    }
    assert.equal((await srv().raw('GET', '/files?limit=10000')).status, 200);
    const r = await srv().raw('GET', '/files?after=file-nosuchfile');
    expectRawError(r, 400, { param: 'after' });
  });

  it('answers 404 for a file that does not exist', async () => {
    const c = srv().client();
    await expectApiError(c.files.retrieve('file-nosuchfile'), 404);
    await expectApiError(c.files.content('file-nosuchfile'), 404);
    await expectApiError(c.files.delete('file-nosuchfile'), 404);
    await expectApiError(c.files.retrieve('asst_wrongkind'), 404);
  });

  it('deletes a file: the object, its bytes and its place in the list', async () => {
    const c = srv().client();
    const f = made.shift();
    assert.ok(blobNames(srv()).includes(f.id));
    const d = await c.files.delete(f.id);
    validate('DeleteFileResponse', d);
    assert.deepEqual({ ...d }, { id: f.id, object: 'file', deleted: true });
    await expectApiError(c.files.retrieve(f.id), 404);
    await expectApiError(c.files.content(f.id), 404);
    assert.ok(!(await c.files.list()).data.some((x) => x.id === f.id));
    assert.ok(!blobNames(srv()).includes(f.id), 'the blob is still on disk');
  });

  it('sets expires_at from expires_after, and batch files expire after 30 days', async () => {
    const c = srv().client();
    const f = await c.files.create({ file: await toFile(Buffer.from('x'), 'x.txt'), purpose: 'assistants', expires_after: { anchor: 'created_at', seconds: 7200 } });
    assertFile(f, { filename: 'x.txt', bytes: 1 });
    assert.equal(f.expires_at, f.created_at + 7200);
    const b = await c.files.create({ file: await toFile(Buffer.from('{}\n'), 'b.jsonl'), purpose: 'batch' });
    assertFile(b, { filename: 'b.jsonl', bytes: 3, purpose: 'batch' });
    assert.equal(b.expires_at, b.created_at + 30 * 24 * 3600);
  });

  it('refuses bad uploads with the error envelope, leaving nothing behind', async () => {
    const c = srv().client();
    const before = blobNames(srv());
    const file = await toFile(Buffer.from('x'), 'x.txt');
    await expectApiError(c.files.create({ file, purpose: 'nonsense' }), 400, { param: 'purpose' });
    await expectApiError(c.files.create({ file: await toFile(Buffer.from('x'), 'x.txt') }), 400, { param: 'purpose' });
    await expectApiError(c.files.create({ purpose: 'assistants' }), 400, { param: 'file' });
    await expectApiError(c.files.create({ file: await toFile(Buffer.from('x'), 'x.txt'), purpose: 'assistants_output' }), 400, { param: 'purpose' });
    for (const seconds of [60, 2592001]) {
      await expectApiError(c.files.create({ file: await toFile(Buffer.from('x'), 'x.txt'), purpose: 'assistants', expires_after: { anchor: 'created_at', seconds } }), 400, { param: 'expires_after.seconds' });
    }
    await expectApiError(c.files.create({ file: await toFile(Buffer.from('x'), 'x.txt'), purpose: 'assistants', expires_after: { anchor: 'last_active_at', seconds: 3600 } }), 400, { param: 'expires_after.anchor' });
    for (const purpose of ['batch', 'fine-tune']) {
      const e = await expectApiError(c.files.create({ file: await toFile(Buffer.from('{}'), 'x.json'), purpose }), 400, { param: 'file' });
      assert.match(e.message, /Must be \.jsonl/);
    }
    const json = await srv().raw('POST', '/files', { json: { purpose: 'assistants' } });
    expectRawError(json, 400);
    assert.match(json.json.error.message, /multipart\/form-data/);
    const plainField = multipart([['purpose', 'assistants'], ['file', 'not a file']]);
    const r = await srv().raw('POST', '/files', { body: plainField.body, headers: { 'Content-Type': plainField.contentType } });
    expectRawError(r, 400, { param: 'file' });
    // Field names are the client's: one that is not UTF-8, or a known name's parent sent as a
    // plain field, is refused by name and never crashes the server.
    for (const fields of [[['purpose', 'assistants'], ['expires_after', 'x'], ['expires_after[seconds]', '3600']],
      [['purpose', 'assistants'], [Buffer.from([0xff, 0xfe]).toString('latin1'), 'x']]]) {
      const m = multipart(fields, { name: 'file', filename: 'a.txt', data: Buffer.from('abc') });
      const bad = await srv().raw('POST', '/files', { body: m.body, headers: { 'Content-Type': m.contentType } });
      expectRawError(bad, 400);
      assert.match(bad.json.error.message, /^Unknown parameter/);
    }
    const cut = multipart([['purpose', 'assistants']], { name: 'file', filename: 'a.txt', data: Buffer.from('abc') });
    const r2 = await srv().raw('POST', '/files', { body: cut.body.subarray(0, cut.body.length - 20), headers: { 'Content-Type': cut.contentType } });
    expectRawError(r2, 400);
    assert.deepEqual(blobNames(srv()), before);
  });
});

describe('files: size limit', () => {
  const { srv, it } = useServer({ args: ['--max-file-bytes', '65536'] });

  it('accepts a file of exactly the limit', async () => {
    const f = await srv().client().files.create({ file: await toFile(Buffer.alloc(65536, 7), 'max.bin'), purpose: 'assistants' });
    assertFile(f, { filename: 'max.bin', bytes: 65536 });
    await srv().client().files.delete(f.id);
  });

  it('answers 413 for a larger file and keeps no blob', async () => {
    const err = await expectApiError(srv().client().files.create({ file: await toFile(crypto.randomBytes(200 * 1024), 'big.bin'), purpose: 'assistants' }), 413, { param: 'file' });
    assert.match(err.message, /65536 bytes/);
    assert.deepEqual(blobNames(srv()), []);
    assert.deepEqual((await srv().client().files.list()).data, []);
  });

  it('answers 413 before reading a body announced far over the limit', async () => {
    const r = await srv().raw('POST', '/files', { body: Buffer.alloc(16 * 1024 * 1024), headers: { 'Content-Type': 'multipart/form-data; boundary=x' } });
    expectRawError(r, 413);
    assert.deepEqual(blobNames(srv()), []);
  });
});

describe('files: keys and projects', () => {
  const { srv, it } = useServer({ keys: ['projA', 'projB'] });

  it('refuses an upload without a valid key before taking the body', async () => {
    const f = await toFile(Buffer.from('secret'), 's.txt');
    const e = await rejects(srv().client('sk-wrong').files.create({ file: f, purpose: 'assistants' }));
    assert.equal(e.status, 401, `expected 401, got ${e.status}: ${e.message}`);
    const m = multipart([['purpose', 'assistants']], { name: 'file', filename: 'a.txt', data: Buffer.from('abc') });
    const r = await srv().raw('POST', '/files', { apiKey: null, body: m.body, headers: { 'Content-Type': m.contentType } });
    expectRawError(r, 401);
    assert.deepEqual(blobNames(srv()), []);
  });

  it('a 1 MB upload with a bad key is an AuthenticationError (401), not a connection error, 20 times in a row', async () => {
    // The SDK writes the whole body before it reads the answer: the server drops the body it
    // refused and answers once it is in (see docs/ARCHITECTURE.md).
    const data = crypto.randomBytes(1 << 20);
    const client = srv().client('sk-wrong');
    for (let i = 0; i < 20; i++) {
      const e = await rejects(client.files.create({ file: await toFile(data, 'big.bin'), purpose: 'assistants' }));
      assert.ok(e instanceof OpenAI.AuthenticationError, `attempt ${i}: ${e.constructor.name} ${e.status}: ${e.message}`);
      assert.equal(e.status, 401);
      assert.equal(e.error.code, 'invalid_api_key');
    }
    assert.deepEqual(blobNames(srv()), []);
  });

  it('shows, serves and deletes a file only in its own project', async () => {
    const a = srv().client(srv().keys.projA);
    const b = srv().client(srv().keys.projB);
    const f = await a.files.create({ file: await toFile(Buffer.from('mine'), 'mine.txt'), purpose: 'vision' });
    assert.equal((await download(a, f.id)).buf.toString(), 'mine');
    await expectApiError(b.files.retrieve(f.id), 404);
    await expectApiError(b.files.content(f.id), 404);
    await expectApiError(b.files.delete(f.id), 404);
    assert.deepEqual((await b.files.list()).data, []);
    assert.deepEqual((await a.files.list()).data.map((x) => x.id), [f.id]);
  });
});

// Sends the head and the first part of a multipart upload, and leaves the socket open.
function startUpload(port, total) {
  const boundary = 'e2ekill';
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.bin"\r\n\r\n`;
  const sock = net.connect({ host: '127.0.0.1', port });
  sock.on('error', () => {});
  sock.write(`POST /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\n` +
    `Content-Length: ${head.length + total}\r\n\r\n${head}`);
  sock.write(Buffer.alloc(256 * 1024, 1));
  return sock;
}

async function waitFor(cond, what) {
  for (let i = 0; i < 800; i++) { // up to 20 s: a loaded machine notices a closed socket late
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('files: crashes and expiry', () => {
  // The server's wall clock runs this many seconds ahead (test builds only).
  const skewFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'assistd-skew-')), 'skew');
  fs.writeFileSync(skewFile, '0');
  const { srv, it } = useServer({ env: { ASSISTD_TEST_CLOCK_SKEW_FILE: skewFile } });

  it('a client that goes away mid-upload leaves nothing behind', async () => {
    const sock = startUpload(srv().port, 4 * 1024 * 1024);
    await waitFor(() => blobNames(srv()).some((n) => n.startsWith('.tmp-')), 'the upload to reach the disk');
    sock.destroy();
    await waitFor(() => blobNames(srv()).length === 0, 'the temporary to be removed');
    assert.deepEqual((await srv().client().files.list()).data, []);
  });

  it('after kill -9 mid-upload, no half-file is visible and the temporary is removed', async () => {
    const sock = startUpload(srv().port, 4 * 1024 * 1024);
    await waitFor(() => blobNames(srv()).some((n) => n.startsWith('.tmp-')), 'the upload to reach the disk');
    await srv().kill9();
    sock.destroy();
    // A blob whose row never got written (a crash between rename and commit).
    fs.writeFileSync(path.join(srv().dataDir, 'files', 'file-orphanXXXXXXXXXXXXXXXXXX'), 'orphan');
    await srv().restart();
    assert.deepEqual(blobNames(srv()), []);
    assert.deepEqual((await srv().client().files.list()).data, []);
  });

  it('a file past its expires_at is gone at once, bytes included, and stays gone after a restart', async () => {
    const c = srv().client();
    const keep = await c.files.create({ file: await toFile(Buffer.from('k'), 'keep.txt'), purpose: 'assistants' });
    const f = await c.files.create({ file: await toFile(Buffer.from('e'), 'e.txt'), purpose: 'assistants', expires_after: { anchor: 'created_at', seconds: 3600 } });
    const t = await c.beta.threads.create();
    assert.deepEqual(blobNames(srv()), [keep.id, f.id].sort());
    fs.writeFileSync(skewFile, '3700');
    await expectApiError(c.files.retrieve(f.id), 404);
    assert.deepEqual(blobNames(srv()), [keep.id], 'the expired blob is still on disk');
    await expectApiError(c.files.content(f.id), 404);
    await expectApiError(c.beta.threads.messages.create(t.id, { role: 'user', content: 'x', attachments: [{ file_id: f.id, tools: [{ type: 'file_search' }] }] }), 400, { param: 'attachments[0].file_id' });
    assert.deepEqual((await c.files.list()).data.map((x) => x.id), [keep.id]);
    await srv().restart();
    assert.deepEqual((await srv().client().files.list()).data.map((x) => x.id), [keep.id]);
    assert.deepEqual(blobNames(srv()), [keep.id]);
  });

  it('expired files are removed at start too', async () => {
    fs.writeFileSync(skewFile, '0');
    const f = await srv().client().files.create({ file: await toFile(Buffer.from('s'), 's.txt'), purpose: 'assistants', expires_after: { anchor: 'created_at', seconds: 3600 } });
    await srv().kill9();
    fs.writeFileSync(skewFile, '3700');
    await srv().restart();
    assert.ok(!blobNames(srv()).includes(f.id), 'the expired blob survived the start');
  });
});

describe('files: ids in other requests must exist', () => {
  const { srv, it } = useServer({ keys: ['projA', 'projB'] });
  let a, b, mine, theirs, asst;

  it('setup: a file in each project and an assistant', async () => {
    a = srv().client(srv().keys.projA);
    b = srv().client(srv().keys.projB);
    mine = await a.files.create({ file: await toFile(Buffer.from('a'), 'a.txt'), purpose: 'assistants' });
    theirs = await b.files.create({ file: await toFile(Buffer.from('b'), 'b.png'), purpose: 'vision' });
    asst = await a.beta.assistants.create({ model: 'gpt-4o' });
  });

  it('message attachments and image_file parts', async () => {
    const t = await a.beta.threads.create();
    const att = (file_id) => ({ role: 'user', content: 'x', attachments: [{ file_id: mine.id, tools: [{ type: 'code_interpreter' }] }, { file_id, tools: [{ type: 'file_search' }] }] });
    let e = await expectApiError(a.beta.threads.messages.create(t.id, att('file-nosuchfile')), 400, { param: 'attachments[1].file_id' });
    assert.match(e.message, /file-nosuchfile/);
    await expectApiError(a.beta.threads.messages.create(t.id, att(theirs.id)), 400, { param: 'attachments[1].file_id' });
    e = await expectApiError(a.beta.threads.messages.create(t.id, att('upload-123')), 400, { param: 'attachments[1].file_id' });
    assert.match(e.message, /begins with 'file'/);
    await expectApiError(a.beta.threads.messages.create(t.id, { role: 'user', content: [{ type: 'text', text: 'see' }, { type: 'image_file', image_file: { file_id: theirs.id } }] }), 400, { param: 'content[1].image_file.file_id' });
    assert.deepEqual((await a.beta.threads.messages.list(t.id)).data, []);
    const ok = await a.beta.threads.messages.create(t.id, att(mine.id));
    assert.equal(ok.attachments.length, 2);
  });

  it('code_interpreter.file_ids of assistants and threads, create and modify', async () => {
    const tr = (ids) => ({ code_interpreter: { file_ids: ids } });
    await expectApiError(a.beta.assistants.create({ model: 'gpt-4o', tool_resources: tr([mine.id, 'file-gone']) }), 400, { param: 'tool_resources.code_interpreter.file_ids[1]' });
    await expectApiError(a.beta.assistants.update(asst.id, { tool_resources: tr([theirs.id]) }), 400, { param: 'tool_resources.code_interpreter.file_ids[0]' });
    await expectApiError(a.beta.threads.create({ tool_resources: tr(['file-gone']) }), 400, { param: 'tool_resources.code_interpreter.file_ids[0]' });
    await expectApiError(a.beta.threads.create({ messages: [{ role: 'user', content: 'x', attachments: [{ file_id: 'file-gone', tools: [{ type: 'file_search' }] }] }] }), 400, { param: 'messages[0].attachments[0].file_id' });
    const t = await a.beta.threads.create({ tool_resources: tr([mine.id]) });
    await expectApiError(a.beta.threads.update(t.id, { tool_resources: tr(['file-gone']) }), 400, { param: 'tool_resources.code_interpreter.file_ids[0]' });
    assert.deepEqual((await a.beta.assistants.update(asst.id, { tool_resources: tr([mine.id]) })).tool_resources.code_interpreter.file_ids, [mine.id]);
  });

  it('runs: additional_messages, tool_resources, and create-thread-and-run', async () => {
    const t = await a.beta.threads.create();
    await expectApiError(a.beta.threads.runs.create(t.id, { assistant_id: asst.id, additional_messages: [{ role: 'user', content: 'x', attachments: [{ file_id: 'file-gone', tools: [{ type: 'file_search' }] }] }] }), 400, { param: 'additional_messages[0].attachments[0].file_id' });
    await expectApiError(a.beta.threads.createAndRun({ assistant_id: asst.id, tool_resources: { code_interpreter: { file_ids: ['file-gone'] } } }), 400, { param: 'tool_resources.code_interpreter.file_ids[0]' });
    await expectApiError(a.beta.threads.createAndRun({ assistant_id: asst.id, thread: { tool_resources: { code_interpreter: { file_ids: [theirs.id] } } } }), 400, { param: 'thread.tool_resources.code_interpreter.file_ids[0]' });
    await expectApiError(a.beta.threads.createAndRun({ assistant_id: asst.id, thread: { messages: [{ role: 'user', content: [{ type: 'image_file', image_file: { file_id: 'file-gone' } }] }] } }), 400, { param: 'thread.messages[0].content[0].image_file.file_id' });
    assert.deepEqual((await a.beta.threads.runs.list(t.id)).data, []);
  });

  it('a deleted file can no longer be referenced', async () => {
    const f = await a.files.create({ file: await toFile(Buffer.from('d'), 'd.txt'), purpose: 'assistants' });
    const t = await a.beta.threads.create();
    await a.files.delete(f.id);
    await expectApiError(a.beta.threads.messages.create(t.id, { role: 'user', content: 'x', attachments: [{ file_id: f.id, tools: [{ type: 'code_interpreter' }] }] }), 400, { param: 'attachments[0].file_id' });
  });
});
