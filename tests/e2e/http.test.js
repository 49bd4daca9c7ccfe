'use strict';
// HTTP conventions: x-request-id and application/json on every response (success and error),
// open mode without keys, the OpenAI-Beta header, persistence across restarts.
// (Every SDK and raw response in every test file is also header-checked by the harness.)

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, expectRawError } = require('./lib/harness');
const { validate, validateList } = require('./lib/spec');
const { plain } = require('./lib/util');

describe('http', () => {
  const { srv, it } = useServer();
  let asst, thread, msg;

  it('every kind of response carries x-request-id and Content-Type: application/json', async () => {
    const c = srv().client();
    asst = await c.beta.assistants.create({ model: 'gpt-4o' });
    thread = await c.beta.threads.create();
    msg = await c.beta.threads.messages.create(thread.id, { role: 'user', content: 'x' });
    const requests = [
      ['GET', '/assistants', {}, 200],
      ['GET', `/assistants/${asst.id}`, {}, 200],
      ['POST', '/assistants', { json: { model: 'gpt-4o' } }, 200],
      ['POST', '/assistants', { json: { model: 5 } }, 400],
      ['POST', '/assistants', { body: '{', headers: { 'Content-Type': 'application/json' } }, 400],
      ['GET', '/assistants/asst_nope', {}, 404],
      ['GET', '/nope', {}, 404],
      ['PUT', '/assistants', { json: {} }, 405],
      ['GET', `/threads/${thread.id}/messages`, {}, 200],
      ['GET', `/threads/${thread.id}/messages/${msg.id}`, {}, 200],
      ['DELETE', `/threads/${thread.id}/messages/${msg.id}`, {}, 200],
      ['GET', '/assistants?limit=0', {}, 400],
    ];
    const ids = new Set();
    for (const [method, p, opts, status] of requests) {
      const r = await srv().raw(method, p, { ...opts, noHeaderCheck: true });
      assert.equal(r.status, status, `${method} ${p}: ${r.text.slice(0, 300)}`);
      const rid = r.headers['x-request-id'];
      assert.ok(typeof rid === 'string' && rid.length >= 8, `${method} ${p}: x-request-id ${JSON.stringify(rid)}`);
      assert.ok(!ids.has(rid), `${method} ${p}: x-request-id ${rid} was used before`);
      ids.add(rid);
      assert.match(r.headers['content-type'] || '', /^application\/json\b/i, `${method} ${p}: content-type`);
      assert.ok(r.json !== undefined, `${method} ${p}: body is JSON`);
      if (status >= 400) expectRawError(r, status);
    }
  });

  it('the SDK sees the request id on results and on errors', async () => {
    const c = srv().client();
    const a = await c.beta.assistants.retrieve(asst.id);
    assert.ok(a._request_id, '_request_id on a result');
    const p = await c.beta.assistants.list();
    assert.ok(p.body && p.data.length >= 1);
    try {
      await c.beta.assistants.retrieve('asst_nope');
      assert.fail('expected 404');
    } catch (e) {
      assert.equal(e.status, 404);
      assert.ok(e.requestID, 'APIError.requestID');
    }
  });

  it('without keys the server is open: any bearer or none', async () => {
    for (const apiKey of [null, 'anything', 'sk-proj-whatever']) {
      const r = await srv().raw('GET', '/assistants', { apiKey });
      assert.equal(r.status, 200, `apiKey ${apiKey}: ${r.text}`);
      validateList('AssistantObject', r.json);
    }
  });

  it('requests without the OpenAI-Beta header still work', async () => {
    const r = await srv().raw('GET', `/assistants/${asst.id}`, { noBeta: true });
    assert.equal(r.status, 200, r.text);
    validate('AssistantObject', r.json);
  });

  it('Content-Type with parameters (application/json; charset=utf-8) is accepted', async () => {
    const r = await srv().raw('POST', '/assistants', { body: JSON.stringify({ model: 'gpt-4o', name: 'charset' }), headers: { 'Content-Type': 'application/json; charset=utf-8' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.name, 'charset');
  });

  it('a very long URL or header is refused (4xx or a closed connection), and the server lives on', async () => {
    const attempts = [
      () => srv().raw('GET', `/assistants/asst_${'a'.repeat(100000)}`, { noHeaderCheck: true }),
      () => srv().raw('GET', '/assistants', { noHeaderCheck: true, headers: { 'X-Big': 'b'.repeat(100000) } }),
    ];
    for (const attempt of attempts) {
      try {
        const r = await attempt();
        assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
      } catch (e) {
        assert.match(String(e.code || e.message), /ECONNRESET|EPIPE|no HTTP response/, e.message);
      }
    }
    const r = await srv().raw('GET', `/assistants/${asst.id}`);
    assert.equal(r.status, 200);
  });

  it('HEAD/OPTIONS on an API path do not crash the server', async () => {
    for (const method of ['OPTIONS', 'HEAD']) {
      const r = await srv().raw(method, '/assistants', { noHeaderCheck: true });
      assert.ok(r.status < 500, `${method} -> ${r.status}`);
    }
    const r = await srv().raw('GET', `/assistants/${asst.id}`);
    assert.equal(r.status, 200);
  });

  it('query strings: unknown keys are ignored or rejected with 400, never 500; percent-encoding is decoded', async () => {
    const r = await srv().raw('GET', '/assistants?foo=bar');
    assert.ok(r.status === 200 || r.status === 400, r.text);
    if (r.status === 400) expectRawError(r, 400, { param: 'foo' });
    const r2 = await srv().raw('GET', `/assistants?limit=%31&order=%61sc&after=${encodeURIComponent(asst.id)}`);
    assert.equal(r2.status, 200, r2.text);
    validateList('AssistantObject', r2.json);
    assert.ok(r2.json.data.length <= 1);
  });

  it('data survives a clean restart', async () => {
    const c = srv().client();
    const a = await c.beta.assistants.create({ model: 'gpt-4o', name: 'persistent', metadata: { k: 'v' } });
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'remember me' }], metadata: { k: 'v' } });
    const ms = await c.beta.threads.messages.list(t.id);
    await srv().restart();
    const c2 = srv().client();
    assert.deepEqual(plain(await c2.beta.assistants.retrieve(a.id)), plain(a));
    assert.deepEqual(plain(await c2.beta.threads.retrieve(t.id)), plain(t));
    const ms2 = await c2.beta.threads.messages.list(t.id);
    validateList('MessageObject', ms2.body);
    assert.deepEqual(ms2.data.map(plain), ms.data.map(plain));
  });

  it('data acknowledged before a SIGKILL survives it', async () => {
    const c = srv().client();
    const a = await c.beta.assistants.create({ model: 'gpt-4o', name: 'crash-safe' });
    const upd = await c.beta.assistants.update(a.id, { name: 'crash-safe-2' });
    await srv().kill9();
    await srv().restart();
    const got = await srv().client().beta.assistants.retrieve(a.id);
    validate('AssistantObject', got);
    assert.deepEqual(plain(got), plain(upd));
  });
});
