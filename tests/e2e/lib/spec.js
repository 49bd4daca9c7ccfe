'use strict';
// spec.js - validate assistd responses against the OpenAPI contract.
//
// Loads /work/shared/openapi/openai-openapi.yaml (or $ASSISTD_SPEC) once, rewrites the few
// OpenAPI-3.0 leftovers into JSON Schema 2020-12 (nullable: true, boolean exclusiveMinimum), caches
// the rewritten components.schemas as JSON in the temp dir (keyed by the spec's path, size and
// mtime: parsing 3 MB of YAML takes about a second, the JSON cache ~50 ms) and compiles schemas with
// ajv on demand.
//
//   validate(name, value)      assert value matches #/components/schemas/<name>
//   validateList(item, body)   list envelope {object:"list", data:[item], first_id, last_id, has_more}
//   validateError(body)        {"error":{message,type,param,code}} with all four keys present
//   validateEvent(event, data) a streamed SSE event
//   validateRequest(name, v)   returns ajv errors (or null) for a request body: lets a test check
//                              that what it sends as "valid" really is valid per the spec
//
// Response schemas are not made stricter than the spec: documented (and undocumented) extra
// properties are allowed exactly where the spec allows them, and ajv runs with strict:false so
// the spec's vendor keywords (x-oaiMeta, x-stainless-const, discriminator, example) and unknown
// formats (unixtime, int64, ...) are ignored. Required keys (including required-but-nullable ones)
// must be present and types must match.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const assert = require('node:assert/strict');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

const REPO = path.resolve(__dirname, '..', '..', '..');
const SPEC_PATH = process.env.ASSISTD_SPEC ||
  [path.join(REPO, '..', 'shared', 'openapi', 'openai-openapi.yaml'),
   '/work/shared/openapi/openai-openapi.yaml'].find((p) => fs.existsSync(p));
const SPEC_ID = 'https://assistd.test/openapi.json';

// ---------------------------------------------------------------------------------------------
// loading and rewriting

function rewrite(node) {
  if (Array.isArray(node)) return node.map(rewrite);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    // examples/descriptions are data, not schemas: copy them as they are
    if (k === 'x-oaiMeta' || k === 'example' || k === 'examples' || k === 'default' || k === 'const' || k === 'enum') out[k] = v;
    else out[k] = rewrite(v);
  }
  // OpenAPI 3.0 boolean exclusiveMinimum/Maximum -> 2020-12 numbers
  for (const [ex, lim] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']]) {
    if (typeof out[ex] === 'boolean') {
      if (out[ex] && typeof out[lim] === 'number') { out[ex] = out[lim]; delete out[lim]; } else delete out[ex];
    }
  }
  // OpenAPI 3.0 nullable: true -> type array / enum with null / anyOf null
  if (out.nullable === true) {
    delete out.nullable;
    const composite = out.$ref || out.oneOf || out.anyOf || out.allOf || out.type === undefined;
    if (!composite && typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
      return out;
    }
    if (!composite && Array.isArray(out.type)) {
      if (!out.type.includes('null')) out.type = [...out.type, 'null'];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
      return out;
    }
    const { description, title, ...rest } = out;
    const wrapped = { anyOf: [rest, { type: 'null' }] };
    if (description !== undefined) wrapped.description = description;
    if (title !== undefined) wrapped.title = title;
    return wrapped;
  } else if (out.nullable === false) {
    delete out.nullable;
  }
  return out;
}

// DEVIATION (flagged, deliberate): the spec types the File object's `expires_at` as an integer
// and the deprecated `status_details` as a string, but the hosted service answers
// `"expires_at": null` for a file that never expires and `"status_details": null`, and the SDKs
// type both as optional/nullable. assistd does what the hosted service did, so null is accepted
// there (and only there).
function deviate(schemas) {
  const file = schemas.OpenAIFile;
  if (!file || !file.properties) return schemas;
  for (const k of ['expires_at', 'status_details']) {
    const p = file.properties[k];
    if (p && typeof p.type === 'string') p.type = [p.type, 'null'];
  }
  return schemas;
}

