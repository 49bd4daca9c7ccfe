#!/usr/bin/env node
'use strict';
// events_memory.js - what a run with a reply of very many deltas costs in server memory.
//
//   node bench/tools/events_memory.js SERVER_PORT SERVER_PID [STREAM]
//
// The fake upstream (started by the case) answers with a long text in one-character chunks.
// One run is created on a new thread (not streamed; with STREAM=1, streamed and read to
// [DONE]) and awaited (retrieved every 50 ms until it ends) while VmRSS of SERVER_PID is
// sampled every 10 ms. Prints one JSON line: RSS before, peak and after (kB), the run's
// status and the length of its reply.

const fs = require('node:fs');
const path = require('node:path');
const { post, streamPost } = require(path.join(__dirname, 'sse.js'));

const [srvPort, srvPid] = process.argv.slice(2, 4).map(Number);
const STREAM = process.argv[4] === '1';
const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'expired', 'incomplete']);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rssKb() {
  return Number(fs.readFileSync(`/proc/${srvPid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)/m)[1]);
}

async function main() {
  const asst = await post(srvPort, '/v1/assistants', { model: 'gpt-4o' });
  const thread = await post(srvPort, '/v1/threads', { messages: [{ role: 'user', content: 'go' }] });
  await sleep(500);
  const before = rssKb();
  let peak = before;
  const sampler = setInterval(() => { peak = Math.max(peak, rssKb()); }, 10);
  const t0 = Date.now();
  let runId;
  if (STREAM) {
    await streamPost(srvPort, `/v1/threads/${thread.id}/runs`, { assistant_id: asst.id, stream: true }, {
      onEvent(name, data) { if (name === 'thread.run.created') runId = JSON.parse(data).id; },
    });
  } else {
    runId = (await post(srvPort, `/v1/threads/${thread.id}/runs`, { assistant_id: asst.id })).id;
  }
  let run;
  for (;;) {
    run = await post(srvPort, `/v1/threads/${thread.id}/runs/${runId}`, undefined, { method: 'GET' });
    if (TERMINAL.has(run.status)) break;
    await sleep(50);
  }
  const seconds = (Date.now() - t0) / 1000;
  await sleep(500);
  clearInterval(sampler);
  const after = rssKb();
  const msgs = await post(srvPort, `/v1/threads/${thread.id}/messages?limit=1`, undefined, { method: 'GET' });
  const reply = msgs.data[0].content[0]?.text?.value || '';
  console.log(JSON.stringify({ status: run.status, reply_chars: reply.length, seconds,
    rss_before_kb: before, rss_peak_kb: Math.max(peak, after), rss_after_kb: after }));
}

main().catch((e) => { console.error(e); process.exit(1); });
