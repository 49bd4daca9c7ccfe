'use strict';
// Embeddings and hybrid search against the fake upstream's /v1/embeddings (hashed
// bag-of-words vectors, tests/fake_upstream/embed.js): what ingestion sends (model,
// dimensions, the chunks), search by vector where keywords find nothing, the fused order and
// score_threshold, retries on 429 and 5xx, and failures ending the file "failed" with a
// last_error that says why. Without an embedding model nothing is embedded, and the log says
// so once.

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { toFile } = require('openai');
const { useUpstreamServer, expectApiError } = require('./lib/harness');

const POLL = { pollIntervalMs: 50 };
const DOCS = {
  'fruit.txt': 'Apples and pears grow in orchards. An apple tree blossoms in spring.',
  'space.txt': 'The telescope observed a distant galaxy and its spiral arms of stars.',
  'cooking.txt': 'Simmer the tomato sauce with garlic and basil, then add the pasta.',
};

async function uploadTo(c, vs, name, text) {
  return c.vectorStores.files.uploadAndPoll(vs, await toFile(Buffer.from(text), name), POLL);
}

async function storeWithDocs(c) {
  const vs = await c.vectorStores.create({ name: 'docs' });
  for (const [name, text] of Object.entries(DOCS)) {
    const f = await uploadTo(c, vs.id, name, text);
    assert.equal(f.status, 'completed', JSON.stringify(f.last_error));
  }
  return vs.id;
}

const inputsOf = (reqs) => reqs.flatMap((r) => (Array.isArray(r.input) ? r.input : [r.input]));

describe('hybrid search with embeddings', () => {
  const { srv, it, up } = useUpstreamServer(['--embedding-model', 'text-embedding-3-large']);
  const c = () => srv().client();
  let vs;

  it('says once at start that search is hybrid, with the model', async () => {
    const lines = srv().stderr.split('\n').filter((l) => l.includes('file_search:'));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], /hybrid search.*text-embedding-3-large \(256 dimensions\)/);
  });

  it('embeds every chunk at ingestion, asking for 256 dimensions as hosted', async () => {
    const before = up().embeddingRequests.length;
    vs = await storeWithDocs(c());
    const reqs = up().embeddingRequests.slice(before);
    assert.equal(reqs.length, 3);
    for (const r of reqs) {
      assert.equal(r.model, 'text-embedding-3-large');
      assert.equal(r.dimensions, 256);
      assert.equal(r.encoding_format, 'float');
    }
    assert.deepEqual(inputsOf(reqs).sort(), Object.values(DOCS).sort());
  });

  it('embeds each query once and finds by vector what no keyword matches', async () => {
    const before = up().embeddingRequests.length;
    // The query shares no word with any document; its embedding is the galaxy text's.
    up().scriptEmbeddings({ as: 'telescope galaxy spiral stars' });
    const page = await c().vectorStores.search(vs, { query: 'xyzzy plugh' });
    assert.deepEqual(inputsOf(up().embeddingRequests.slice(before)), ['xyzzy plugh']);
    assert.equal(page.data[0].filename, 'space.txt');
    assert.ok(page.data[0].score > 0 && page.data[0].score <= 1, String(page.data[0].score));
  });

  it('fuses keyword and vector scores: both agreeing rank first, scores within 0..1', async () => {
    const page = await c().vectorStores.search(vs, { query: ['apple orchards', 'pasta'] });
    const names = page.data.map((d) => d.filename);
    assert.equal(names[0], 'fruit.txt');
    assert.ok(names.includes('cooking.txt'), names.join());
    const scores = page.data.map((d) => d.score);
    assert.deepEqual([...scores].sort((a, b) => b - a), scores);
    for (const s of scores) assert.ok(s > 0 && s <= 1, String(s));
    const top = await c().vectorStores.search(vs, { query: 'apple orchards',
      ranking_options: { score_threshold: scores[0] } });
    assert.deepEqual(top.data.map((d) => d.filename), ['fruit.txt']);
  });

  it('breaks a keyword tie by the vectors: the chunk nearer the query ranks first', async () => {
    const v = (await c().vectorStores.create({ name: 'tie' })).id;
    await uploadTo(c(), v, 'x.txt', 'shared word one');
    await uploadTo(c(), v, 'y.txt', 'shared word two');
    // Same BM25 for both; the query's own vector is as near to each: the older chunk first.
    let page = await c().vectorStores.search(v, { query: 'shared' });
    assert.deepEqual(page.data.map((d) => d.filename), ['x.txt', 'y.txt']);
    up().scriptEmbeddings({ as: 'shared word two' });
    page = await c().vectorStores.search(v, { query: 'shared' });
    assert.deepEqual(page.data.map((d) => d.filename), ['y.txt', 'x.txt']);
    assert.ok(page.data[0].score > page.data[1].score);
  });

  it('retries a 429 (honouring Retry-After) and a 503, then completes the file', async () => {
    const before = up().embeddingRequests.length;
    // Without the headers the waits would be 250..500 ms, then 500..1000 ms.
    up().scriptEmbeddings([{ status: 429, headers: { 'retry-after': '2' } },
      { status: 503, headers: { 'retry-after-ms': '10' } }]);
    const f = await uploadTo(c(), vs, 'retry.txt', 'Retried text about volcanoes.');
    assert.equal(f.status, 'completed', JSON.stringify(f.last_error));
    assert.equal(up().embeddingRequests.length - before, 3);
    assert.match(srv().stderr, /embeddings: upstream error; retry 1 of 3 in 2000 ms/);
    assert.match(srv().stderr, /embeddings: upstream error; retry 2 of 3 in 10 ms/);
    const page = await c().vectorStores.search(vs, { query: 'volcanoes' });
    assert.equal(page.data[0].filename, 'retry.txt');
  });

  it('a refused embedding ends the file failed, quoting the upstream', async () => {
    up().scriptEmbeddings({ status: 400, body: { error: { message: 'input too long for model',
      type: 'invalid_request_error', param: null, code: null } } });
    const f = await uploadTo(c(), vs, 'refused.txt', 'Text the model refuses.');
    assert.equal(f.status, 'failed');
    assert.equal(f.last_error.code, 'server_error');
    assert.match(f.last_error.message, /Embedding the file's text failed: .*400: input too long for model/);
    const page = await c().vectorStores.search(vs, { query: 'refuses' });
    assert.ok(!page.data.some((d) => d.filename === 'refused.txt'));
  });

  it('a server that keeps failing ends the file failed after the retries', async () => {
    const before = up().embeddingRequests.length;
    up().scriptEmbeddings([500, 500, 500, 500].map((status) => ({ status,
      headers: { 'retry-after': '0' } })));
    const f = await uploadTo(c(), vs, 'down.txt', 'Nobody embeds this.');
    assert.equal(f.status, 'failed');
    assert.match(f.last_error.message, /answered 500/);
    assert.equal(up().embeddingRequests.length - before, 4);
  });

  it('vectors of the wrong size end the file failed, saying what to set', async () => {
    up().scriptEmbeddings({ dims: 768 });
    const f = await uploadTo(c(), vs, 'size.txt', 'Vectors of another size.');
    assert.equal(f.status, 'failed');
    assert.match(f.last_error.message, /768 dimensions, not the 256.*ASSISTD_EMBEDDING_DIMENSIONS/);
  });

  it('a query the embedding model refuses fails the search with 502', async () => {
    up().scriptEmbeddings({ status: 400 });
    await expectApiError(c().vectorStores.search(vs, { query: 'apples' }), 502);
  });

  it('a file detached from the store leaves vector search at once', async () => {
    const list = await c().vectorStores.files.list(vs, { limit: 100 });
    const files = await Promise.all(list.data.map((f) => c().files.retrieve(f.id)));
    const id = files.find((f) => f.filename === 'fruit.txt').id;
    up().scriptEmbeddings({ as: DOCS['fruit.txt'] });
    let page = await c().vectorStores.search(vs, { query: 'qqq' });
    assert.equal(page.data[0].filename, 'fruit.txt');
    await c().vectorStores.files.delete(id, { vector_store_id: vs });
    up().scriptEmbeddings({ as: DOCS['fruit.txt'] });
    page = await c().vectorStores.search(vs, { query: 'qqq' });
    assert.ok(!page.data.some((d) => d.filename === 'fruit.txt'));
  });
});