let _schemas = null;
function loadSchemas() {
  if (_schemas) return _schemas;
  _schemas = deviate(readSchemas());
  return _schemas;
}

function readSchemas() {
  if (!SPEC_PATH) throw new Error('OpenAPI spec not found; set ASSISTD_SPEC');
  const st = fs.statSync(SPEC_PATH);
  const key = `${st.size}-${Math.floor(st.mtimeMs)}-${Buffer.from(SPEC_PATH).toString('hex').slice(-24)}`;
  const cacheFile = path.join(os.tmpdir(), `assistd-e2e-spec-v2-${key}.json`);
  try {
    return JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
  } catch { /* no cache yet, or a torn one: parse */ }
  const YAML = require('yaml');
  const doc = YAML.parse(fs.readFileSync(SPEC_PATH, 'utf8'), { maxAliasCount: -1 });
  const schemas = rewrite(doc.components.schemas);
  // test files start concurrently: write to a private file, then rename atomically
  const tmp = `${cacheFile}.${process.pid}.${Date.now()}`;
  try { fs.writeFileSync(tmp, JSON.stringify(schemas)); fs.renameSync(tmp, cacheFile); } catch { try { fs.unlinkSync(tmp); } catch {} }
  return schemas;
}

// ---------------------------------------------------------------------------------------------
// ajv

let _ajv = null;
function ajv() {
  if (_ajv) return _ajv;
  const schemas = loadSchemas();
  _ajv = new Ajv2020({
    strict: false,          // vendor keywords, `example`, `discriminator`: ignore
    allErrors: true,
    validateSchema: false,  // the spec is big; its schemas are not ours to lint
    validateFormats: true,
    logger: false,
  });
  addFormats(_ajv);
  for (const f of ['unixtime', 'int64', 'int32', 'double', 'float', 'binary', 'byte', 'password']) _ajv.addFormat(f, true);
  _ajv.addSchema({ $id: SPEC_ID, components: { schemas } });
  return _ajv;
}

const _compiled = new Map();
function compiled(name) {
  let v = _compiled.get(name);
  if (v) return v;
  if (!loadSchemas()[name]) throw new Error(`no schema #/components/schemas/${name} in the spec`);
  v = ajv().getSchema(`${SPEC_ID}#/components/schemas/${name}`);
  if (!v) throw new Error(`could not compile schema ${name}`);
  _compiled.set(name, v);
  return v;
}

function schema(name) { return loadSchemas()[name]; }

function formatErrors(errors, value) {
  // For oneOf/anyOf failures ajv reports every branch; keep them, but put the most specific
  // (deepest instance path) first so the real cause is readable.
  const sorted = [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length);
  const seen = new Set();
  const lines = [];
  for (const e of sorted) {
    const line = `  ${e.instancePath || '(root)'} ${e.message}` +
      (e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : '') +
      `  [${e.schemaPath}]`;
    if (!seen.has(line)) { seen.add(line); lines.push(line); }
    if (lines.length >= 25) { lines.push(`  ... ${sorted.length - 25} more`); break; }
  }
  return lines.join('\n');
}

function check(name, value) {
  const v = compiled(name);
  if (v(value)) return null;
  return v.errors || [{ instancePath: '', message: 'invalid', schemaPath: '', params: {} }];
}

function fail(what, errors, value) {
  let body;
  try { body = JSON.stringify(value, null, 1); } catch { body = String(value); }
  if (body && body.length > 4000) body = body.slice(0, 4000) + '...';
  throw new assert.AssertionError({
    message: `${what} does not match the spec:\n${formatErrors(errors, value)}\nvalue: ${body}`,
    actual: value,
    expected: what,
    operator: 'validate',
  });
}

function validate(name, value) {
  const errors = check(name, value);
  if (errors) fail(`#/components/schemas/${name}`, errors, value);
  return value;
}

// Returns ajv errors for a request body (null when valid). Used by tests to make sure the bodies
// they consider valid are valid per the spec and the ones they consider invalid are invalid (when
// the schema can express the rule at all: some limits are in prose only).
function validateRequest(name, value) { return check(name, value); }

