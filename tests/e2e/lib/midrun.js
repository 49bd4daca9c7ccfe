'use strict';
// midrun.js - catching a run in the middle of its reply, for the crash and failover tests.
//
//   const { streamRun, waitTerminal } = require('./lib/midrun');
//   const { runId, rest } = await streamRun(srv, threadId, { assistant_id }, 3);
//       // resolves once 3 message deltas arrived; rest resolves with the whole stream's text
//       // when it ends (cut short if the server dies under it)
//   const run = await waitTerminal(client, runId, threadId);  // polls until it stops moving

const assert = require('node:assert/strict');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function streamRun(srv, threadId, body, deltas) {
  const res = await fetch(`${srv.baseURL}/threads/${threadId}/runs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer test' },
    body: JSON.stringify({ ...body, stream: true }),
  });
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  let text = '';
  const count = () => (text.match(/event: thread\.message\.delta/g) || []).length;
  while (count() < deltas) {
    const { value, done } = await reader.read();
    assert.ok(!done, `the stream ended early: ${text.slice(-300)}`);
    text += Buffer.from(value).toString();
  }
  const runId = /"id":"(run_[^"]+)"/.exec(text)[1];
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ done: true }));
      if (done) return text;
      text += Buffer.from(value).toString();
    }
  })();
  return { runId, rest };
}

async function waitTerminal(client, runId, threadId, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const run = await client.beta.threads.runs.retrieve(runId, { thread_id: threadId });
    if (!['queued', 'in_progress', 'cancelling'].includes(run.status) || Date.now() > end) return run;
    await sleep(50);
  }
}

module.exports = { streamRun, waitTerminal };
