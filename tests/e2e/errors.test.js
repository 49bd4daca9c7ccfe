'use strict';
// Bad input: every rejected request gets the spec's error envelope with the right status and a
// `param` naming the offending field, and nothing is written by a rejected request.
// Raw HTTP is used where the SDK would not send the request.

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { useServer, expectRawError } = require('./lib/harness');
const { validate, validateList, validateRequest } = require('./lib/spec');

const long = (n, ch = 'x') => ch.repeat(n);
const meta = (n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `v${i}`]));
const fnTool = (name, extra = {}) => ({ type: 'function', function: { name, ...extra } });

describe('bad input', () => {
  const { srv, it } = useServer();
  let thread, message, assistant;
  const counts = {};

  const count = async () => {
    const c = srv().client();
    const a = await c.beta.assistants.list({ limit: 100 });
    validateList('AssistantObject', a.body);
    const m = await c.beta.threads.messages.list(thread.id, { limit: 100 });
    validateList('MessageObject', m.body);
    return { assistants: a.data.length, messages: m.data.length, assistant: JSON.stringify(await c.beta.assistants.retrieve(assistant.id)), thread: JSON.stringify(await c.beta.threads.retrieve(thread.id)), message: JSON.stringify(await c.beta.threads.messages.retrieve(message.id, { thread_id: thread.id })) };
  };

  it('setup: one assistant, one thread, one message', async () => {
    const c = srv().client();
    assistant = await c.beta.assistants.create({ model: 'gpt-4o', name: 'keeper', metadata: { a: 'b' } });
    thread = await c.beta.threads.create({ metadata: { a: 'b' } });
    message = await c.beta.threads.messages.create(thread.id, { role: 'user', content: 'hi' });
    validate('MessageObject', message);
    Object.assign(counts, await count());
  });

  // ------------------------------------------------------------------ malformed bodies
  const malformed = [
    ['truncated JSON', '{"model": "gpt-4o"'],
    ['trailing garbage', '{"model": "gpt-4o"} x'],
    ['single quotes', "{'model': 'gpt-4o'}"],
    ['a JSON array', '[{"model": "gpt-4o"}]'],
    ['a JSON string', '"gpt-4o"'],
    ['JSON null', 'null'],
    ['a number that overflows a double', '{"model": "gpt-4o", "temperature": 1e400}'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x6d, 0x6f, 0x64, 0x65, 0x6c, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ['an empty body', ''],
  ];
  for (const [label, body] of malformed) {
    it(`POST /assistants with ${label} -> 400`, async () => {
      const r = await srv().raw('POST', '/assistants', { body, headers: { 'Content-Type': 'application/json' } });
      expectRawError(r, 400, { type: 'invalid_request_error' });
    });
  }
  it('POST /threads/{id}/messages with malformed JSON -> 400', async () => {
    const r = await srv().raw('POST', `/threads/${thread.id}/messages`, { body: '{"role":"user",', headers: { 'Content-Type': 'application/json' } });
    expectRawError(r, 400);
  });
  it('POST /threads with malformed JSON -> 400 (an empty body is fine, broken JSON is not)', async () => {
    const r = await srv().raw('POST', '/threads', { body: '{', headers: { 'Content-Type': 'application/json' } });
    expectRawError(r, 400);
  });

  it('non-object JSON bodies on the modify endpoints -> 400', async () => {
    for (const [p, body] of [[`/assistants/${assistant.id}`, '[]'], [`/threads/${thread.id}`, '"x"'], [`/threads/${thread.id}/messages/${message.id}`, 'null'], [`/threads/${thread.id}/messages`, '[{"role":"user","content":"x"}]']]) {
      const r = await srv().raw('POST', p, { body, headers: { 'Content-Type': 'application/json' } });
      expectRawError(r, 400);
    }
  });

  it('deeply nested JSON (function parameters 10000 levels deep) -> 400 or 200, the server survives', async () => {
    const deep = '{"a":'.repeat(10000) + '1' + '}'.repeat(10000);
    const body = `{"model":"gpt-4o","tools":[{"type":"function","function":{"name":"deep","parameters":${deep}}}]}`;
    const r = await srv().raw('POST', '/assistants', { body, headers: { 'Content-Type': 'application/json' } });
    assert.ok(r.status === 400 || r.status === 200, `status ${r.status}: ${r.text.slice(0, 200)}`);
    if (r.status === 200) {
      // it was stored: it must read back, and is deleted again so the counts below hold
      const g = await srv().raw('GET', `/assistants/${r.json.id}`);
      assert.equal(g.status, 200);
      await srv().client().beta.assistants.delete(r.json.id);
    }
    const arr = '['.repeat(100000) + ']'.repeat(100000);
    const r2 = await srv().raw('POST', '/threads', { body: `{"metadata":${arr}}`, headers: { 'Content-Type': 'application/json' } });
    expectRawError(r2, 400);
    const ok2 = await srv().raw('GET', `/assistants/${assistant.id}`);
    assert.equal(ok2.status, 200);
  });

  // ------------------------------------------------------------------ field validation
  // [label, path (fn of ids), body, param (string or RegExp)]
  const A = () => '/assistants';
  const AID = () => `/assistants/${assistant.id}`;
  const T = () => '/threads';
  const TID = () => `/threads/${thread.id}`;
  const M = () => `/threads/${thread.id}/messages`;
  const MID = () => `/threads/${thread.id}/messages/${message.id}`;
  const ok = { model: 'gpt-4o' };
  const cases = [
    ['model missing', A, {}, 'model', 'CreateAssistantRequest'],
    ['model: 5', A, { model: 5 }, 'model', 'CreateAssistantRequest'],
    ['model: null', A, { model: null }, 'model', 'CreateAssistantRequest'],
    ['model: ""', A, { model: '' }, 'model'],
    ['unknown top-level field', A, { ...ok, foo: 1 }, 'foo', 'CreateAssistantRequest'],
    ['v1 field file_ids', A, { ...ok, file_ids: [] }, 'file_ids', 'CreateAssistantRequest'],
    ['name: 5', A, { ...ok, name: 5 }, 'name', 'CreateAssistantRequest'],
    ['name of 257 chars', A, { ...ok, name: long(257) }, 'name', 'CreateAssistantRequest'],
    ['description of 513 chars', A, { ...ok, description: long(513) }, 'description', 'CreateAssistantRequest'],
    ['instructions of 256001 chars', A, { ...ok, instructions: long(256001) }, 'instructions', 'CreateAssistantRequest'],
    ['metadata with 17 pairs', A, { ...ok, metadata: meta(17) }, /^metadata/],
    ['metadata key of 65 chars', A, { ...ok, metadata: { [long(65, 'k')]: 'v' } }, /^metadata/],
    ['metadata value of 513 chars', A, { ...ok, metadata: { k: long(513) } }, /^metadata/],
    ['metadata value 5 (not a string)', A, { ...ok, metadata: { k: 5 } }, /^metadata/, 'CreateAssistantRequest'],
    ['metadata value null', A, { ...ok, metadata: { k: null } }, /^metadata/, 'CreateAssistantRequest'],
    ['metadata as an array', A, { ...ok, metadata: ['a'] }, 'metadata', 'CreateAssistantRequest'],
    ['metadata as a string', A, { ...ok, metadata: 'a=b' }, 'metadata', 'CreateAssistantRequest'],
    ['temperature 3', A, { ...ok, temperature: 3 }, 'temperature', 'CreateAssistantRequest'],
    ['temperature -0.1', A, { ...ok, temperature: -0.1 }, 'temperature', 'CreateAssistantRequest'],
    ['temperature "1"', A, { ...ok, temperature: '1' }, 'temperature', 'CreateAssistantRequest'],
    ['top_p -1', A, { ...ok, top_p: -1 }, 'top_p', 'CreateAssistantRequest'],
    ['top_p 1.5', A, { ...ok, top_p: 1.5 }, 'top_p', 'CreateAssistantRequest'],
    ['reasoning_effort "extreme"', A, { ...ok, reasoning_effort: 'extreme' }, 'reasoning_effort', 'CreateAssistantRequest'],
    ['tools as an object', A, { ...ok, tools: { type: 'code_interpreter' } }, 'tools', 'CreateAssistantRequest'],
    ['129 tools', A, { ...ok, tools: Array.from({ length: 129 }, (_, i) => fnTool(`f${i}`)) }, 'tools', 'CreateAssistantRequest'],
    ['tool of unknown type', A, { ...ok, tools: [{ type: 'browser' }] }, /^tools\[0\]/, 'CreateAssistantRequest'],
    ['tool without type', A, { ...ok, tools: [{ function: { name: 'f' } }] }, /^tools\[0\]/, 'CreateAssistantRequest'],
    ['function name with spaces', A, { ...ok, tools: [fnTool('get weather')] }, 'tools[0].function.name'],
    ['function name of 65 chars', A, { ...ok, tools: [fnTool(long(65, 'f'))] }, 'tools[0].function.name'],
    ['function without a name', A, { ...ok, tools: [{ type: 'function', function: { description: 'x' } }] }, 'tools[0].function.name', 'CreateAssistantRequest'],
    ['function tool without function', A, { ...ok, tools: [{ type: 'function' }] }, /^tools\[0\]/, 'CreateAssistantRequest'],
    ['function parameters not an object', A, { ...ok, tools: [fnTool('f', { parameters: 'none' })] }, /^tools\[0\]\.function\.parameters/, 'CreateAssistantRequest'],
    ['second tool bad', A, { ...ok, tools: [{ type: 'code_interpreter' }, fnTool('bad name!')] }, 'tools[1].function.name'],
    ['file_search max_num_results 51', A, { ...ok, tools: [{ type: 'file_search', file_search: { max_num_results: 51 } }] }, /^tools\[0\]\.file_search/, 'CreateAssistantRequest'],
    ['code_interpreter with 21 file ids', A, { ...ok, tool_resources: { code_interpreter: { file_ids: Array.from({ length: 21 }, (_, i) => `file-${i}`) } } }, /^tool_resources\.code_interpreter\.file_ids/, 'CreateAssistantRequest'],
    ['two vector stores', A, { ...ok, tool_resources: { file_search: { vector_store_ids: ['vs_1', 'vs_2'] } } }, /^tool_resources\.file_search/, 'CreateAssistantRequest'],
    ['response_format "json"', A, { ...ok, response_format: 'json' }, /^response_format/, 'CreateAssistantRequest'],
    ['response_format json_schema without json_schema', A, { ...ok, response_format: { type: 'json_schema' } }, /^response_format/, 'CreateAssistantRequest'],
    ['response_format json_schema with a bad name', A, { ...ok, response_format: { type: 'json_schema', json_schema: { name: 'has space' } } }, /^response_format\.json_schema\.name/],
    // modify
    ['modify: unknown field', AID, { nope: true }, 'nope', 'ModifyAssistantRequest'],
    ['modify: model 5', AID, { model: 5 }, 'model', 'ModifyAssistantRequest'],
    ['modify: name of 257 chars', AID, { name: long(257) }, 'name', 'ModifyAssistantRequest'],
    ['modify: temperature 3', AID, { temperature: 3 }, 'temperature', 'ModifyAssistantRequest'],
    ['modify: metadata with 17 pairs', AID, { metadata: meta(17) }, /^metadata/],
    ['modify: tools > 128', AID, { tools: Array.from({ length: 129 }, () => ({ type: 'code_interpreter' })) }, 'tools', 'ModifyAssistantRequest'],
    // threads
    ['thread: unknown field', T, { foo: 'bar' }, 'foo', 'CreateThreadRequest'],
    ['thread: messages not an array', T, { messages: 'hi' }, 'messages', 'CreateThreadRequest'],
    ['thread: message role system', T, { messages: [{ role: 'system', content: 'x' }] }, 'messages[0].role', 'CreateThreadRequest'],
    ['thread: second message without content', T, { messages: [{ role: 'user', content: 'x' }, { role: 'user' }] }, 'messages[1].content', 'CreateThreadRequest'],
    ['thread: metadata with 17 pairs', T, { metadata: meta(17) }, /^metadata/],
    ['thread: tool_resources bad', T, { tool_resources: { code_interpreter: { file_ids: 'file-1' } } }, /^tool_resources\.code_interpreter\.file_ids/, 'CreateThreadRequest'],
    ['modify thread: unknown field', TID, { name: 'x' }, 'name', 'ModifyThreadRequest'],
    ['modify thread: metadata value not a string', TID, { metadata: { a: 1 } }, /^metadata/, 'ModifyThreadRequest'],
    // messages
    ['message: role system', M, { role: 'system', content: 'x' }, 'role', 'CreateMessageRequest'],
    ['message: role missing', M, { content: 'x' }, 'role', 'CreateMessageRequest'],
    ['message: content missing', M, { role: 'user' }, 'content', 'CreateMessageRequest'],
    ['message: empty content array', M, { role: 'user', content: [] }, 'content', 'CreateMessageRequest'],
    ['message: content 5', M, { role: 'user', content: 5 }, 'content', 'CreateMessageRequest'],
    ['message: content null', M, { role: 'user', content: null }, 'content', 'CreateMessageRequest'],
    ['message: part of unknown type', M, { role: 'user', content: [{ type: 'audio', audio: {} }] }, /^content\[0\]/, 'CreateMessageRequest'],
    ['message: text part with an object', M, { role: 'user', content: [{ type: 'text', text: { value: 'x' } }] }, /^content\[0\]/, 'CreateMessageRequest'],
    ['message: image_url without url', M, { role: 'user', content: [{ type: 'image_url', image_url: {} }] }, /^content\[0\]\.image_url/, 'CreateMessageRequest'],
    ['message: image_file detail "max"', M, { role: 'user', content: [{ type: 'image_file', image_file: { file_id: 'file-1', detail: 'max' } }] }, /^content\[0\]\.image_file/, 'CreateMessageRequest'],
    ['message: unknown field', M, { role: 'user', content: 'x', file_ids: [] }, 'file_ids', 'CreateMessageRequest'],
    ['message: attachment tool function', M, { role: 'user', content: 'x', attachments: [{ file_id: 'file-1', tools: [{ type: 'function' }] }] }, /^attachments\[0\]\.tools\[0\]/, 'CreateMessageRequest'],
    ['message: attachments not an array', M, { role: 'user', content: 'x', attachments: {} }, 'attachments', 'CreateMessageRequest'],
    ['message: metadata key of 65 chars', M, { role: 'user', content: 'x', metadata: { [long(65)]: 'v' } }, /^metadata/],
    ['modify message: content', MID, { content: 'x' }, 'content', 'ModifyMessageRequest'],
    ['modify message: metadata value of 513 chars', MID, { metadata: { k: long(513) } }, /^metadata/],
  ];

  for (const [label, pathFn, body, param, reqSchema] of cases) {
    it(`${label} -> 400, param ${param}`, async () => {
      // the test's own premise: the spec's schema rejects this body too (where it can say so)
      if (reqSchema) assert.notEqual(validateRequest(reqSchema, body), null, `the spec's ${reqSchema} accepts ${JSON.stringify(body).slice(0, 200)}: bad test`);
      const r = await srv().raw('POST', pathFn(), { json: body });
      const e = expectRawError(r, 400, { param, type: 'invalid_request_error' });
      assert.ok(e.message.length > 5, 'a message for people');
    });
  }

  it('the valid counterparts of the boundary cases are valid per the spec', () => {
    assert.equal(validateRequest('CreateAssistantRequest', { model: 'm', name: long(256), description: long(512), metadata: meta(16), temperature: 2, top_p: 0 }), null);
    assert.equal(validateRequest('CreateMessageRequest', { role: 'assistant', content: [{ type: 'text', text: 'x' }] }), null);
  });

  // ------------------------------------------------------------------ query parameters
  const lists = [['/assistants', 'assistants'], [null, 'messages']];
  const badQueries = [
    ['limit=0', 'limit'], ['limit=101', 'limit'], ['limit=abc', 'limit'], ['limit=-5', 'limit'], ['limit=1.5', 'limit'], ['limit=', 'limit'],
    ['order=sideways', 'order'], ['order=ASC', 'order'],
    ['after=bogus', 'after'], ['before=bogus', 'before'], ['after=asst_doesnotexist0000', 'after'],
  ];
  for (const [p, what] of lists) {
    for (const [q, param] of badQueries) {
      if (what === 'messages' && q === 'after=asst_doesnotexist0000') continue;
      it(`GET ${what} ?${q} -> 400, param ${param}`, async () => {
        const r = await srv().raw('GET', `${p || `/threads/${thread.id}/messages`}?${q}`);
        expectRawError(r, 400, { param, type: 'invalid_request_error' });
      });
    }
  }
  it('GET messages ?after=<a message of another thread> -> 400 after', async () => {
    const c = srv().client();
    const t2 = await c.beta.threads.create({ messages: [{ role: 'user', content: 'elsewhere' }] });
    const m2 = (await c.beta.threads.messages.list(t2.id)).data[0];
    const r = await srv().raw('GET', `/threads/${thread.id}/messages?after=${m2.id}`);
    expectRawError(r, 400, { param: 'after' });
    await c.beta.threads.delete(t2.id);
  });
  it('valid boundary queries: limit=1, limit=100, order=asc|desc', async () => {
    for (const q of ['limit=1', 'limit=100', 'order=asc', 'order=desc']) {
      const r = await srv().raw('GET', `/assistants?${q}`);
      assert.equal(r.status, 200, `${q}: ${r.text}`);
      validateList('AssistantObject', r.json);
    }
  });

  // ------------------------------------------------------------------ ids in the path
  it('ids of the wrong kind in the path -> 404 (as the hosted service)', async () => {
    const checks = [
      ['GET', `/assistants/${thread.id}`],
      ['GET', '/assistants/thread_abc'],
      ['POST', `/assistants/${thread.id}`, { name: 'x' }],
      ['DELETE', `/assistants/${thread.id}`],
      ['GET', `/threads/${assistant.id}`],
      ['DELETE', `/threads/${assistant.id}`],
      ['GET', `/threads/${assistant.id}/messages`],
      ['GET', `/threads/${thread.id}/messages/${assistant.id}`],
      ['GET', `/threads/${thread.id}/messages/${thread.id}`],
      ['GET', `/threads/${message.id}/messages/${message.id}`],
      ['GET', '/assistants/%2e%2e'],
      ['GET', `/assistants/${encodeURIComponent("asst_x' OR '1'='1")}`],
    ];
    for (const [method, p, json] of checks) {
      const r = await srv().raw(method, p, json ? { json } : {});
      expectRawError(r, 404);
    }
    const r = await srv().raw('GET', '/assistants/thread_abc');
    assert.match(r.json.error.message, /thread_abc/, 'the 404 names the id');
  });

  // ------------------------------------------------------------------ routes, methods, sizes
  it('unknown routes -> 404', async () => {
    for (const p of ['/nope', '/assistant', `/assistants/${assistant.id}/extra`, `/threads/${thread.id}/messages/${message.id}/files`, '/threads/runs/x/y']) {
      const r = await srv().raw('GET', p);
      expectRawError(r, 404);
    }
    const r = await srv().raw('GET', '//nothing-here');
    expectRawError(r, 404);
  });

  it('wrong methods -> 405', async () => {
    const checks = [
      ['PUT', '/assistants'], ['DELETE', '/assistants'], ['PATCH', `/assistants/${assistant.id}`],
      ['PUT', `/assistants/${assistant.id}`], ['PUT', '/threads'], ['DELETE', '/threads'],
      ['PUT', `/threads/${thread.id}`], ['DELETE', `/threads/${thread.id}/messages`],
      ['PATCH', `/threads/${thread.id}/messages/${message.id}`],
    ];
    for (const [method, p] of checks) {
      const r = await srv().raw(method, p, method === 'GET' || method === 'DELETE' ? {} : { json: {} });
      expectRawError(r, 405);
      // RFC 9110 §15.5.6: a 405 MUST carry Allow with the methods the resource supports
      assert.ok(r.headers.allow, `${method} ${p}: 405 without an Allow header`);
      assert.ok(!r.headers.allow.split(/,\s*/).includes(method), `${method} ${p}: Allow lists ${method}`);
    }
  });

  it('a body over the limit (default 4 MiB) -> 413', async () => {
    const big = JSON.stringify({ model: 'gpt-4o', instructions: long(4 * 1024 * 1024 + 100) });
    const r = await srv().raw('POST', '/assistants', { body: big, headers: { 'Content-Type': 'application/json' } });
    expectRawError(r, 413);
    const r2 = await srv().raw('POST', `/threads/${thread.id}/messages`, { body: JSON.stringify({ role: 'user', content: long(5 * 1024 * 1024) }), headers: { 'Content-Type': 'application/json' } });
    expectRawError(r2, 413);
    // and the server is still fine afterwards
    const ok2 = await srv().raw('GET', `/assistants/${assistant.id}`);
    assert.equal(ok2.status, 200);
  });

  it('a body just under the limit is read (and then judged on its content)', async () => {
    // 4 MiB - 1 KiB of instructions: over the 256000-char limit, so 400 instructions, not 413
    const big = JSON.stringify({ model: 'gpt-4o', instructions: long(4 * 1024 * 1024 - 1024) });
    const r = await srv().raw('POST', '/assistants', { body: big, headers: { 'Content-Type': 'application/json' } });
    expectRawError(r, 400, { param: 'instructions' });
  });

  it('a non-JSON Content-Type on a JSON endpoint is rejected or parsed, never crashes', async () => {
    const r = await srv().raw('POST', '/assistants', { body: 'model=gpt-4o', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expectRawError(r, r.status === 415 ? 415 : 400);
  });

  // ------------------------------------------------------------------ nothing was written
  it('no rejected request wrote anything', async () => {
    assert.deepEqual(await count(), counts);
  });
});