// Every list response schema in the spec shares one shape; use the spec's own list schema for
// the item type where there is one, otherwise build the envelope around the item schema.
const LIST_SCHEMAS = {
  AssistantObject: 'ListAssistantsResponse',
  MessageObject: 'ListMessagesResponse',
  RunObject: 'ListRunsResponse',
  RunStepObject: 'ListRunStepsResponse',
  VectorStoreObject: 'ListVectorStoresResponse',
  VectorStoreFileObject: 'ListVectorStoreFilesResponse',
  OpenAIFile: 'ListFilesResponse',
};

// validateList(itemSchema, body, {allowEmptyNullIds = true})
//
// DEVIATION (flagged, deliberate): the spec types first_id/last_id as plain `string` (required, not
// nullable), but for an empty list the hosted service answers `"first_id": null, "last_id": null`
// and assistd does the same. Only for an EMPTY list do we accept null there (and in that case we
// require null, not a missing key); everything else is checked against the spec as written.
function validateList(itemSchema, body, opts = {}) {
  const allowEmptyNullIds = opts.allowEmptyNullIds !== false;
  assert.ok(body && typeof body === 'object' && !Array.isArray(body), `list body must be an object, got ${JSON.stringify(body)}`);
  const listName = LIST_SCHEMAS[itemSchema];
  let envelope = body;
  if (allowEmptyNullIds && Array.isArray(body.data) && body.data.length === 0) {
    for (const k of ['first_id', 'last_id']) {
      assert.ok(k in body, `empty list: ${k} must be present (null), body: ${JSON.stringify(body)}`);
      assert.ok(body[k] === null || typeof body[k] === 'string', `empty list: ${k} must be null (or a string), got ${JSON.stringify(body[k])}`);
    }
    // validate the envelope with placeholder ids so the other fields are still checked
    envelope = { ...body, first_id: body.first_id ?? '', last_id: body.last_id ?? '' };
  }
  if (listName && schema(listName)) {
    validate(listName, envelope);
  } else {
    const errs = [];
    for (const k of ['object', 'data', 'first_id', 'last_id', 'has_more']) if (!(k in body)) errs.push(`missing ${k}`);
    assert.deepEqual(errs, [], `list envelope: ${errs.join(', ')}`);
    assert.equal(typeof envelope.first_id, 'string');
    assert.equal(typeof envelope.last_id, 'string');
    assert.equal(typeof body.has_more, 'boolean');
    assert.ok(Array.isArray(body.data));
    body.data.forEach((item) => validate(itemSchema, item));
  }
  assert.equal(body.object, 'list', 'list object must be "list"');
  if (body.data.length > 0) {
    assert.equal(body.first_id, body.data[0].id, 'first_id must be the id of data[0]');
    assert.equal(body.last_id, body.data[body.data.length - 1].id, 'last_id must be the id of the last item');
  } else {
    assert.equal(body.has_more, false, 'an empty page cannot have has_more: true');
  }
  return body;
}

// {"error": {"message", "type", "param", "code"}} - all four inner keys present (null allowed for
// param and code), per ErrorResponse/Error.
function validateError(body, expect = {}) {
  assert.ok(body && typeof body === 'object', `error body must be JSON object, got ${JSON.stringify(body)}`);
  validate('ErrorResponse', body);
  const e = body.error;
  for (const k of ['message', 'type', 'param', 'code']) assert.ok(Object.prototype.hasOwnProperty.call(e, k), `error.${k} must be present: ${JSON.stringify(body)}`);
  assert.ok(e.message.length > 0, 'error.message must not be empty');
  if ('param' in expect) {
    if (expect.param instanceof RegExp) assert.match(String(e.param), expect.param, `error.param: ${JSON.stringify(body)}`);
    else assert.equal(e.param, expect.param, `error.param: ${JSON.stringify(body)}`);
  }
  if ('type' in expect) assert.equal(e.type, expect.type, `error.type: ${JSON.stringify(body)}`);
  if ('code' in expect) assert.equal(e.code, expect.code, `error.code: ${JSON.stringify(body)}`);
  return body;
}

