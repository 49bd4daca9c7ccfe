'use strict';
// Vector stores, their files and batches, ingestion and the search endpoint, through the
// official SDK (every response is validated against the spec by the harness's client).

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { toFile } = require('openai');
const { useServer, expectApiError } = require('./lib/harness');
const { assertRecent, settled } = require('./lib/util');

const POLL = { pollIntervalMs: 50 };
const AUTO = { type: 'static', static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } };

const upload = async (c, name, text) => c.files.create({ file: await toFile(Buffer.from(text), name), purpose: 'assistants' });
// expectApiError, and the message matches expect.message when given.
async function expectErr(promise, status, expect = {}) {
  const { message, ...rest } = expect;
  const e = await expectApiError(promise, status, rest);
  if (message) assert.match(e.error.message, message);
  return e;
}
const search = async (c, vs, body) => (await c.vectorStores.search(vs, body)).data;

describe('vector stores', () => {
  const { srv, it } = useServer();
  const c = () => srv().client();

  it('creates, retrieves, updates, lists and deletes a vector store', async () => {
    const vs = await c().vectorStores.create({ name: 'docs', metadata: { team: 'a' }, expires_after: { anchor: 'last_active_at', days: 7 } });
    assert.match(vs.id, /^vs_[A-Za-z0-9]+$/);
    assert.equal(vs.object, 'vector_store');
    assertRecent(vs.created_at);
    assert.equal(vs.name, 'docs');
    assert.equal(vs.status, 'completed');
    assert.equal(vs.usage_bytes, 0);
    assert.deepEqual(vs.file_counts, { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 });
    assert.deepEqual(vs.metadata, { team: 'a' });
    assert.deepEqual(vs.expires_after, { anchor: 'last_active_at', days: 7 });
    assert.equal(vs.expires_at, vs.last_active_at + 7 * 86400);
    assert.deepEqual(await c().vectorStores.retrieve(vs.id), vs);

    const up = await c().vectorStores.update(vs.id, { name: 'renamed', metadata: { team: 'b' }, expires_after: null });
    assert.equal(up.name, 'renamed');
    assert.deepEqual(up.metadata, { team: 'b' });
    assert.equal(up.expires_at, null);
    assert.equal(up.expires_after, undefined);

    const listed = (await c().vectorStores.list({ limit: 100 })).data.map((v) => v.id);
    assert.ok(listed.includes(vs.id));
    const del = await c().vectorStores.delete(vs.id);
    assert.deepEqual({ ...del }, { id: vs.id, object: 'vector_store.deleted', deleted: true });
    await expectErr(c().vectorStores.retrieve(vs.id), 404, { message: /No vector store found/ });
  });

  it('uploadAndPoll indexes a file; its content and counts follow', async () => {
    const vs = await c().vectorStores.create({ name: 'one' });
    const text = 'Salmon swim upstream to spawn in the rivers where they hatched.\nOwls hunt at night.\n';
    const f = await c().vectorStores.files.uploadAndPoll(vs.id, await toFile(Buffer.from(text), 'nature.txt'), POLL);
    assert.equal(f.object, 'vector_store.file');
    assert.equal(f.vector_store_id, vs.id);
    assert.equal(f.status, 'completed');
    assert.equal(f.last_error, null);
    assert.deepEqual(f.chunking_strategy, AUTO);
    assert.equal(f.usage_bytes, Buffer.byteLength(text));
    const content = await c().vectorStores.files.content(f.id, { vector_store_id: vs.id });
    assert.deepEqual(content.data, [{ type: 'text', text }]);
    const v = await c().vectorStores.retrieve(vs.id);
    assert.deepEqual(v.file_counts, { in_progress: 0, completed: 1, failed: 0, cancelled: 0, total: 1 });
    assert.equal(v.usage_bytes, Buffer.byteLength(text));
    const hits = await search(c(), vs.id, { query: 'where do salmon spawn?' });
    assert.equal(hits.length, 1);
    assert.equal(hits[0].file_id, f.id);
    assert.equal(hits[0].filename, 'nature.txt');
    assert.deepEqual(hits[0].content, [{ type: 'text', text }]);
    assert.ok(hits[0].score > 0 && hits[0].score <= 1, `score ${hits[0].score}`);
  });

  it('creates a store with file_ids and a static chunking strategy, chunked by tokens', async () => {
    const words = Array.from({ length: 600 }, (_, i) => `word${i}`).join(' ');
    const f = await upload(c(), 'long.txt', words);
    const strategy = { type: 'static', static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 50 } };
    const vs = await c().vectorStores.create({ file_ids: [f.id], chunking_strategy: strategy });
    assert.equal(vs.file_counts.total, 1);
    assert.ok(['in_progress', 'completed'].includes(vs.status));
    await settled(c(), vs.id);
    const vf = await c().vectorStores.files.retrieve(f.id, { vector_store_id: vs.id });
    assert.deepEqual(vf.chunking_strategy, strategy);
    const chunks = (await c().vectorStores.files.content(f.id, { vector_store_id: vs.id })).data;
    assert.ok(chunks.length > 2, `${chunks.length} chunks`);
    assert.ok(chunks[0].text.startsWith('word0 '));
    assert.ok(chunks.at(-1).text.endsWith('word599'));
    // consecutive chunks overlap: the second starts inside the first
    assert.ok(chunks[0].text.includes(chunks[1].text.slice(0, 20)));
  });

  it('refuses bad chunking strategies, attributes and unknown files', async () => {
    const vs = await c().vectorStores.create({});
    const f = await upload(c(), 'a.txt', 'alpha');
    await expectErr(c().vectorStores.files.create(vs.id, { file_id: f.id, chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: 101 } } }), 400, { message: /half of max_chunk_size_tokens/ });
    await expectErr(c().vectorStores.files.create(vs.id, { file_id: f.id, chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 50, chunk_overlap_tokens: 0 } } }), 400);
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i]));
    await expectErr(c().vectorStores.files.create(vs.id, { file_id: f.id, attributes: many }), 400, { param: 'attributes' });
    await expectErr(c().vectorStores.files.create(vs.id, { file_id: f.id, attributes: { ['k'.repeat(65)]: 1 } }), 400);
    await expectErr(c().vectorStores.files.create(vs.id, { file_id: f.id, attributes: { k: 'v'.repeat(513) } }), 400);
    await expectErr(c().vectorStores.files.create(vs.id, { file_id: f.id, attributes: { k: { nested: 1 } } }), 400);
    await expectErr(c().vectorStores.files.create(vs.id, { file_id: 'file-nope' }), 400, { message: /no file with id 'file-nope'/, param: 'file_id' });
    await expectErr(c().vectorStores.create({ file_ids: ['file-nope'] }), 400, { param: 'file_ids[0]' });
    await expectErr(c().vectorStores.files.create('vs_nope', { file_id: f.id }), 404, { message: /No vector store found/ });
    assert.equal((await c().vectorStores.retrieve(vs.id)).file_counts.total, 0);
  });

  it('updates attributes, lists with filter and paging, detaches without deleting the file', async () => {
    const vs = await c().vectorStores.create({});
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const f = await upload(c(), `n${i}.txt`, `note number ${i}`);
      ids.push((await c().vectorStores.files.createAndPoll(vs.id, { file_id: f.id, attributes: { n: i } }, POLL)).id);
    }
    const up = await c().vectorStores.files.update(ids[0], { vector_store_id: vs.id, attributes: { n: 10, tag: 'x', ok: true } });
    assert.deepEqual(up.attributes, { n: 10, tag: 'x', ok: true });
    const page1 = await c().vectorStores.files.list(vs.id, { limit: 2, order: 'asc' });
    assert.deepEqual(page1.data.map((f) => f.id), ids.slice(0, 2));
    assert.equal(page1.has_more, true);
    const page2 = await c().vectorStores.files.list(vs.id, { limit: 2, order: 'asc', after: ids[1] });
    assert.deepEqual(page2.data.map((f) => f.id), [ids[2]]);
    assert.equal((await c().vectorStores.files.list(vs.id, { filter: 'completed' })).data.length, 3);
    assert.equal((await c().vectorStores.files.list(vs.id, { filter: 'failed' })).data.length, 0);
    await expectErr(c().vectorStores.files.list(vs.id, { filter: 'done' }), 400, { param: 'filter' });

    const del = await c().vectorStores.files.delete(ids[1], { vector_store_id: vs.id });
    assert.deepEqual({ ...del }, { id: ids[1], object: 'vector_store.file.deleted', deleted: true });
    assert.equal((await c().files.retrieve(ids[1])).id, ids[1]);
    await expectErr(c().vectorStores.files.retrieve(ids[1], { vector_store_id: vs.id }), 404);
    const v = await c().vectorStores.retrieve(vs.id);
    assert.deepEqual(v.file_counts, { in_progress: 0, completed: 2, failed: 0, cancelled: 0, total: 2 });
    assert.deepEqual((await search(c(), vs.id, { query: 'note number' })).map((h) => h.file_id).sort(), [ids[0], ids[2]].sort());
  });

  it('batches: createAndPoll with per-file attributes, uploadAndPoll, listFiles', async () => {
    const vs = await c().vectorStores.create({});
    const a = await upload(c(), 'a.md', '# Apples\nApples are red or green.');
    const b = await upload(c(), 'b.md', '# Bananas\nBananas are yellow.');
    const batch = await c().vectorStores.fileBatches.createAndPoll(vs.id, {
      files: [{ file_id: a.id, attributes: { fruit: 'apple' } }, { file_id: b.id, attributes: { fruit: 'banana' } }],
    }, POLL);
    assert.match(batch.id, /^vsfb_/);
    assert.equal(batch.object, 'vector_store.files_batch');
    assert.equal(batch.status, 'completed');
    assert.deepEqual(batch.file_counts, { in_progress: 0, completed: 2, failed: 0, cancelled: 0, total: 2 });
    const files = await c().vectorStores.fileBatches.listFiles(batch.id, { vector_store_id: vs.id });
    assert.deepEqual(files.data.map((f) => f.attributes.fruit).sort(), ['apple', 'banana']);

    const up = await c().vectorStores.fileBatches.uploadAndPoll(vs.id, {
      files: [await toFile(Buffer.from('Cherries are small.'), 'c.txt'), await toFile(Buffer.from('Dates are sweet.'), 'd.txt')],
    }, POLL);
    assert.equal(up.status, 'completed');
    assert.equal(up.file_counts.completed, 2);
    const ids = await c().vectorStores.fileBatches.createAndPoll(vs.id, { file_ids: [a.id], attributes: { fruit: 'again' } }, POLL);
    assert.equal(ids.file_counts.total, 1);
    assert.equal((await c().vectorStores.files.retrieve(a.id, { vector_store_id: vs.id })).attributes.fruit, 'again');
    const v = await c().vectorStores.retrieve(vs.id);
    assert.equal(v.file_counts.total, 4);
    await expectErr(c().vectorStores.fileBatches.create(vs.id, { file_ids: [a.id], files: [{ file_id: b.id }] }), 400);
    await expectErr(c().vectorStores.fileBatches.create(vs.id, {}), 400, { param: 'file_ids' });
    await expectErr(c().vectorStores.fileBatches.retrieve('vsfb_nope', { vector_store_id: vs.id }), 404);
  });

  it('cancelling a batch ends its unfinished files cancelled', async () => {
    const vs = await c().vectorStores.create({});
    const big = 'lorem ipsum dolor sit amet '.repeat(40000); // about a megabyte each
    const ids = [];
    for (let i = 0; i < 12; i++) ids.push((await upload(c(), `big${i}.txt`, big)).id);
    const batch = await c().vectorStores.fileBatches.create(vs.id, { file_ids: ids });
    const cancelled = await c().vectorStores.fileBatches.cancel(batch.id, { vector_store_id: vs.id });
    assert.equal(cancelled.status, 'cancelled');
    const v = await settled(c(), vs.id);
    assert.equal(v.file_counts.completed + v.file_counts.cancelled, 12);
    assert.ok(v.file_counts.cancelled > 0, JSON.stringify(v.file_counts));
    const after = await c().vectorStores.fileBatches.retrieve(batch.id, { vector_store_id: vs.id });
    assert.equal(after.status, 'cancelled');
    assert.deepEqual(after.file_counts, v.file_counts);
    const listed = await c().vectorStores.fileBatches.listFiles(batch.id, { vector_store_id: vs.id, filter: 'cancelled', limit: 100 });
    assert.equal(listed.data.length, v.file_counts.cancelled);
    for (const f of listed.data) assert.deepEqual((await c().vectorStores.files.content(f.id, { vector_store_id: vs.id })).data, []);
  });

  it('a corrupt or unsupported file fails cleanly with last_error', async () => {
    const vs = await c().vectorStores.create({});
    const bin = Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0x00, 0x01, 0x80, 0xfe]); // not UTF-8, no BOM
    const bad = await c().vectorStores.files.uploadAndPoll(vs.id, await toFile(bin, 'corrupt.txt'), POLL);
    assert.equal(bad.status, 'failed');
    assert.equal(bad.last_error.code, 'invalid_file');
    assert.ok(bad.last_error.message.length > 10);
    const img = await c().vectorStores.files.uploadAndPoll(vs.id, await toFile(Buffer.from('\x89PNG\r\n'), 'photo.png'), POLL);
    assert.equal(img.status, 'failed');
    assert.equal(img.last_error.code, 'unsupported_file');
    const empty = await c().vectorStores.files.uploadAndPoll(vs.id, await toFile(Buffer.from(''), 'empty.txt'), POLL);
    assert.equal(empty.status, 'failed');
    const v = await c().vectorStores.retrieve(vs.id);
    assert.deepEqual(v.file_counts, { in_progress: 0, completed: 0, failed: 3, cancelled: 0, total: 3 });
    assert.equal(v.status, 'completed');
  });

  it('HTML text becomes searchable without its tags', async () => {
    const vs = await c().vectorStores.create({});
    const html = '<html><head><title>Birds</title></head><body><h1>Kiwi</h1><p>Kiwis are <b>flightless</b> birds of New Zealand.</p></body></html>';
    const f = await c().vectorStores.files.uploadAndPoll(vs.id, await toFile(Buffer.from(html), 'kiwi.html'), POLL);
    assert.equal(f.status, 'completed');
    const hits = await search(c(), vs.id, { query: 'flightless kiwi' });
    assert.equal(hits.length, 1);
    assert.match(hits[0].content[0].text, /Kiwis are flightless birds/);
    assert.doesNotMatch(hits[0].content[0].text, /<\/?[a-z]/);
  });

  it('deleting a file removes it from every vector store and from search', async () => {
    const f = await upload(c(), 'gone.txt', 'the zebra crossing is striped');
    const keep = await upload(c(), 'keep.txt', 'a zebra lives in Africa');
    const vs1 = await c().vectorStores.create({ file_ids: [f.id, keep.id] });
    const vs2 = await c().vectorStores.create({ file_ids: [f.id] });
    await settled(c(), vs1.id);
    await settled(c(), vs2.id);
    assert.equal((await search(c(), vs1.id, { query: 'zebra' })).length, 2);
    await c().files.delete(f.id);
    assert.deepEqual((await search(c(), vs1.id, { query: 'zebra' })).map((h) => h.file_id), [keep.id]);
    assert.deepEqual(await search(c(), vs2.id, { query: 'zebra' }), []);
    await expectErr(c().vectorStores.files.retrieve(f.id, { vector_store_id: vs1.id }), 404);
    assert.equal((await c().vectorStores.retrieve(vs1.id)).file_counts.total, 1);
    assert.equal((await c().vectorStores.retrieve(vs2.id)).file_counts.total, 0);
  });
});

