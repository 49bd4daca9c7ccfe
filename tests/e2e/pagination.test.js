'use strict';
// Cursor pagination on GET /assistants and GET /threads/{id}/messages: limit, order, after,
// before, first_id/last_id/has_more on every edge, and the SDK's auto-paging iterator.
//
// Order: objects are listed by creation time; objects created within the same second must keep
// their creation order (asc = oldest first, desc = newest first), as on the hosted service.
//
// Empty lists: the spec types first_id/last_id as string, the hosted service (and assistd)
// answer null for an empty page. validateList accepts null only for an empty page (see spec.js).

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { useServer } = require('./lib/harness');
const { validate, validateList } = require('./lib/spec');

const N = 45;

describe('pagination', () => {
  const { srv, it } = useServer();
  const ids = []; // assistants, creation order
  const msgIds = []; // messages of `thread`, creation order
  let thread;

  const page = async (query) => {
    const p = await srv().client().beta.assistants.list(query);
    validateList('AssistantObject', p.body);
    return p.body;
  };
  const idsOf = (body) => body.data.map((x) => x.id);
  const rev = (a) => [...a].reverse();
  const listRequests = () => srv().responseLog.filter((h) => h.method === 'GET' && /\/v1\/assistants(\?|$)/.test(h.url)).length;

  it('an empty list: data [], has_more false, first_id/last_id null', async () => {
    for (const q of [{}, { order: 'asc' }, { limit: 1 }, { limit: 100, order: 'desc' }]) {
      const body = await page(q);
      assert.deepEqual(body.data, []);
      assert.equal(body.has_more, false);
      assert.equal(body.first_id, null, 'first_id of an empty list is null (spec says string; hosted answers null)');
      assert.equal(body.last_id, null);
    }
  });

  it(`creates ${N} assistants`, async () => {
    const c = srv().client();
    for (let i = 0; i < N; i++) {
      const a = await c.beta.assistants.create({ model: 'gpt-4o', name: `a${String(i).padStart(2, '0')}` });
      validate('AssistantObject', a);
      ids.push(a.id);
    }
    assert.equal(new Set(ids).size, N, 'ids are unique');
  });

  it('default: limit 20, newest first, has_more true', async () => {
    const body = await page({});
    assert.deepEqual(idsOf(body), rev(ids).slice(0, 20));
    assert.equal(body.has_more, true);
    assert.equal(body.first_id, ids[N - 1]);
    assert.equal(body.last_id, ids[N - 20]);
  });

  it('order asc, limit 10', async () => {
    const body = await page({ order: 'asc', limit: 10 });
    assert.deepEqual(idsOf(body), ids.slice(0, 10));
    assert.equal(body.has_more, true);
  });

  it('limit 1 and limit 100', async () => {
    let body = await page({ limit: 1, order: 'asc' });
    assert.deepEqual(idsOf(body), [ids[0]]);
    assert.equal(body.has_more, true);
    body = await page({ limit: 100 });
    assert.deepEqual(idsOf(body), rev(ids));
    assert.equal(body.has_more, false);
  });

  it('has_more is exact at the boundary: limit N is false, limit N-1 is true', async () => {
    let body = await page({ limit: N, order: 'asc' });
    assert.equal(body.data.length, N);
    assert.equal(body.has_more, false);
    body = await page({ limit: N - 1, order: 'asc' });
    assert.equal(body.data.length, N - 1);
    assert.equal(body.has_more, true);
    assert.equal(body.last_id, ids[N - 2]);
  });

  it('after, asc: the next page', async () => {
    let body = await page({ order: 'asc', limit: 10, after: ids[9] });
    assert.deepEqual(idsOf(body), ids.slice(10, 20));
    assert.equal(body.has_more, true);
    body = await page({ order: 'asc', limit: 5, after: ids[N - 6] });
    assert.deepEqual(idsOf(body), ids.slice(N - 5));
    assert.equal(body.has_more, false, 'the last 5 fill the page exactly: no more');
    body = await page({ order: 'asc', limit: 10, after: ids[N - 3] });
    assert.deepEqual(idsOf(body), ids.slice(N - 2));
    assert.equal(body.has_more, false);
  });

  it('after the last item: an empty page', async () => {
    const body = await page({ order: 'asc', after: ids[N - 1] });
    assert.deepEqual(body.data, []);
    assert.equal(body.has_more, false);
    assert.equal(body.first_id, null);
    assert.equal(body.last_id, null);
    const body2 = await page({ order: 'desc', after: ids[0] });
    assert.deepEqual(body2.data, []);
    assert.equal(body2.has_more, false);
  });

  it('after, desc: older items', async () => {
    const body = await page({ order: 'desc', limit: 5, after: ids[30] });
    assert.deepEqual(idsOf(body), [ids[29], ids[28], ids[27], ids[26], ids[25]]);
    assert.equal(body.has_more, true);
  });

  it('before, asc: the items just before the cursor, in asc order', async () => {
    let body = await page({ order: 'asc', limit: 10, before: ids[20] });
    assert.deepEqual(idsOf(body), ids.slice(10, 20));
    body = await page({ order: 'asc', limit: 10, before: ids[5] });
    assert.deepEqual(idsOf(body), ids.slice(0, 5));
    body = await page({ order: 'asc', before: ids[0] });
    assert.deepEqual(body.data, []);
    assert.equal(body.has_more, false);
  });

  it('before, desc: the newer items just before the cursor, in desc order', async () => {
    let body = await page({ order: 'desc', limit: 5, before: ids[30] });
    assert.deepEqual(idsOf(body), [ids[35], ids[34], ids[33], ids[32], ids[31]]);
    body = await page({ order: 'desc', limit: 10, before: ids[N - 3] });
    assert.deepEqual(idsOf(body), [ids[N - 1], ids[N - 2]]);
    body = await page({ order: 'desc', before: ids[N - 1] });
    assert.deepEqual(body.data, []);
  });

  it('walking forward with after visits every item once', async () => {
    const seen = [];
    let after;
    for (let guard = 0; guard < 20; guard++) {
      const body = await page({ order: 'asc', limit: 7, ...(after ? { after } : {}) });
      seen.push(...idsOf(body));
      if (!body.has_more) break;
      after = body.last_id;
    }
    assert.deepEqual(seen, ids);
  });

  it(`the SDK iterator walks all ${N} (limit 10) in ${Math.ceil(N / 10)} requests`, async () => {
    const c = srv().client();
    const before = listRequests();
    const seen = [];
    for await (const a of c.beta.assistants.list({ limit: 10 })) {
      validate('AssistantObject', a);
      seen.push(a.id);
    }
    assert.deepEqual(seen, rev(ids));
    assert.equal(listRequests() - before, Math.ceil(N / 10), 'has_more false on the last page stops the iterator');
    const asc = [];
    for await (const a of c.beta.assistants.list({ limit: 10, order: 'asc' })) asc.push(a.id);
    assert.deepEqual(asc, ids);
  });

  it('deleted items drop out of pages and cursors still work', async () => {
    const c = srv().client();
    await c.beta.assistants.delete(ids[11]);
    const body = await page({ order: 'asc', limit: 5, after: ids[9] });
    assert.deepEqual(idsOf(body), [ids[10], ids[12], ids[13], ids[14], ids[15]]);
    ids.splice(11, 1);
  });

  // -------------------------------------------------------------------- messages
  const mpage = async (query) => {
    const p = await srv().client().beta.threads.messages.list(thread.id, query);
    validateList('MessageObject', p.body);
    return p.body;
  };

  it('messages: an empty thread lists nothing', async () => {
    thread = await srv().client().beta.threads.create();
    validate('ThreadObject', thread);
    const body = await mpage({});
    assert.deepEqual(body.data, []);
    assert.equal(body.first_id, null);
    assert.equal(body.last_id, null);
    assert.equal(body.has_more, false);
  });

  it('messages: 25 messages page with limit/order/after/before', async () => {
    const c = srv().client();
    for (let i = 0; i < 25; i++) {
      const m = await c.beta.threads.messages.create(thread.id, { role: i % 2 ? 'assistant' : 'user', content: `m${i}` });
      validate('MessageObject', m);
      msgIds.push(m.id);
    }
    let body = await mpage({});
    assert.deepEqual(idsOf(body), rev(msgIds).slice(0, 20), 'default: 20, newest first');
    assert.equal(body.has_more, true);
    body = await mpage({ order: 'asc', limit: 10, after: msgIds[19] });
    assert.deepEqual(idsOf(body), msgIds.slice(20));
    assert.equal(body.has_more, false);
    body = await mpage({ order: 'asc', limit: 3, before: msgIds[10] });
    assert.deepEqual(idsOf(body), msgIds.slice(7, 10));
    body = await mpage({ order: 'desc', limit: 3, after: msgIds[10] });
    assert.deepEqual(idsOf(body), [msgIds[9], msgIds[8], msgIds[7]]);
    assert.equal(body.data[0].content[0].text.value, 'm9');
  });

  it('messages: the SDK iterator (limit 7) sees all 25 in order', async () => {
    const seen = [];
    for await (const m of srv().client().beta.threads.messages.list(thread.id, { limit: 7, order: 'asc' })) seen.push(m.id);
    assert.deepEqual(seen, msgIds);
  });

  it('messages: run_id filter with a run that does not exist yields an empty list', async () => {
    const body = await mpage({ run_id: 'run_doesnotexist000000' });
    assert.deepEqual(body.data, []);
    assert.equal(body.has_more, false);
  });
});