function eventSchema(event) {
  if (event === 'thread.created') return 'ThreadObject';
  if (event === 'thread.run.step.delta') return 'RunStepDeltaObject';
  if (event.startsWith('thread.run.step.')) return 'RunStepObject';
  if (event.startsWith('thread.run.')) return 'RunObject';
  if (event === 'thread.message.delta') return 'MessageDeltaObject';
  if (event.startsWith('thread.message.')) return 'MessageObject';
  if (event === 'error') return 'Error';
  return null;
}

// Known event names, from the spec's AssistantStreamEvent family.
const KNOWN_EVENTS = new Set([
  'thread.created',
  ...['created', 'queued', 'in_progress', 'requires_action', 'completed', 'incomplete', 'failed', 'cancelling', 'cancelled', 'expired'].map((s) => `thread.run.${s}`),
  ...['created', 'in_progress', 'delta', 'completed', 'failed', 'cancelled', 'expired'].map((s) => `thread.run.step.${s}`),
  ...['created', 'in_progress', 'delta', 'completed', 'incomplete'].map((s) => `thread.message.${s}`),
  'error', 'done',
]);

function validateEvent(event, data) {
  assert.ok(KNOWN_EVENTS.has(event), `unknown stream event name ${JSON.stringify(event)}`);
  if (event === 'done') { assert.equal(data, '[DONE]', 'done event data must be [DONE]'); return data; }
  const name = eventSchema(event);
  validate(name, data);
  const objects = { RunObject: 'thread.run', RunStepObject: 'thread.run.step', MessageObject: 'thread.message', ThreadObject: 'thread', MessageDeltaObject: 'thread.message.delta', RunStepDeltaObject: 'thread.run.step.delta' };
  if (objects[name]) assert.equal(data.object, objects[name], `${event} data.object`);
  // the run/step/message status in the event name must agree with the object's status
  const m = /^thread\.(run|run\.step|message)\.(queued|in_progress|requires_action|completed|incomplete|failed|cancelling|cancelled|expired)$/.exec(event);
  if (m) assert.equal(data.status, m[2], `${event} carries status ${data.status}`);
  return data;
}