describe('vector store search', () => {
  const { srv, it } = useServer();
  const c = () => srv().client();
  let vs;
  const docs = {};

  it('indexes a small collection', async () => {
    vs = (await c().vectorStores.create({ name: 'zoo' })).id;
    const items = [
      ['lion.txt', 'The lion is a large cat that lives in the savanna.', { kind: 'cat', legs: 4, wild: true, region: 'africa' }],
      ['tiger.txt', 'The tiger is the largest cat species, striped and solitary.', { kind: 'cat', legs: 4, wild: true, region: 'asia' }],
      ['house.txt', 'A house cat sleeps most of the day on the sofa.', { kind: 'cat', legs: 4, wild: false, region: 'home' }],
      ['eagle.txt', 'The eagle is a large bird of prey with keen eyesight.', { kind: 'bird', legs: 2, wild: true, region: 'america' }],
    ];
    for (const [name, text, attributes] of items) {
      const f = await upload(c(), name, text);
      docs[name] = f.id;
      await c().vectorStores.files.create(vs, { file_id: f.id, attributes });
    }
    await settled(c(), vs);
  });

  const names = (hits) => hits.map((h) => Object.keys(docs).find((k) => docs[k] === h.file_id));

  it('ranks by keyword relevance with scores between 0 and 1, best first', async () => {
    const hits = await search(c(), vs, { query: 'large cat' });
    assert.ok(hits.length >= 3);
    assert.equal(names(hits)[0], 'lion.txt');
    for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].score >= hits[i].score);
    for (const h of hits) assert.ok(h.score > 0 && h.score < 1, `score ${h.score}`);
    assert.deepEqual(hits[0].attributes, { kind: 'cat', legs: 4, wild: true, region: 'africa' });
    assert.equal(hits[0].content[0].type, 'text');
  });

  it('returns search_query and honours max_num_results, query lists and rewrite_query', async () => {
    const r = await srv().raw('POST', `/vector_stores/${vs}/search`, { json: { query: 'What is the largest CAT?', rewrite_query: true, max_num_results: 1 } });
    assert.equal(r.status, 200);
    const body = JSON.parse(r.text);
    assert.equal(body.object, 'vector_store.search_results.page');
    assert.deepEqual(body.search_query, ['what largest cat']);
    assert.equal(body.data.length, 1);
    assert.equal(body.has_more, false);
    assert.equal(body.next_page, null);
    const both = await search(c(), vs, { query: ['eagle', 'sofa'] });
    assert.deepEqual(names(both).sort(), ['eagle.txt', 'house.txt']);
    assert.deepEqual(await search(c(), vs, { query: 'platypus' }), []);
    assert.deepEqual(await search(c(), vs, { query: '?!' }), []);
  });

  it('filters on attributes: comparisons and nested compounds', async () => {
    const q = (filters) => search(c(), vs, { query: 'cat bird large', filters }).then(names).then((n) => n.sort());
    assert.deepEqual(await q({ type: 'eq', key: 'kind', value: 'bird' }), ['eagle.txt']);
    assert.deepEqual(await q({ type: 'ne', key: 'kind', value: 'cat' }), ['eagle.txt']);
    assert.deepEqual(await q({ type: 'eq', key: 'wild', value: false }), ['house.txt']);
    assert.deepEqual(await q({ type: 'lt', key: 'legs', value: 3 }), ['eagle.txt']);
    assert.deepEqual(await q({ type: 'gte', key: 'legs', value: 4 }), ['house.txt', 'lion.txt', 'tiger.txt']);
    assert.deepEqual(await q({ type: 'in', key: 'region', value: ['asia', 'america'] }), ['eagle.txt', 'tiger.txt']);
    assert.deepEqual(await q({ type: 'nin', key: 'region', value: ['asia', 'america'] }), ['house.txt', 'lion.txt']);
    assert.deepEqual(await q({ type: 'eq', key: 'legs', value: '4' }), []); // strings do not equal numbers
    assert.deepEqual(await q({ type: 'and', filters: [{ type: 'eq', key: 'kind', value: 'cat' }, { type: 'or', filters: [{ type: 'eq', key: 'region', value: 'asia' }, { type: 'eq', key: 'wild', value: false }] }] }), ['house.txt', 'tiger.txt']);
    assert.deepEqual(await q({ type: 'or', filters: [] }), []);
    await expectErr(c().vectorStores.search(vs, { query: 'cat', filters: { type: 'like', key: 'kind', value: 'c' } }), 400, { param: 'filters.type' });
    await expectErr(c().vectorStores.search(vs, { query: 'cat', filters: { type: 'eq', key: 'kind' } }), 400, { param: 'filters.value' });
  });

  it('drops results under score_threshold', async () => {
    const all = await search(c(), vs, { query: 'large cat' });
    const cut = (all[0].score + all.at(-1).score) / 2;
    const some = await search(c(), vs, { query: 'large cat', ranking_options: { ranker: 'auto', score_threshold: cut } });
    assert.ok(some.length >= 1 && some.length < all.length, `${some.length} of ${all.length}`);
    for (const h of some) assert.ok(h.score >= cut);
    assert.deepEqual(await search(c(), vs, { query: 'large cat', ranking_options: { score_threshold: 1 } }), []);
    await expectErr(c().vectorStores.search(vs, { query: 'cat', ranking_options: { score_threshold: 1.5 } }), 400);
    await expectErr(c().vectorStores.search(vs, { query: 'cat', max_num_results: 51 }), 400, { param: 'max_num_results' });
  });

  it('a search makes the store active', async () => {
    const before = await c().vectorStores.retrieve(vs);
    await new Promise((r) => setTimeout(r, 1100));
    await search(c(), vs, { query: 'cat' });
    const after = await c().vectorStores.retrieve(vs);
    assert.ok(after.last_active_at > before.last_active_at);
  });
});

