'use strict';
// server.js - a scriptable, OpenAI-compatible Chat Completions server for assistd's tests.
//
// Tests start it on 127.0.0.1 (a free port), queue one scripted reply per expected
// POST /v1/chat/completions, point assistd's upstream_url at `url`, and inspect what
// assistd sent in `requests`. It streams chat.completion.chunk objects the way OpenAI does:
// a first chunk with the role, content (or tool call) chunks, a chunk with finish_reason,
// a usage chunk when stream_options.include_usage, then `data: [DONE]`. No npm packages.
//
//   const { startFakeUpstream } = require('./server.js');
//   const up = await startFakeUpstream();        // resolves once listening
//   up.script([{ text: 'hello world' }, { status: 500 }]);
//   ... up.url ('http://127.0.0.1:PORT/v1'), up.port, up.requests (parsed bodies),
//       up.requestHeaders, up.pending() (steps not yet used), up.aborted() (requests whose
//       client hung up before the reply ended) ...
//   await up.close();
//
// Steps (each consumed by one request, in order; when the queue is empty: { text: 'ok' }):
//   { text, chunks?, delayMs?, usage?, finishReason? }
//                                         stream text: per word, or in `chunks` equal pieces,
//                                         `delayMs` between chunks; `usage` overrides the
//                                         usage chunk ({prompt_tokens, completion_tokens}),
//                                         `usage: false` leaves it out; finishReason
//                                         (default "stop") can be "length" and so on
//   { toolCalls: [{ name, arguments }], text?, ... }  tool calls (parallel when several),
//                                         arguments (string or object) in a few pieces
//   { status, body?, headers? }           an error reply: status with a JSON body (default
//                                         an OpenAI error envelope; a string is sent raw)
//   { endless: true, delayMs? }           streams text until the client disconnects
//   { malformed: true | 'raw text' }      a first chunk, then garbage that is not JSON
//   { disconnectAfterChunks: n }          n content chunks, then the socket is destroyed
//   { nonStream: true, text?, toolCalls? } one application/json chat.completion
//   { hang: true }                        never answers (until the client gives up)
// A request with "stream": false always gets the non-streamed form of its step.
// GET /v1/models has a queue of its own too, up.scriptModels(steps), each step used by one
// request (when empty: {}); modelRequests counts the requests:
//   {}                                    lists one model, "fake-model"
//   { data: [...] }                       lists these ({object: "list", data})
//   { status, body?, headers? }           an error reply, as for chat
//   { raw: 'text' }                       answers 200 application/json with this text
//   { hang: true }                        never answers
//
// POST /v1/embeddings answers with hashed bag-of-words vectors (embed.js) of the requested
// "dimensions" (default 1536), in `embeddingRequests` order; it has a queue of its own,
// up.scriptEmbeddings(steps), each step used by one request (when empty: {}):
//   {}                                    the embeddings
//   { status, body?, headers? }           an error reply, as for chat
//   { dims: n }                           embeddings of n dimensions whatever was asked
//   { as: 'text' }                        every input gets the embedding of 'text' instead
//   { hang: true }                        never answers
//   { delayMs: n, ... }                   answers as the rest of the step says, n ms later
// With the option keepEmbeddingRequests: false, embeddingRequests stays empty (benchmarks).

const http = require('node:http');
const crypto = require('node:crypto');
const { hashedEmbedding } = require('./embed.js');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function randomId(prefix, n = 24) {
  const chars = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const bytes = crypto.randomBytes(n);
  let s = prefix;
  for (const b of bytes) s += chars[b % chars.length];
  return s;
}