// The 200 response schema of an API path (under /v1), from the spec's paths: {list: item} for
// list endpoints, {schema} for single objects, null when unknown or not JSON.
const ROUTES = [
  ['GET', /^\/assistants$/, { list: 'AssistantObject' }],
  ['POST', /^\/assistants$/, { schema: 'AssistantObject' }],
  ['GET', /^\/assistants\/[^/]+$/, { schema: 'AssistantObject' }],
  ['POST', /^\/assistants\/[^/]+$/, { schema: 'AssistantObject' }],
  ['DELETE', /^\/assistants\/[^/]+$/, { schema: 'DeleteAssistantResponse' }],
  ['POST', /^\/threads$/, { schema: 'ThreadObject' }],
  ['POST', /^\/threads\/runs$/, { schema: 'RunObject' }],
  ['GET', /^\/threads\/[^/]+$/, { schema: 'ThreadObject' }],
  ['POST', /^\/threads\/[^/]+$/, { schema: 'ThreadObject' }],
  ['DELETE', /^\/threads\/[^/]+$/, { schema: 'DeleteThreadResponse' }],
  ['GET', /^\/threads\/[^/]+\/messages$/, { list: 'MessageObject' }],
  ['POST', /^\/threads\/[^/]+\/messages$/, { schema: 'MessageObject' }],
  ['GET', /^\/threads\/[^/]+\/messages\/[^/]+$/, { schema: 'MessageObject' }],
  ['POST', /^\/threads\/[^/]+\/messages\/[^/]+$/, { schema: 'MessageObject' }],
  ['DELETE', /^\/threads\/[^/]+\/messages\/[^/]+$/, { schema: 'DeleteMessageResponse' }],
  ['GET', /^\/threads\/[^/]+\/runs$/, { list: 'RunObject' }],
  ['POST', /^\/threads\/[^/]+\/runs$/, { schema: 'RunObject' }],
  ['GET', /^\/threads\/[^/]+\/runs\/[^/]+$/, { schema: 'RunObject' }],
  ['POST', /^\/threads\/[^/]+\/runs\/[^/]+$/, { schema: 'RunObject' }],
  ['POST', /^\/threads\/[^/]+\/runs\/[^/]+\/cancel$/, { schema: 'RunObject' }],
  ['POST', /^\/threads\/[^/]+\/runs\/[^/]+\/submit_tool_outputs$/, { schema: 'RunObject' }],
  ['GET', /^\/threads\/[^/]+\/runs\/[^/]+\/steps$/, { list: 'RunStepObject' }],
  ['GET', /^\/threads\/[^/]+\/runs\/[^/]+\/steps\/[^/]+$/, { schema: 'RunStepObject' }],
  ['GET', /^\/vector_stores$/, { list: 'VectorStoreObject' }],
  ['POST', /^\/vector_stores$/, { schema: 'VectorStoreObject' }],
  ['GET', /^\/vector_stores\/[^/]+$/, { schema: 'VectorStoreObject' }],
  ['POST', /^\/vector_stores\/[^/]+$/, { schema: 'VectorStoreObject' }],
  ['DELETE', /^\/vector_stores\/[^/]+$/, { schema: 'DeleteVectorStoreResponse' }],
  ['GET', /^\/vector_stores\/[^/]+\/files$/, { list: 'VectorStoreFileObject' }],
  ['POST', /^\/vector_stores\/[^/]+\/files$/, { schema: 'VectorStoreFileObject' }],
  ['GET', /^\/vector_stores\/[^/]+\/files\/[^/]+$/, { schema: 'VectorStoreFileObject' }],
  ['POST', /^\/vector_stores\/[^/]+\/files\/[^/]+$/, { schema: 'VectorStoreFileObject' }],
  ['DELETE', /^\/vector_stores\/[^/]+\/files\/[^/]+$/, { schema: 'DeleteVectorStoreFileResponse' }],
  ['GET', /^\/vector_stores\/[^/]+\/files\/[^/]+\/content$/, { schema: 'VectorStoreFileContentResponse' }],
  ['POST', /^\/vector_stores\/[^/]+\/file_batches$/, { schema: 'VectorStoreFileBatchObject' }],
  ['GET', /^\/vector_stores\/[^/]+\/file_batches\/[^/]+$/, { schema: 'VectorStoreFileBatchObject' }],
  ['POST', /^\/vector_stores\/[^/]+\/file_batches\/[^/]+\/cancel$/, { schema: 'VectorStoreFileBatchObject' }],
  ['GET', /^\/vector_stores\/[^/]+\/file_batches\/[^/]+\/files$/, { list: 'VectorStoreFileObject' }],
  ['POST', /^\/vector_stores\/[^/]+\/search$/, { schema: 'VectorStoreSearchResultsPage' }],
  ['GET', /^\/models$/, { schema: 'ListModelsResponse' }],
  ['GET', /^\/models\/.+$/, { schema: 'Model' }],
  ['GET', /^\/files$/, { list: 'OpenAIFile' }],
  ['POST', /^\/files$/, { schema: 'OpenAIFile' }],
  ['GET', /^\/files\/[^/]+$/, { schema: 'OpenAIFile' }],
  ['DELETE', /^\/files\/[^/]+$/, { schema: 'DeleteFileResponse' }],
];

function responseSchemaFor(method, apiPath) {
  const p = apiPath.split('?')[0];
  for (const [m, re, what] of ROUTES) if (m === method.toUpperCase() && re.test(p)) return what;
  return null;
}

// Validates any JSON response by its method, path (under /v1) and status: errors against the
// error envelope, successes against the operation's response schema. Throws on a mismatch;
// returns false when there is nothing to check (unknown route, not JSON).
function validateResponse(method, apiPath, status, body) {
  if (status >= 400) { validateError(body); return true; }
  if (status !== 200) return false;
  const what = responseSchemaFor(method, apiPath);
  if (!what) return false;
  if (what.list) validateList(what.list, body); else validate(what.schema, body);
  return true;
}

module.exports = { validateResponse, responseSchemaFor, validate, validateList, validateError, validateEvent, validateRequest, schema, loadSchemas, eventSchema, SPEC_PATH, rewrite };