describe('vector stores in tool_resources', () => {
  const { srv, it } = useServer();
  const c = () => srv().client();

  it('refuses unknown vector_store_ids and creates inline vector stores', async () => {
    await expectErr(c().beta.assistants.create({ model: 'gpt-4o', tool_resources: { file_search: { vector_store_ids: ['vs_doesNotExist'] } } }), 404, { param: 'tool_resources.file_search.vector_store_ids' });
    await expectErr(c().beta.threads.create({ tool_resources: { file_search: { vector_store_ids: ['vs_doesNotExist'] } } }), 404);
    const f = await upload(c(), 'inline.txt', 'inline vector stores work');
    const a = await c().beta.assistants.create({ model: 'gpt-4o', tools: [{ type: 'file_search' }], tool_resources: { file_search: { vector_stores: [{ file_ids: [f.id], metadata: { from: 'assistant' } }] } } });
    const ids = a.tool_resources.file_search.vector_store_ids;
    assert.equal(ids.length, 1);
    assert.equal(a.tool_resources.file_search.vector_stores, undefined);
    const v = await c().vectorStores.retrieve(ids[0]);
    assert.deepEqual(v.metadata, { from: 'assistant' });
    assert.equal(v.file_counts.total, 1);
    await settled(c(), v.id);
    assert.equal((await search(c(), v.id, { query: 'inline' })).length, 1);
    const t = await c().beta.threads.create({ tool_resources: { file_search: { vector_stores: [{ file_ids: [f.id] }] } } });
    assert.match(t.tool_resources.file_search.vector_store_ids[0], /^vs_/);
    const ok = await c().beta.threads.update(t.id, { tool_resources: { file_search: { vector_store_ids: [v.id] } } });
    assert.deepEqual(ok.tool_resources.file_search.vector_store_ids, [v.id]);
  });
});

