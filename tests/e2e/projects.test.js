'use strict';
// Projects and API keys: with keys present every request needs a valid one, and each project
// sees only its own objects (another project's ids are 404, never 403, so ids don't leak).

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, expectApiError, expectRawError } = require('./lib/harness');
const { validate, validateList } = require('./lib/spec');
const { plain } = require('./lib/util');

describe('projects', () => {
  const { srv, it } = useServer({ keys: ['alpha', 'beta'] });
  let A, B; // SDK clients
  let asstA, threadA, msgA, asstB;

  it('keys create printed two different keys', () => {
    const { alpha, beta } = srv().keys;
    assert.ok(alpha && beta);
    assert.notEqual(alpha, beta);
    assert.ok(alpha.length >= 20, `a key of ${alpha.length} chars is too short to be secret`);
    A = srv().client(alpha);
    B = srv().client(beta);
  });

  it('no key -> 401 with the spec error body', async () => {
    for (const [method, p] of [['GET', '/assistants'], ['POST', '/assistants'], ['POST', '/threads'], ['GET', '/threads/thread_abc/messages']]) {
      const r = await srv().raw(method, p, { apiKey: null, ...(method === 'POST' ? { json: { model: 'gpt-4o' } } : {}) });
      expectRawError(r, 401);
    }
  });

  it('a bad key -> 401 (also: wrong scheme, empty bearer, a key with a suffix)', async () => {
    const good = srv().keys.alpha;
    const bad = [
      { apiKey: 'sk-not-a-real-key' },
      { apiKey: `${good}x` },
      { apiKey: good.slice(0, -1) },
      { apiKey: null, headers: { Authorization: `Basic ${Buffer.from(`u:${good}`).toString('base64')}` } },
      { apiKey: null, headers: { Authorization: 'Bearer ' } },
      { apiKey: null, headers: { Authorization: good } },
    ];
    for (const opts of bad) {
      const r = await srv().raw('GET', '/assistants', opts);
      expectRawError(r, 401);
    }
    const e = await expectApiError(srv().client('sk-wrong').beta.assistants.list(), 401, { code: 'invalid_api_key' });
    assert.ok(e.error.message.length > 0);
    assert.ok(!e.error.message.includes('sk-wrong'), 'the message does not echo the whole key back');
  });

  it('a rejected key writes nothing', async () => {
    const r = await srv().raw('POST', '/assistants', { apiKey: 'sk-wrong', json: { model: 'gpt-4o', name: 'intruder' } });
    expectRawError(r, 401);
    const list = await A.beta.assistants.list();
    validateList('AssistantObject', list.body);
    assert.ok(!list.data.some((a) => a.name === 'intruder'));
  });

  it('project alpha creates an assistant, a thread and a message', async () => {
    asstA = await A.beta.assistants.create({ model: 'gpt-4o', name: 'alpha-asst' });
    validate('AssistantObject', asstA);
    threadA = await A.beta.threads.create({ metadata: { owner: 'alpha' } });
    validate('ThreadObject', threadA);
    msgA = await A.beta.threads.messages.create(threadA.id, { role: 'user', content: 'alpha says hi' });
    validate('MessageObject', msgA);
    asstB = await B.beta.assistants.create({ model: 'gpt-4o', name: 'beta-asst' });
    validate('AssistantObject', asstB);
  });

  it("beta cannot see, change or delete alpha's assistant (404)", async () => {
    await expectApiError(B.beta.assistants.retrieve(asstA.id), 404);
    await expectApiError(B.beta.assistants.update(asstA.id, { name: 'pwned' }), 404);
    await expectApiError(B.beta.assistants.delete(asstA.id), 404);
    const list = await B.beta.assistants.list({ limit: 100 });
    validateList('AssistantObject', list.body);
    assert.deepEqual(list.data.map((a) => a.id), [asstB.id], 'beta lists only its own');
    const listA = await A.beta.assistants.list({ limit: 100 });
    validateList('AssistantObject', listA.body);
    assert.deepEqual(listA.data.map((a) => a.id), [asstA.id], 'alpha lists only its own');
  });

  it("beta cannot use alpha's assistant id as a pagination cursor", async () => {
    const r = await srv().raw('GET', `/assistants?after=${asstA.id}`, { apiKey: srv().keys.beta });
    expectRawError(r, 400, { param: 'after' });
  });

  it("beta cannot see, change or delete alpha's thread (404)", async () => {
    await expectApiError(B.beta.threads.retrieve(threadA.id), 404);
    await expectApiError(B.beta.threads.update(threadA.id, { metadata: { owner: 'beta' } }), 404);
    await expectApiError(B.beta.threads.delete(threadA.id), 404);
  });

  it("beta cannot read or add messages in alpha's thread (404)", async () => {
    await expectApiError(B.beta.threads.messages.list(threadA.id), 404);
    await expectApiError(B.beta.threads.messages.create(threadA.id, { role: 'user', content: 'beta was here' }), 404);
    await expectApiError(B.beta.threads.messages.retrieve(msgA.id, { thread_id: threadA.id }), 404);
    await expectApiError(B.beta.threads.messages.update(msgA.id, { thread_id: threadA.id, metadata: { x: 'y' } }), 404);
    await expectApiError(B.beta.threads.messages.delete(msgA.id, { thread_id: threadA.id }), 404);
  });

  it("beta's own thread cannot reach alpha's message", async () => {
    const tB = await B.beta.threads.create();
    await expectApiError(B.beta.threads.messages.retrieve(msgA.id, { thread_id: tB.id }), 404);
  });

  it("alpha's objects are intact after beta's attempts", async () => {
    assert.deepEqual(plain(await A.beta.assistants.retrieve(asstA.id)), plain(asstA));
    assert.deepEqual(plain(await A.beta.threads.retrieve(threadA.id)), plain(threadA));
    const msgs = await A.beta.threads.messages.list(threadA.id);
    validateList('MessageObject', msgs.body);
    assert.deepEqual(msgs.data.map((m) => plain(m)), [plain(msgA)]);
  });

  it('keys create on a running server works too (new project, isolated)', async () => {
    const { createKey } = require('./lib/server');
    const key = createKey(srv().dataDir, 'gamma');
    const G = srv().client(key);
    const list = await G.beta.assistants.list();
    validateList('AssistantObject', list.body);
    assert.deepEqual(list.data, []);
    await expectApiError(G.beta.assistants.retrieve(asstA.id), 404);
  });
});
