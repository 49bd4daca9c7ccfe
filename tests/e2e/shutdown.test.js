'use strict';
// Graceful shutdown: SIGTERM while a run streams lets the run finish (within the grace
// period) and the stream end properly, the process exits 0, and a restart finds the run
// completed, its reply stored.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { validateEvent } = require('./lib/spec');

describe('graceful shutdown', () => {
  it('SIGTERM mid-stream: the run completes, the stream ends with [DONE], exit 0', async () => {
    const srv = await startServer();
    try {
      const client = srv.client();
      const asst = await client.beta.assistants.create({ model: 'demo' });
      const res = await fetch(`${srv.baseURL}/threads/runs`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer test' },
        body: JSON.stringify({
          assistant_id: asst.id, stream: true,
          thread: { messages: [{ role: 'user', content: 'demo:slow one two three four' }] },
        }),
      });
      assert.equal(res.status, 200);
      const text = res.text();
      await new Promise((r) => setTimeout(r, 300)); // the run is streaming now
      const stopped = srv.stop(); // SIGTERM, then waits for exit code 0
      const raw = await text;
      await stopped;
      assert.ok(raw.endsWith('event: done\ndata: [DONE]\n\n'), raw.slice(-200));
      const events = raw.split('\n\n').filter(Boolean).map((b) => {
        const [ev, data] = b.split('\n');
        return { event: ev.slice(7), data: data.slice(6) };
      });
      for (const e of events.slice(0, -1)) validateEvent(e.event, JSON.parse(e.data));
      const last = events[events.length - 2];
      assert.equal(last.event, 'thread.run.completed');
      const run = JSON.parse(last.data);

      await srv.restart();
      const again = await srv.client().beta.threads.runs.retrieve(run.id, { thread_id: run.thread_id });
      assert.equal(again.status, 'completed');
      const msgs = await srv.client().beta.threads.messages.list(run.thread_id);
      assert.equal(msgs.data[0].role, 'assistant');
      assert.equal(msgs.data[0].content[0].text.value, 'You said: demo:slow one two three four');
    } finally {
      await srv.stop().catch(() => {});
    }
  });
});
