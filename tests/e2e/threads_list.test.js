'use strict';
// GET /v1/threads (an assistd extension for the playground): a project's threads, newest
// first by default, paged like every list, with one metadata[KEY]=VALUE filter; other
// projects' threads never show.

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, expectRawError } = require('./lib/harness');
const { validateList } = require('./lib/spec');

describe('GET /v1/threads', () => {
  const { srv, it } = useServer({ keys: ['alpha', 'beta'] });
  const made = [];
  const raw = (p, key = 'alpha') => srv().raw('GET', p, { apiKey: srv().keys[key] });

  it('setup: four threads in alpha, one in beta', async () => {
    const c = srv().client(srv().keys.alpha);
    for (const tag of ['red', 'blue', 'red', 'green'])
      made.push(await c.beta.threads.create({ metadata: { color: tag } }));
    await srv().client(srv().keys.beta).beta.threads.create({ metadata: { color: 'red' } });
  });

  it('lists the project\'s threads newest first, shaped like every list', async () => {
    const r = await raw('/threads');
    assert.equal(r.status, 200, r.text);
    validateList('ThreadObject', r.json);
    assert.deepEqual(r.json.data.map((t) => t.id), made.map((t) => t.id).reverse());
    assert.equal(r.json.first_id, made[3].id);
    assert.equal(r.json.last_id, made[0].id);
    assert.equal(r.json.has_more, false);
  });

  it('pages with limit and after, and order=asc', async () => {
    const p1 = (await raw('/threads?limit=3')).json;
    assert.equal(p1.data.length, 3);
    assert.equal(p1.has_more, true);
    const p2 = (await raw(`/threads?limit=3&after=${p1.last_id}`)).json;
    assert.deepEqual(p2.data.map((t) => t.id), [made[0].id]);
    assert.equal(p2.has_more, false);
    const asc = (await raw('/threads?order=asc&limit=2')).json;
    assert.deepEqual(asc.data.map((t) => t.id), [made[0].id, made[1].id]);
    const back = (await raw(`/threads?before=${made[0].id}`)).json;
    assert.deepEqual(back.data.map((t) => t.id), [made[3].id, made[2].id, made[1].id]);
  });

  it('filters by metadata[key]=value', async () => {
    const r = await raw('/threads?metadata%5Bcolor%5D=red');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.data.map((t) => t.id), [made[2].id, made[0].id]);
    const none = (await raw('/threads?metadata%5Bcolor%5D=purple')).json;
    assert.deepEqual(none.data, []);
    const page = (await raw('/threads?metadata%5Bcolor%5D=red&limit=1')).json;
    assert.deepEqual(page.data.map((t) => t.id), [made[2].id]);
    assert.equal(page.has_more, true);
  });

  it('rejects two metadata filters, a bad limit and a foreign cursor', async () => {
    expectRawError(await raw('/threads?metadata%5Ba%5D=1&metadata%5Bb%5D=2'), 400,
      { param: 'metadata' });
    expectRawError(await raw('/threads?limit=0'), 400, { param: 'limit' });
    expectRawError(await raw('/threads?after=msg_abc'), 400, { param: 'after' });
    const beta = (await raw('/threads', 'beta')).json;
    expectRawError(await raw(`/threads?after=${beta.data[0].id}`), 400, { param: 'after' });
  });

  it('keeps projects apart and needs a key', async () => {
    const beta = (await raw('/threads', 'beta')).json;
    assert.equal(beta.data.length, 1);
    assert.ok(!made.some((t) => t.id === beta.data[0].id));
    const anon = await srv().raw('GET', '/threads', { apiKey: null });
    expectRawError(anon, 401);
  });

  it('a deleted thread leaves the list', async () => {
    await srv().client(srv().keys.alpha).beta.threads.delete(made[1].id);
    const ids = (await raw('/threads')).json.data.map((t) => t.id);
    assert.ok(!ids.includes(made[1].id));
    assert.equal(ids.length, 3);
  });
});
