'use strict';
// What a run on a long thread sends the model: the thread's messages are read newest first
// and only as far as the budget goes (truncation_strategy.last_messages, max_prompt_tokens,
// the model's context window), across pages of the store, and arrive oldest first.

const test = require('node:test');
const { describe } = test;
const assert = require('node:assert/strict');
const { useServer, useUpstreamServer } = require('./lib/harness');

const userTexts = (req) => req.messages.filter((m) => m.role === 'user').map((m) => m.content);
// About 60 tokens per message in the prompt (55 of text in o200k_base and cl100k_base).
const long = (i) => `message ${i} ` + 'x'.repeat(400);

describe('the prompt of a run on a long thread', () => {
  const { srv, it, up } = useUpstreamServer();
  const texts = [];
  let asst, thread;

  it('setup: a thread of 250 messages of about 60 tokens each', async () => {
    const c = srv().client();
    asst = await c.beta.assistants.create({ model: 'gpt-4o' });
    thread = await c.beta.threads.create();
    for (let i = 0; i < 250; i++) {
      texts.push(long(i));
      await c.beta.threads.messages.create(thread.id, { role: 'user', content: texts[i] });
    }
  });

  // Runs on the thread and returns the user messages the upstream received.
  async function sent(params) {
    const c = srv().client();
    const n = up().requests.length;
    up().script({ text: 'ok' });
    const r = await c.beta.threads.runs.createAndPoll(thread.id,
      { assistant_id: asst.id, ...params }, { pollIntervalMs: 50 });
    assert.equal(r.status, 'completed', JSON.stringify(r.last_error));
    return userTexts(up().requests[n]);
  }

  it('last_messages past a page of the store: exactly the newest N, oldest first', async () => {
    const got = await sent({ truncation_strategy: { type: 'last_messages', last_messages: 150 } });
    assert.deepEqual(got, texts.slice(100));
  });

  it('max_prompt_tokens: the newest messages that fit, oldest first', async () => {
    const got = await sent({ max_prompt_tokens: 2000 });
    assert.ok(got.length >= 25 && got.length < 40, `${got.length} messages`);
    assert.deepEqual(got, texts.slice(texts.length - got.length));
  });

  it('the model\'s context window bounds the prompt when nothing else does', async () => {
    const got = await sent({ model: 'gpt-4' }); // 8,192 tokens: about 135 of these messages
    assert.ok(got.length >= 110 && got.length < 140, `${got.length} messages`);
    assert.deepEqual(got, texts.slice(texts.length - got.length));
    const all = await sent({}); // gpt-4o: 128k tokens, the whole thread fits
    assert.deepEqual(all, texts);
  });
});

describe('the prompt\'s tokens, counted where the prompt is built', () => {
  const { srv, it } = useServer({ args: ['--demo-delay-ms', '0'] });

  it('usage.prompt_tokens is what the model\'s tokenizer counts', async () => {
    const c = srv().client();
    const asst = await c.beta.assistants.create({ model: 'gpt-4o', instructions: 'be brief' });
    const t = await c.beta.threads.create({ messages: [{ role: 'user', content: 'hello  there' }] });
    const r = await c.beta.threads.runs.createAndPoll(t.id, { assistant_id: asst.id }, { pollIntervalMs: 50 });
    assert.equal(r.status, 'completed', JSON.stringify(r.last_error));
    // o200k_base: 3 (the reply's priming) + 3 + "system" 1 + "be| brief" 2
    // + 3 + "user" 1 + "hello| | there" 3.
    assert.equal(r.usage.prompt_tokens, 16);
  });
});
