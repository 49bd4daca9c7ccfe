#!/usr/bin/env node
'use strict';
// stream_latency.js - the delay assistd adds between a model's token and the client's
// thread.message.delta.
//
//   node bench/tools/stream_latency.js SERVER_PORT UPSTREAM_PORT [RUNS] [TOKENS]
//
// The fake upstream (bench/tools/fake.js --stamp) streams TOKENS chunks, each one token that
// is the CLOCK_MONOTONIC time at which the fake wrote it. This client starts RUNS streaming
// runs one after the other (POST /v1/threads/{id}/runs with "stream": true, a new thread
// each), reads the event stream with sse.js and, for each thread.message.delta, takes
// arrival - stamp for every stamp in its text. Interleaved with those runs, the same number
// of chat completions go straight to the fake and are timed the same way: that is the floor
// of the measurement (the fake's write, the loopback, this client's own event loop), which
// assistd's number includes too. Prints one JSON line (milliseconds).

const path = require('node:path');
const { post, streamPost, stats, stampLatencies } = require(path.join(__dirname, 'sse.js'));

const [srvPort, upPort] = process.argv.slice(2, 4).map(Number);
const RUNS = Number(process.argv[4] || 10);
const TOKENS = Number(process.argv[5] || 50);

async function throughAssistd(asstId, lat) {
  const thread = await post(srvPort, '/v1/threads', { messages: [{ role: 'user', content: 'go' }] });
  let tokens = 0;
  let deltas = 0;
  let status = '';
  const r = await streamPost(srvPort, `/v1/threads/${thread.id}/runs`,
    { assistant_id: asstId, stream: true }, {
      onEvent(name, data, t) {
        if (name === 'thread.message.delta') {
          const d = JSON.parse(data);
          deltas++;
          for (const c of d.delta.content || []) tokens += stampLatencies(c.text?.value || '', t, lat);
        } else if (name.startsWith('thread.run.') && !name.startsWith('thread.run.step')) {
          status = name.slice('thread.run.'.length);
        }
      },
    });
  if (r.status !== 200 || !r.done || status !== 'completed' || tokens !== TOKENS) {
    throw new Error(`run on ${thread.id}: HTTP ${r.status}, [DONE] ${r.done}, last status ${status}, ${tokens}/${TOKENS} tokens`);
  }
  return deltas;
}

async function direct(lat) {
  let tokens = 0;
  const r = await streamPost(upPort, '/v1/chat/completions', {
    model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'go' }],
  }, {
    onEvent(name, data, t) {
      if (data === '[DONE]') return;
      const c = JSON.parse(data);
      tokens += stampLatencies(c.choices?.[0]?.delta?.content || '', t, lat);
    },
  });
  if (r.status !== 200 || !r.done || tokens !== TOKENS) {
    throw new Error(`direct: HTTP ${r.status}, [DONE] ${r.done}, ${tokens}/${TOKENS} tokens`);
  }
}

async function main() {
  const asst = await post(srvPort, '/v1/assistants', { model: 'gpt-4o' });
  const lat = [];
  const floor = [];
  let deltas = 0;
  await throughAssistd(asst.id, []); // warm-up
  await direct([]);
  for (let i = 0; i < RUNS; i++) {
    deltas += await throughAssistd(asst.id, lat);
    await direct(floor);
  }
  const a = stats(lat);
  const f = stats(floor);
  process.stdout.write(`${JSON.stringify({
    runs: RUNS, tokens: TOKENS, samples: a.n, deltas,
    p50: a.p50, p90: a.p90, p99: a.p99, max: a.max,
    floor_p50: f.p50, floor_p99: f.p99, floor_max: f.max,
  })}\n`);
}

main().catch((e) => {
  process.stderr.write(`stream_latency.js: ${e.stack}\n`);
  process.exit(1);
});