// Splits text into word-sized pieces that keep their leading spaces, or into n pieces.
function splitText(text, n) {
  if (!text) return [];
  if (!n || n < 1) return text.match(/\s*\S+|\s+$/g) || [text];
  const size = Math.ceil(text.length / n);
  const out = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function splitArgs(args) {
  const s = typeof args === 'string' ? args : JSON.stringify(args ?? {});
  if (s.length < 3) return [s];
  const a = Math.floor(s.length / 3);
  return [s.slice(0, a), s.slice(a, 2 * a), s.slice(2 * a)];
}

function estimateUsage(body, completion) {
  let chars = 0;
  for (const m of body.messages || []) {
    if (typeof m.content === 'string') chars += m.content.length;
    else if (Array.isArray(m.content)) for (const p of m.content) chars += (p.text || '').length;
  }
  const prompt = Math.max(1, Math.floor(chars / 4));
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function usageOf(step, body, completion) {
  if (step.usage === false) return null;
  const u = { ...estimateUsage(body, completion), ...(step.usage || {}) };
  u.total_tokens = u.prompt_tokens + u.completion_tokens;
  return u;
}

// One response stream: writes chunks until done or the client goes away.
class Stream {
  constructor(res, body) {
    this.res = res;
    this.body = body;
    this.id = randomId('chatcmpl-');
    this.created = Math.floor(Date.now() / 1000);
    this.model = body.model || 'fake-model';
    this.includeUsage = !!(body.stream_options && body.stream_options.include_usage);
    this.gone = false;
    res.on('close', () => { this.gone = true; });
  }

  begin() {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
  }

  raw(text) {
    if (!this.gone) this.res.write(text);
  }

  chunk(delta, finishReason = null) {
    const c = {
      id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model,
      system_fingerprint: 'fp_fake',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    };
    if (this.includeUsage) c.usage = null;
    this.raw(`data: ${JSON.stringify(c)}\n\n`);
  }

  end(usage) {
    if (this.includeUsage && usage) {
      const c = {
        id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model,
        system_fingerprint: 'fp_fake', choices: [], usage,
      };
      this.raw(`data: ${JSON.stringify(c)}\n\n`);
    }
    this.raw('data: [DONE]\n\n');
    if (!this.gone) this.res.end();
  }

  async pause(ms) {
    if (ms > 0) await sleep(ms);
  }
}

async function streamReply(res, body, step) {
  const s = new Stream(res, body);
  const pieces = splitText(step.text, step.chunks);
  const calls = step.toolCalls || [];
  let count = 0;

  s.begin();
  s.chunk({ role: 'assistant', content: calls.length && !pieces.length ? null : '' });
  for (const p of pieces) {
    await s.pause(step.delayMs);
    s.chunk({ content: p });
    count++;
  }
  for (const [i, tc] of calls.entries()) {
    await s.pause(step.delayMs);
    s.chunk({ tool_calls: [{ index: i, id: tc.id || randomId('call_'), type: 'function',
      function: { name: tc.name, arguments: '' } }] });
    for (const a of splitArgs(tc.arguments)) {
      await s.pause(step.delayMs);
      s.chunk({ tool_calls: [{ index: i, function: { arguments: a } }] });
    }
    count++;
  }
  await s.pause(step.delayMs);
  s.chunk({}, calls.length ? 'tool_calls' : (step.finishReason || 'stop'));
  s.end(usageOf(step, body, count));
}

function completionReply(res, body, step) {
  const calls = (step.toolCalls || []).map((tc) => ({
    id: tc.id || randomId('call_'), type: 'function',
    function: { name: tc.name, arguments: typeof tc.arguments === 'string'
      ? tc.arguments : JSON.stringify(tc.arguments ?? {}) },
  }));
  const message = { role: 'assistant', content: calls.length ? null : (step.text ?? 'ok') };
  if (calls.length) message.tool_calls = calls;
  const reply = {
    id: randomId('chatcmpl-'), object: 'chat.completion', created: Math.floor(Date.now() / 1000),
    model: body.model || 'fake-model', system_fingerprint: 'fp_fake',
    choices: [{ index: 0, message, logprobs: null,
      finish_reason: calls.length ? 'tool_calls' : 'stop' }],
  };
  const u = usageOf(step, body, splitText(step.text || '').length || calls.length);
  if (u) reply.usage = u;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(reply));
}

function errorReply(res, step) {
  const type = step.status === 429 ? 'rate_limit_error'
    : step.status >= 500 ? 'server_error' : 'invalid_request_error';
  const body = step.body !== undefined ? step.body : {
    error: { message: `fake upstream error ${step.status}`, type, param: null, code: null },
  };
  res.writeHead(step.status, { 'content-type': 'application/json', ...(step.headers || {}) });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

async function endlessReply(res, body, step) {
  const s = new Stream(res, body);
  s.begin();
  s.chunk({ role: 'assistant', content: '' });
  for (let i = 0; !s.gone; i++) {
    s.chunk({ content: `tick${i} ` });
    await sleep(step.delayMs ?? 10);
  }
}

function malformedReply(res, body, step) {
  const s = new Stream(res, body);
  s.begin();
  s.chunk({ role: 'assistant', content: '' });
  s.raw(typeof step.malformed === 'string' ? step.malformed
    : 'data: {"id": "chatcmpl-broken", "choices": [{"delta": {"content": "x"\n\n');
  res.end();
}

async function disconnectReply(res, body, step) {
  const s = new Stream(res, body);
  s.begin();
  s.chunk({ role: 'assistant', content: '' });
  for (let i = 0; i < step.disconnectAfterChunks; i++) {
    await s.pause(step.delayMs);
    s.chunk({ content: `part${i} ` });
  }
  // Let the chunks leave before the connection is cut mid-response.
  await sleep(20);
  res.socket.destroy();
}

function hangReply(res) {
  // Keeps the request open without a byte; the client's timeout or cancel ends it.
  res.on('close', () => {});
}

async function answer(res, body, step) {
  if (step.status) return errorReply(res, step);
  if (step.hang) return hangReply(res);
  if (step.nonStream || body.stream === false) return completionReply(res, body, step);
  if (step.endless) return endlessReply(res, body, step);
  if (step.malformed) return malformedReply(res, body, step);
  if (step.disconnectAfterChunks !== undefined) return disconnectReply(res, body, step);
  return streamReply(res, body, step);
}

function embeddingsReply(res, body, step) {
  if (step.delayMs) {
    setTimeout(() => embeddingsReply(res, body, { ...step, delayMs: 0 }), step.delayMs);
    return undefined;
  }
  if (step.status) return errorReply(res, step);
  if (step.hang) return hangReply(res);
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  if (!inputs.length || inputs.some((t) => typeof t !== 'string')) {
    return errorReply(res, { status: 400, body: { error: { message: 'input must be a string '
      + 'or a list of strings', type: 'invalid_request_error', param: 'input', code: null } } });
  }
  const dims = step.dims || body.dimensions || 1536;
  const data = inputs.map((t, index) => ({ object: 'embedding', index,
    embedding: hashedEmbedding(step.as ?? t, dims) }));
  const tokens = inputs.reduce((n, t) => n + t.split(/\s+/).length, 0);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ object: 'list', data, model: body.model || 'fake-embedding',
    usage: { prompt_tokens: tokens, total_tokens: tokens } }));
  return undefined;
}