describe('a hybrid search waiting for its query\'s embedding', () => {
  // One HTTP worker thread: a search that held it while the embedding came would hold up
  // every other request.
  const { srv, it, up } = useUpstreamServer(['--embedding-model', 'text-embedding-3-large',
    '--threads', '1']);
  const c = () => srv().client();

  it('holds no HTTP worker: other requests are answered meanwhile', async () => {
    const f = await c().files.create({ file: await toFile(Buffer.from(DOCS['fruit.txt']), 'fruit.txt'), purpose: 'assistants' });
    const vs = await c().vectorStores.create({ file_ids: [f.id] });
    for (let s = vs; s.file_counts.completed < 1;) s = await c().vectorStores.retrieve(vs.id);
    up().scriptEmbeddings([{ delayMs: 1500 }, { delayMs: 1500 }]);
    const done = [];
    const searches = ['apple', 'orchards'].map((q) => c().vectorStores.search(vs.id, { query: q })
      .then((page) => { done.push('search'); return page; }));
    await new Promise((r) => setTimeout(r, 300));
    const got = await c().vectorStores.retrieve(vs.id);
    done.push('retrieve');
    const pages = await Promise.all(searches);
    assert.equal(got.id, vs.id);
    assert.deepEqual(done, ['retrieve', 'search', 'search']);
    for (const page of pages) assert.equal(page.data[0].filename, 'fruit.txt');
  });
});

describe('embeddings at the model\'s own size', () => {
  const { srv, it, up } = useUpstreamServer(['--embedding-model', 'nomic-embed-text',
    '--embedding-dimensions', '0']);

  it('sends no "dimensions" and searches vectors of the size the model returns', async () => {
    const c = srv().client();
    const vs = await storeWithDocs(c);
    assert.ok(up().embeddingRequests.every((r) => !('dimensions' in r)));
    up().scriptEmbeddings({ as: DOCS['cooking.txt'] });
    const page = await c.vectorStores.search(vs, { query: 'zzz' });
    assert.equal(page.data[0].filename, 'cooking.txt');
  });
});

describe('keyword search without an embedding model', () => {
  const { srv, it, up } = useUpstreamServer([]);

  it('embeds nothing and says once that search is keyword alone', async () => {
    const c = srv().client();
    const vs = await storeWithDocs(c);
    const page = await c.vectorStores.search(vs, { query: 'galaxy' });
    assert.equal(page.data[0].filename, 'space.txt');
    assert.equal(up().embeddingRequests.length, 0);
    const lines = srv().stderr.split('\n').filter((l) => l.includes('file_search:'));
    assert.equal(lines.length, 1);
    assert.match(lines[0], /keyword search alone/);
  });
});