describe('vector store expiry', () => {
  // A "day" of one second, so that expires_after days: 1 passes within the test.
  const { srv, it } = useServer({ args: ['--vs-day', '1'] });
  const c = () => srv().client();

  it('an unused store expires: status expired, search refused', async () => {
    const vs = await c().vectorStores.create({ expires_after: { anchor: 'last_active_at', days: 1 } });
    assert.equal(vs.expires_at, vs.last_active_at + 1);
    await new Promise((r) => setTimeout(r, 2500));
    const v = await c().vectorStores.retrieve(vs.id);
    assert.equal(v.status, 'expired');
    await expectErr(c().vectorStores.search(vs.id, { query: 'x' }), 400, { message: /expired/ });
    const f = await upload(c(), 'late.txt', 'too late');
    await expectErr(c().vectorStores.files.create(vs.id, { file_id: f.id }), 400, { message: /expired/ });
    await expectErr(c().beta.assistants.create({ model: 'gpt-4o', tool_resources: { file_search: { vector_store_ids: [vs.id] } } }), 400, { message: /expired/ });
    const listed = (await c().vectorStores.list()).data.find((x) => x.id === vs.id);
    assert.equal(listed.status, 'expired');
  });
});

describe('ingestion across a crash', () => {
  const { srv, it } = useServer();
  const c = () => srv().client();

  it('kill -9 mid-ingestion, restart: the file completes', async () => {
    const line = 'The quick brown fox jumps over the lazy dog while salmon swim upstream. ';
    const text = line.repeat(120000) + 'THE END marker';
    const f = await upload(c(), 'big.txt', text);
    const vs = await c().vectorStores.create({ file_ids: [f.id] });
    await new Promise((r) => setTimeout(r, 300));
    const mid = await c().vectorStores.files.retrieve(f.id, { vector_store_id: vs.id });
    assert.equal(mid.status, 'in_progress', 'the file must still be ingesting when the server is killed');
    await srv().kill9();
    await srv().restart();
    const done = await c().vectorStores.files.poll(vs.id, f.id, POLL);
    assert.equal(done.status, 'completed');
    const chunks = (await c().vectorStores.files.content(f.id, { vector_store_id: vs.id })).data;
    assert.ok(chunks[0].text.startsWith('The quick brown fox'));
    assert.ok(chunks.at(-1).text.endsWith('THE END marker'));
    const hits = await search(c(), vs.id, { query: 'marker' });
    assert.equal(hits.length, 1);
    assert.ok(hits[0].content[0].text.endsWith('THE END marker'));
  });
});
