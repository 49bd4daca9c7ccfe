'use strict';
// The validator checked against the spec itself: the spec's own example responses must pass
// where they agree with the schemas, and must fail where NOTES.md §10 says they don't; synthetic
// objects check nullable handling, required-but-nullable fields, wrong types and the list /
// error / event helpers. Needs no server.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const spec = require('./lib/spec');

let doc = null;
function specDoc() {
  if (!doc) doc = require('yaml').parse(fs.readFileSync(spec.SPEC_PATH, 'utf8'), { maxAliasCount: -1 });
  return doc;
}
function example(pathKey, method) {
  let ex = specDoc().paths[pathKey][method]['x-oaiMeta'].examples;
  if (Array.isArray(ex)) ex = ex[0];
  return JSON.parse(ex.response);
}
function responseSchema(pathKey, method) {
  return specDoc().paths[pathKey][method].responses['200'].content['application/json'].schema.$ref.split('/').pop();
}
function mustFail(name, value, re) {
  assert.throws(() => spec.validate(name, value), (e) => {
    assert.ok(e instanceof assert.AssertionError, 'an AssertionError');
    if (re) assert.match(e.message, re);
    return true;
  });
}

const assistant = () => ({
  id: 'asst_1', object: 'assistant', created_at: 1700000000, name: null, description: null,
  model: 'gpt-4o', instructions: null, tools: [], metadata: {}, tool_resources: null,
  temperature: 1, top_p: 1, response_format: 'auto',
});
const message = () => ({
  id: 'msg_1', object: 'thread.message', created_at: 1700000000, thread_id: 'thread_1',
  status: 'completed', incomplete_details: null, completed_at: 1700000000, incomplete_at: null,
  role: 'user', content: [{ type: 'text', text: { value: 'hi', annotations: [] } }],
  assistant_id: null, run_id: null, attachments: [], metadata: {},
});

describe('validator: spec examples', () => {
  const passing = [
    ['/assistants', 'get'], ['/assistants', 'post'], ['/assistants/{assistant_id}', 'get'],
    ['/assistants/{assistant_id}', 'post'], ['/assistants/{assistant_id}', 'delete'],
    ['/threads', 'post'], ['/threads/{thread_id}', 'get'], ['/threads/{thread_id}', 'post'],
    ['/threads/{thread_id}', 'delete'], ['/threads/{thread_id}/messages/{message_id}', 'delete'],
    ['/threads/runs', 'post'],
  ];
  for (const [p, m] of passing) {
    it(`${m.toUpperCase()} ${p} example matches ${responseSchema(p, m)}`, () => {
      spec.validate(responseSchema(p, m), example(p, m));
    });
  }
  it('component examples: AssistantObject, ListAssistantsResponse, MessageDeltaObject, RunStepDeltaObject', () => {
    for (const n of ['AssistantObject', 'ListAssistantsResponse', 'MessageDeltaObject', 'RunStepDeltaObject']) {
      spec.validate(n, JSON.parse(spec.schema(n)['x-oaiMeta'].example));
    }
  });
  it('message examples lack the required-but-nullable fields (NOTES §10.4) and are rejected', () => {
    for (const [p, m] of [['/threads/{thread_id}/messages', 'post'], ['/threads/{thread_id}/messages/{message_id}', 'get']]) {
      mustFail('MessageObject', example(p, m), /required property 'status'[\s\S]*'incomplete_details'[\s\S]*'completed_at'[\s\S]*'incomplete_at'/);
    }
  });
  it('run step examples lack metadata (NOTES §10.2) and are rejected', () => {
    mustFail('RunStepObject', example('/threads/{thread_id}/runs/{run_id}/steps/{step_id}', 'get'), /'metadata'/);
  });
  it('thread component example lacks tool_resources and is rejected', () => {
    mustFail('ThreadObject', JSON.parse(spec.schema('ThreadObject')['x-oaiMeta'].example), /'tool_resources'/);
  });
});

