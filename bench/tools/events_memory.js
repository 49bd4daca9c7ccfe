#!/usr/bin/env node
'use strict';
// events_memory.js - what one non-streamed run with a long, finely chunked reply adds to the
// server's memory.
//
//   node bench/tools/events_memory.js SERVER_PORT SERVER_PID REPLY_CHARS
//
// Creates an assistant and a thread, reads the server's VmRSS from /proc, runs
// createAndPoll (no stream: nobody reads the run's events), checks the reply is REPLY_CHARS
// long, waits a moment, and reads VmRSS and VmHWM (the peak) again. Prints one JSON line:
// rss_before_kb, rss_after_kb, hwm_after_kb, added_kb (the peak minus the RSS before: what the
// run needed at its worst), run_ms.

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '../..');
const OpenAI = require(path.join(ROOT, 'tests/e2e/node_modules/openai'));

const [port, pid, chars] = process.argv.slice(2, 5).map(Number);

function memKb(field) {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+)`, 'm'));
  return Number(m[1]);
}

async function main() {
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'x', maxRetries: 0, timeout: 600000 });
  const asst = await client.beta.assistants.create({ model: 'gpt-4o' });
  const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'a long story, please' }] });
  await new Promise((r) => setTimeout(r, 500));
  const before = memKb('VmRSS');
  const t0 = Date.now();
  const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: asst.id },
    { pollIntervalMs: 200 });
  const runMs = Date.now() - t0;
  if (run.status !== 'completed') throw new Error(`the run ended ${run.status}: ${JSON.stringify(run.last_error)}`);
  const msgs = await client.beta.threads.messages.list(thread.id, { order: 'desc', limit: 1 });
  const reply = msgs.data[0]?.content?.[0]?.text?.value ?? '';
  if (reply.length !== chars) throw new Error(`the reply has ${reply.length} characters, not ${chars}`);
  await new Promise((r) => setTimeout(r, 500));
  const after = memKb('VmRSS');
  const hwm = memKb('VmHWM');
  process.stdout.write(`${JSON.stringify({ rss_before_kb: before, rss_after_kb: after,
    hwm_after_kb: hwm, added_kb: hwm - before, run_ms: runMs })}\n`);
}

main().catch((e) => {
  process.stderr.write(`events_memory.js: ${e.stack}\n`);
  process.exit(1);
});