function modelsReply(res, step) {
  if (step.status) return errorReply(res, step);
  if (step.hang) return hangReply(res);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(step.raw !== undefined ? step.raw : JSON.stringify({ object: 'list',
    data: step.data || [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'fake' }] }));
  return undefined;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function startFakeUpstream(options = {}) {
  const queue = [];
  const requests = [];
  const requestHeaders = [];
  const embedQueue = [];
  const embeddingRequests = [];
  const modelsQueue = [];
  let modelRequests = 0;
  let aborted = 0;

  async function handle(req, res) {
    const path = req.url.split('?')[0];
    if (req.method === 'GET' && path === '/v1/models') {
      modelRequests++;
      modelsReply(res, modelsQueue.length ? modelsQueue.shift() : {});
      return;
    }
    const isEmbed = req.method === 'POST' && path === '/v1/embeddings';
    if (!isEmbed && (req.method !== 'POST' || path !== '/v1/chat/completions')) {
      errorReply(res, { status: 404, body: { error: { message: `no route ${req.method} ${path}`,
        type: 'invalid_request_error', param: null, code: null } } });
      return;
    }
    const text = await readBody(req);
    let body;
    try {
      body = JSON.parse(text);
    } catch (e) {
      errorReply(res, { status: 400, body: { error: { message: `bad JSON: ${e.message}`,
        type: 'invalid_request_error', param: null, code: null } } });
      return;
    }
    if (isEmbed) {
      if (options.keepEmbeddingRequests !== false) embeddingRequests.push(body);
      embeddingsReply(res, body, embedQueue.length ? embedQueue.shift() : {});
      return;
    }
    requests.push(body);
    requestHeaders.push(req.headers);
    res.on('close', () => { if (!res.writableFinished) aborted++; });
    if (options.onRequest) options.onRequest(body, req.headers);
    await answer(res, body, queue.length ? queue.shift() : { text: 'ok' });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`fake upstream bug: ${e.stack}`);
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue: load tests open thousands of connections at once.
    server.listen({ port: options.port || 0, host: '127.0.0.1', backlog: 4096 }, () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}/v1`,
        port,
        requests,
        requestHeaders,
        embeddingRequests,
        script(steps) {
          for (const s of Array.isArray(steps) ? steps : [steps]) queue.push(s);
        },
        scriptEmbeddings(steps) {
          for (const s of Array.isArray(steps) ? steps : [steps]) embedQueue.push(s);
        },
        scriptModels(steps) {
          for (const s of Array.isArray(steps) ? steps : [steps]) modelsQueue.push(s);
        },
        modelRequests: () => modelRequests,
        pending: () => queue.length,
        aborted: () => aborted,
        close() {
          server.closeAllConnections();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}

module.exports = { startFakeUpstream };