describe('validator: synthetic objects', () => {
  it('accepts a minimal assistant and a full one', () => {
    spec.validate('AssistantObject', assistant());
    spec.validate('AssistantObject', {
      ...assistant(), name: 'n', description: 'd', instructions: 'i',
      tools: [{ type: 'code_interpreter' }, { type: 'file_search', file_search: { max_num_results: 5, ranking_options: { ranker: 'auto', score_threshold: 0.5 } } },
        { type: 'function', function: { name: 'f', description: 'x', parameters: { type: 'object', properties: {} }, strict: true } }],
      tool_resources: { code_interpreter: { file_ids: ['file-1'] }, file_search: { vector_store_ids: ['vs_1'] } },
      metadata: { a: 'b' }, temperature: 0.5, top_p: 0.3,
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' }, strict: true } },
    });
  });
  it('allows fields the schema does not list (no strict additionalProperties on responses)', () => {
    spec.validate('AssistantObject', { ...assistant(), reasoning_effort: 'low', extra: 1 });
  });
  it('rejects a missing required-but-nullable field', () => {
    const a = assistant(); delete a.description;
    mustFail('AssistantObject', a, /required property 'description'/);
    const m = message(); delete m.assistant_id;
    mustFail('MessageObject', m, /required property 'assistant_id'/);
    const t = { id: 'thread_1', object: 'thread', created_at: 1, metadata: {} };
    mustFail('ThreadObject', t, /required property 'tool_resources'/);
  });
  it('rejects wrong types and enum values', () => {
    mustFail('AssistantObject', { ...assistant(), created_at: '1700000000' }, /created_at/);
    mustFail('AssistantObject', { ...assistant(), created_at: 1.5 }, /created_at/);
    mustFail('AssistantObject', { ...assistant(), object: 'assistants' }, /object/);
    mustFail('AssistantObject', { ...assistant(), metadata: { a: 1 } }, /metadata/);
    mustFail('AssistantObject', { ...assistant(), temperature: 3 }, /temperature/);
    mustFail('AssistantObject', { ...assistant(), tools: [{ type: 'browser' }] }, /tools/);
    mustFail('MessageObject', { ...message(), content: [{ type: 'text', text: 'hi' }] }, /content/);
    mustFail('MessageObject', { ...message(), status: 'done' }, /status/);
  });
  it('nullable: true (OpenAPI 3.0 style) is turned into a null-accepting schema', () => {
    const r = spec.rewrite({
      type: 'object',
      properties: {
        a: { type: 'integer', nullable: true },
        b: { type: 'string', enum: ['x'], nullable: true },
        c: { $ref: '#/components/schemas/Metadata', nullable: true },
        d: { type: 'number', minimum: 0, exclusiveMinimum: true },
      },
    });
    assert.deepEqual(r.properties.a, { type: ['integer', 'null'] });
    assert.deepEqual(r.properties.b, { type: ['string', 'null'], enum: ['x', null] });
    assert.deepEqual(r.properties.c, { anyOf: [{ $ref: '#/components/schemas/Metadata' }, { type: 'null' }] });
    assert.deepEqual(r.properties.d, { type: 'number', exclusiveMinimum: 0 });
    // and nothing in the loaded spec still says nullable
    const left = [];
    (function walk(o, p) {
      if (Array.isArray(o)) return o.forEach((x, i) => walk(x, `${p}/${i}`));
      if (o && typeof o === 'object') {
        if (o.nullable === true) left.push(p);
        for (const k of Object.keys(o)) if (k !== 'x-oaiMeta') walk(o[k], `${p}/${k}`);
      }
    })(spec.loadSchemas(), '');
    assert.deepEqual(left, []);
  });
  it('validateList: ids must match data, empty lists carry null ids (flagged deviation)', () => {
    const a1 = { ...assistant(), id: 'asst_1' }; const a2 = { ...assistant(), id: 'asst_2' };
    spec.validateList('AssistantObject', { object: 'list', data: [a1, a2], first_id: 'asst_1', last_id: 'asst_2', has_more: false });
    spec.validateList('AssistantObject', { object: 'list', data: [], first_id: null, last_id: null, has_more: false });
    assert.throws(() => spec.validateList('AssistantObject', { object: 'list', data: [], has_more: false }), /first_id must be present/);
    assert.throws(() => spec.validateList('AssistantObject', { object: 'list', data: [], first_id: null, last_id: null, has_more: false }, { allowEmptyNullIds: false }), /first_id/);
    assert.throws(() => spec.validateList('AssistantObject', { object: 'list', data: [a1, a2], first_id: 'asst_2', last_id: 'asst_2', has_more: false }), /first_id/);
    assert.throws(() => spec.validateList('AssistantObject', { object: 'list', data: [a1], first_id: 'asst_1', last_id: 'asst_1' }), /has_more/);
    assert.throws(() => spec.validateList('AssistantObject', { object: 'list', data: [{ ...a1, tools: null }], first_id: 'asst_1', last_id: 'asst_1', has_more: false }), /tools/);
    spec.validateList('MessageObject', { object: 'list', data: [message()], first_id: 'msg_1', last_id: 'msg_1', has_more: true });
  });
  it('validateError: all four keys, param matching', () => {
    spec.validateError({ error: { message: 'm', type: 'invalid_request_error', param: 'model', code: null } }, { param: 'model' });
    spec.validateError({ error: { message: 'm', type: 'invalid_request_error', param: 'tools[0].function.name', code: null } }, { param: /^tools\[0\]/ });
    assert.throws(() => spec.validateError({ error: { message: 'm', type: 'x', code: null } }), /param/);
    assert.throws(() => spec.validateError({ error: { message: 'm', type: 'x', param: null } }), /code/);
    assert.throws(() => spec.validateError({ message: 'm', type: 'x', param: null, code: null }), /error/);
    assert.throws(() => spec.validateError({ error: { message: 'm', type: 'x', param: 'a', code: null } }, { param: 'b' }), /param/);
  });
  it('validateEvent maps event names to schemas', () => {
    assert.equal(spec.eventSchema('thread.created'), 'ThreadObject');
    assert.equal(spec.eventSchema('thread.run.created'), 'RunObject');
    assert.equal(spec.eventSchema('thread.run.requires_action'), 'RunObject');
    assert.equal(spec.eventSchema('thread.run.step.in_progress'), 'RunStepObject');
    assert.equal(spec.eventSchema('thread.run.step.delta'), 'RunStepDeltaObject');
    assert.equal(spec.eventSchema('thread.message.completed'), 'MessageObject');
    assert.equal(spec.eventSchema('thread.message.delta'), 'MessageDeltaObject');
    assert.equal(spec.eventSchema('error'), 'Error');
    spec.validateEvent('thread.message.completed', message());
    spec.validateEvent('thread.message.delta', { id: 'msg_1', object: 'thread.message.delta', delta: { content: [{ index: 0, type: 'text', text: { value: 'h', annotations: [] } }] } });
    spec.validateEvent('error', { message: 'boom', type: 'server_error', param: null, code: 'server_error' });
    spec.validateEvent('done', '[DONE]');
    assert.throws(() => spec.validateEvent('thread.message.in_progress', message()), /status/);
    assert.throws(() => spec.validateEvent('thread.message.delta', { id: 'msg_1', object: 'thread.message.delta', delta: { content: [{ type: 'text' }] } }), /index/);
    assert.throws(() => spec.validateEvent('thread.bogus', {}), /unknown stream event/);
    assert.throws(() => spec.validateEvent('error', { error: { message: 'x', type: 't', param: null, code: null } }), /message/);
  });
  it('request schemas: what the tests send as valid is valid', () => {
    assert.equal(spec.validateRequest('CreateAssistantRequest', { model: 'gpt-4o' }), null);
    assert.notEqual(spec.validateRequest('CreateAssistantRequest', { model: 5 }), null);
    assert.notEqual(spec.validateRequest('CreateAssistantRequest', { model: 'm', bogus: 1 }), null);
    assert.notEqual(spec.validateRequest('CreateMessageRequest', { role: 'system', content: 'x' }), null);
    assert.notEqual(spec.validateRequest('CreateMessageRequest', { role: 'user', content: [] }), null);
  });
});
