'use strict';
// Assistants: create (every field), retrieve, modify, delete, through the official SDK.
// Every response body is validated against the spec. Listing and pagination: pagination.test.js.

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, expectApiError } = require('./lib/harness');
const { validate, validateList } = require('./lib/spec');
const { assertRecent, assertSubset, plain, fileIdOrFake, vectorStoreIdOrFake } = require('./lib/util');

const weatherParams = {
  type: 'object',
  properties: { city: { type: 'string', description: 'City name' }, unit: { type: 'string', enum: ['c', 'f'] } },
  required: ['city', 'unit'],
  additionalProperties: false,
};
const answerSchema = {
  type: 'object',
  properties: { answer: { type: 'number' }, steps: { type: 'array', items: { type: 'string' } } },
  required: ['answer', 'steps'],
  additionalProperties: false,
};

describe('assistants', () => {
  const { srv, it } = useServer();
  let fileId, vsId;
  let full; // the assistant made with every field

  const fullBody = () => ({
    model: 'gpt-4o',
    name: 'Math Tutor',
    description: 'Answers maths questions step by step.',
    instructions: 'You are a personal math tutor. Write and run code to answer math questions.',
    tools: [
      { type: 'code_interpreter' },
      { type: 'file_search', file_search: { max_num_results: 7, ranking_options: { ranker: 'default_2024_08_21', score_threshold: 0.25 } } },
      { type: 'function', function: { name: 'get_weather', description: 'Current weather for a city', parameters: weatherParams, strict: true } },
      { type: 'function', function: { name: 'no-params_fn' } },
    ],
    tool_resources: { code_interpreter: { file_ids: [fileId] }, file_search: { vector_store_ids: [vsId] } },
    metadata: { team: 'maths', tier: 'gold', empty: '' },
    temperature: 0.7,
    top_p: 0.9,
    response_format: { type: 'json_schema', json_schema: { name: 'answer_v1', description: 'An answer', schema: answerSchema, strict: true } },
    reasoning_effort: 'low',
  });

  it('setup: a file and a vector store to point tool_resources at', async () => {
    fileId = (await fileIdOrFake(srv())).id;
    vsId = (await vectorStoreIdOrFake(srv())).id;
  });

  it('creates an assistant with only a model: defaults filled in', async () => {
    const a = await srv().client().beta.assistants.create({ model: 'gpt-4o-mini' });
    validate('AssistantObject', a);
    assert.match(a.id, /^asst_[A-Za-z0-9]+$/);
    assert.equal(a.object, 'assistant');
    assertRecent(a.created_at, 'created_at');
    assert.equal(a.model, 'gpt-4o-mini');
    assert.equal(a.name, null);
    assert.equal(a.description, null);
    assert.equal(a.instructions, null);
    assert.deepEqual(a.tools, []);
    assert.deepEqual(a.metadata, {});
    // the hosted service renders the defaults (examples: 1.0, 1.0, "auto")
    assert.equal(a.temperature, 1);
    assert.equal(a.top_p, 1);
    assert.equal(a.response_format, 'auto');
    assert.ok(a._request_id, 'the SDK exposes x-request-id as _request_id');
  });

  it('creates an assistant with every field and echoes them', async () => {
    const body = fullBody();
    const a = await srv().client().beta.assistants.create(body);
    validate('AssistantObject', a);
    full = plain(a);
    assert.match(a.id, /^asst_/);
    assert.equal(a.model, 'gpt-4o');
    assert.equal(a.name, body.name);
    assert.equal(a.description, body.description);
    assert.equal(a.instructions, body.instructions);
    assertSubset(a.tools, body.tools, 'tools');
    assert.deepEqual(a.tools[0], { type: 'code_interpreter' });
    assert.deepEqual(a.tools[2].function.parameters, weatherParams, 'function parameters are kept verbatim');
    assert.equal(a.tools[2].function.strict, true);
    assertSubset(a.tool_resources, body.tool_resources, 'tool_resources');
    assert.deepEqual(a.metadata, body.metadata);
    assert.equal(a.temperature, 0.7);
    assert.equal(a.top_p, 0.9);
    assertSubset(a.response_format, body.response_format, 'response_format');
    assert.deepEqual(a.response_format.json_schema.schema, answerSchema);
  });

  for (const rf of ['auto', { type: 'text' }, { type: 'json_object' }]) {
    it(`accepts response_format ${JSON.stringify(rf)}`, async () => {
      const a = await srv().client().beta.assistants.create({ model: 'gpt-4o', response_format: rf });
      validate('AssistantObject', a);
      assert.deepEqual(a.response_format, rf);
    });
  }

  for (const effort of ['minimal', 'low', 'medium', 'high']) {
    it(`accepts reasoning_effort ${effort}`, async () => {
      const a = await srv().client().beta.assistants.create({ model: 'o3-mini', reasoning_effort: effort });
      validate('AssistantObject', a);
    });
  }

  it('accepts explicit nulls for nullable fields', async () => {
    const a = await srv().client().beta.assistants.create({
      model: 'gpt-4o', name: null, description: null, instructions: null, tool_resources: null,
      metadata: null, temperature: null, top_p: null, response_format: null, reasoning_effort: null,
    });
    validate('AssistantObject', a);
    assert.equal(a.name, null);
    assert.equal(a.description, null);
    assert.equal(a.instructions, null);
    assert.ok(a.metadata === null || (typeof a.metadata === 'object' && Object.keys(a.metadata).length === 0), `metadata ${JSON.stringify(a.metadata)}`);
  });

  it('accepts boundary values: temperature 0 and 2, top_p 0 and 1, 16 metadata pairs, 64/512-char key/value, 256-char name, 512-char description', async () => {
    const metadata = {};
    for (let i = 0; i < 15; i++) metadata[`k${i}`] = `v${i}`;
    metadata['k'.repeat(64)] = 'v'.repeat(512);
    const c = srv().client();
    const a = await c.beta.assistants.create({ model: 'gpt-4o', temperature: 0, top_p: 0, metadata, name: 'n'.repeat(256), description: 'd'.repeat(512) });
    validate('AssistantObject', a);
    assert.equal(a.temperature, 0);
    assert.equal(a.top_p, 0);
    assert.deepEqual(a.metadata, metadata);
    assert.equal(a.name.length, 256);
    assert.equal(a.description.length, 512);
    const b = await c.beta.assistants.create({ model: 'gpt-4o', temperature: 2, top_p: 1 });
    validate('AssistantObject', b);
    assert.equal(b.temperature, 2);
    assert.equal(b.top_p, 1);
  });

  it('keeps unicode and JSON-special characters intact', async () => {
    const name = 'Zoë "the" \\ tutor\n\t— 数学 🧮';
    const a = await srv().client().beta.assistants.create({ model: 'gpt-4o', name, instructions: '</script> & \u2028', metadata: { 'ключ': 'значение' } });
    validate('AssistantObject', a);
    assert.equal(a.name, name);
    assert.equal(a.instructions, '</script> & \u2028');
    const r = await srv().client().beta.assistants.retrieve(a.id);
    assert.equal(r.name, name);
    assert.deepEqual(r.metadata, { 'ключ': 'значение' });
  });

  it('a NUL character (\\u0000) in a string is either kept exactly or rejected with 400, never truncated', async () => {
    const c = srv().client();
    let a;
    try {
      a = await c.beta.assistants.create({ model: 'gpt-4o', instructions: 'before\u0000after' });
    } catch (e) {
      assert.equal(e.status, 400, `expected 200 or 400, got ${e.status}: ${e.message}`);
      return;
    }
    validate('AssistantObject', a);
    assert.equal(a.instructions, 'before\u0000after');
    const r = await c.beta.assistants.retrieve(a.id);
    assert.equal(r.instructions, 'before\u0000after', 'stored without truncation');
  });

  it('retrieves an assistant exactly as created', async () => {
    const a = await srv().client().beta.assistants.retrieve(full.id);
    validate('AssistantObject', a);
    assert.deepEqual(plain(a), full);
  });

  it('modifies one field and leaves the others alone', async () => {
    const c = srv().client();
    const a = await c.beta.assistants.update(full.id, { name: 'Maths Tutor v2' });
    validate('AssistantObject', a);
    const was = full;
    full = plain(a);
    assert.deepEqual(full, { ...was, name: 'Maths Tutor v2' });
    const again = await c.beta.assistants.retrieve(full.id);
    assert.deepEqual(plain(again), full, 'the change is stored');
  });

  it('modify with an empty body changes nothing', async () => {
    const a = await srv().client().beta.assistants.update(full.id, {});
    validate('AssistantObject', a);
    assert.deepEqual(plain(a), full);
  });

  it('modify replaces the tools list as a whole', async () => {
    const c = srv().client();
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }];
    const a = await c.beta.assistants.update(full.id, { tools });
    validate('AssistantObject', a);
    full = plain(a);
    assert.equal(a.tools.length, 1);
    assertSubset(a.tools, tools, 'tools');
    assert.equal(a.instructions, fullBody().instructions, 'other fields kept');
    assert.deepEqual(plain(await c.beta.assistants.retrieve(full.id)), full);
  });

  it('modify overrides the tool_resources lists that are given', async () => {
    const c = srv().client();
    // only code_interpreter given: its list is replaced; file_search is left as the server
    // sees fit (the spec: "Overrides the list of file IDs made available to code_interpreter")
    let a = await c.beta.assistants.update(full.id, { tool_resources: { code_interpreter: { file_ids: [] } } });
    validate('AssistantObject', a);
    full = plain(a);
    assert.deepEqual(a.tool_resources.code_interpreter.file_ids, []);
    // both given: both replaced
    a = await c.beta.assistants.update(full.id, { tool_resources: { code_interpreter: { file_ids: [fileId] }, file_search: { vector_store_ids: [] } } });
    validate('AssistantObject', a);
    full = plain(a);
    assert.deepEqual(a.tool_resources.code_interpreter.file_ids, [fileId]);
    assert.deepEqual(a.tool_resources.file_search.vector_store_ids, []);
    assert.equal(a.name, 'Maths Tutor v2');
    assert.deepEqual(plain(await c.beta.assistants.retrieve(full.id)), full);
  });

  it('modify sets model, instructions, sampling, response_format and metadata', async () => {
    const c = srv().client();
    // a superset of the old metadata: the result is the same whether the server merges or replaces
    const metadata = { ...full.metadata, tier: 'platinum', added: 'yes' };
    const a = await c.beta.assistants.update(full.id, {
      model: 'gpt-4.1', instructions: 'Be brief.', temperature: 0.1, top_p: 0.5,
      response_format: { type: 'json_object' }, metadata, reasoning_effort: 'high',
    });
    validate('AssistantObject', a);
    const was = full;
    full = plain(a);
    assert.equal(a.model, 'gpt-4.1');
    assert.equal(a.instructions, 'Be brief.');
    assert.equal(a.temperature, 0.1);
    assert.equal(a.top_p, 0.5);
    assert.deepEqual(a.response_format, { type: 'json_object' });
    assert.deepEqual(a.metadata, metadata);
    assert.equal(a.created_at, was.created_at, 'created_at does not change');
    assert.equal(a.id, was.id);
  });

  it('modify sets nullable fields to null', async () => {
    const a = await srv().client().beta.assistants.update(full.id, { description: null, instructions: null });
    validate('AssistantObject', a);
    assert.equal(a.description, null);
    assert.equal(a.instructions, null);
    assert.equal(a.name, full.name);
  });

  it('deletes an assistant; afterwards it is gone everywhere', async () => {
    const c = srv().client();
    const a = await c.beta.assistants.create({ model: 'gpt-4o', name: 'short-lived' });
    const d = await c.beta.assistants.delete(a.id);
    validate('DeleteAssistantResponse', d);
    assert.deepEqual(plain(d), { id: a.id, object: 'assistant.deleted', deleted: true });
    const e = await expectApiError(c.beta.assistants.retrieve(a.id), 404);
    assert.match(e.error.message, new RegExp(a.id), 'the 404 message names the id');
    await expectApiError(c.beta.assistants.update(a.id, { name: 'x' }), 404);
    await expectApiError(c.beta.assistants.delete(a.id), 404);
    const list = await c.beta.assistants.list({ limit: 100 });
    validateList('AssistantObject', list.body);
    assert.ok(!list.data.some((x) => x.id === a.id), 'a deleted assistant is not listed');
  });

  it('unknown ids are 404 with the spec error body', async () => {
    const c = srv().client();
    const e = await expectApiError(c.beta.assistants.retrieve('asst_doesnotexist000000'), 404);
    assert.match(e.error.message, /asst_doesnotexist000000/);
    await expectApiError(c.beta.assistants.update('asst_doesnotexist000000', { name: 'x' }), 404);
    await expectApiError(c.beta.assistants.delete('asst_doesnotexist000000'), 404);
  });

  it('lists what was created, every item valid', async () => {
    const list = await srv().client().beta.assistants.list({ limit: 100 });
    validateList('AssistantObject', list.body);
    assert.ok(list.data.some((x) => x.id === full.id));
    for (const a of list.data) validate('AssistantObject', a);
  });
});
