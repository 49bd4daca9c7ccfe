'use strict';
// GET /v1/models, GET and DELETE /v1/models/{model}: the demo model without an upstream; the
// upstream's own list (kept for a minute) plus the aliases' names with one; and the
// configured models alone when the upstream fails, lacks the route, answers garbage or hangs.
// Every answer is checked against the spec (ListModelsResponse, Model, the error envelope).

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, useUpstreamServer, expectApiError } = require('./lib/harness');
const { validate } = require('./lib/spec');

// Every model of the list, through the SDK's page iterator.
async function listIds(c) {
  const ids = [];
  for await (const m of c.models.list()) {
    validate('Model', m);
    ids.push(m.id);
  }
  return ids;
}

describe('models: the demo model', () => {
  const { srv, it } = useServer();

  it('lists, retrieves and refuses to delete the demo model', async () => {
    const c = srv().client();
    const r = await srv().raw('GET', '/models');
    assert.equal(r.status, 200);
    validate('ListModelsResponse', r.json);
    assert.deepEqual(r.json.data, [{ id: 'assistd-demo', object: 'model', created: 0,
      owned_by: 'assistd' }]);
    assert.deepEqual(await listIds(c), ['assistd-demo']);
    const m = await c.models.retrieve('assistd-demo');
    assert.equal(m.id, 'assistd-demo');
    assert.equal(m.object, 'model');
    const e = await expectApiError(c.models.delete('assistd-demo'), 403, { param: 'model' });
    assert.match(e.message, /may not delete the model 'assistd-demo'/);
  });

  it('answers 404 model_not_found for a model it does not serve', async () => {
    const c = srv().client();
    let e = await expectApiError(c.models.retrieve('gpt-5-nope'), 404,
      { param: 'model', code: 'model_not_found' });
    assert.match(e.message, /The model 'gpt-5-nope' does not exist/);
    e = await expectApiError(c.models.delete('ft:gpt-4o-mini:acme:x:abc'), 404,
      { code: 'model_not_found' });
    assert.match(e.message, /ft:gpt-4o-mini:acme:x:abc/);
    await expectApiError(c.models.retrieve('org/nope'), 404, { code: 'model_not_found' });
  });
});

describe('models: an upstream with a list', () => {
  const { srv, it, up } = useUpstreamServer(['--model-aliases', 'gpt-4o=up-a,*=up-a']);

  it('lists the upstream\'s models and the aliases\' names, once a minute', async () => {
    up().scriptModels({ data: [
      { id: 'up-a', object: 'model', created: 1700000000, owned_by: 'org-1' },
      { id: 'meta-llama/Llama-3.1-8B-Instruct', object: 'model' }, // no created, owned_by
      { id: 'up-a', object: 'model', created: 1, owned_by: 'twice' }, // listed already
      { id: 42 }, { object: 'model' }, 'junk', // no usable id: left out
    ] });
    const c = srv().client();
    const r = await srv().raw('GET', '/models');
    validate('ListModelsResponse', r.json);
    assert.deepEqual(r.json.data, [
      { id: 'up-a', object: 'model', created: 1700000000, owned_by: 'org-1' },
      { id: 'meta-llama/Llama-3.1-8B-Instruct', object: 'model', created: 0,
        owned_by: 'upstream' },
      { id: 'gpt-4o', object: 'model', created: 0, owned_by: 'assistd' },
    ]);
    assert.equal(up().modelRequests(), 1);
    // Kept: these answer from the list held, without asking the upstream again.
    assert.deepEqual(await listIds(c), ['up-a', 'meta-llama/Llama-3.1-8B-Instruct', 'gpt-4o']);
    assert.equal(up().modelRequests(), 1);
  });

  it('retrieves upstream models (an id with a slash too) and aliases', async () => {
    const c = srv().client();
    const m = await c.models.retrieve('meta-llama/Llama-3.1-8B-Instruct');
    assert.equal(m.id, 'meta-llama/Llama-3.1-8B-Instruct');
    assert.equal((await c.models.retrieve('gpt-4o')).owned_by, 'assistd');
    assert.equal((await c.models.retrieve('up-a')).created, 1700000000);
    await expectApiError(c.models.delete('meta-llama/Llama-3.1-8B-Instruct'), 403,
      { param: 'model' });
    await expectApiError(c.models.retrieve('up-b'), 404, { code: 'model_not_found' });
  });
});

describe('models: an upstream without a usable list', () => {
  const { srv, it, up } = useUpstreamServer(['--model-aliases', 'gpt-4o=x, gpt-4o-mini=y']);

  it('lists the configured models when the upstream lacks the route', async () => {
    up().scriptModels({ status: 404 });
    const r = await srv().raw('GET', '/models');
    assert.equal(r.status, 200);
    validate('ListModelsResponse', r.json);
    assert.deepEqual(r.json.data.map((m) => m.id), ['gpt-4o', 'gpt-4o-mini']);
    assert.equal(up().modelRequests(), 1);
    assert.match(srv().stderrTail(20), /model list failed/);
  });
});

describe('models: an upstream that answers garbage', () => {
  const { srv, it, up } = useUpstreamServer(['--model-aliases', 'gpt-4o=x']);

  it('lists the configured models for a body that is not a model list', async () => {
    up().scriptModels({ raw: '{"models": "none"}' });
    const c = srv().client();
    assert.deepEqual(await listIds(c), ['gpt-4o']);
  });
});

describe('models: an upstream that never answers', () => {
  const { srv, it, up } = useUpstreamServer(['--model-aliases', 'gpt-4o=x']);

  it('gives up after a few seconds and lists the configured models', async () => {
    up().scriptModels({ hang: true });
    const c = srv().client();
    const [a, b] = await Promise.all([listIds(c), c.models.retrieve('gpt-4o')]);
    assert.deepEqual(a, ['gpt-4o']);
    assert.equal(b.id, 'gpt-4o');
    assert.equal(up().modelRequests(), 1);
  });
});
