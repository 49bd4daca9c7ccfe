'use strict';
// sse.js - a bare HTTP + server-sent-events client for the run-engine benchmarks, without the
// SDK (its parsing and objects would be part of what is measured).
//
//   const { post, streamPost, stats, nowNs } = require('./sse.js');
//   const json = await post(port, '/v1/threads', {});             // one JSON call, 200 only
//   const run = await post(port, path, undefined, { method: 'GET', headers, agent });
//   const r = await streamPost(port, path, body, { agent, headers, onEvent(name, data, tNs) {} });
//   // r: { status, events, done }: done is true when "data: [DONE]" arrived
//
// onEvent gets each event's name, its data text (not parsed), and when its bytes arrived:
// process.hrtime.bigint() taken as the socket's data was handed over, so every event in
// one read shares it. That clock is CLOCK_MONOTONIC, the same in every process.

const http = require('node:http');

const HEADERS = {
  authorization: 'Bearer x', 'openai-beta': 'assistants=v2', 'content-type': 'application/json',
};

const nowNs = () => process.hrtime.bigint();

function request(port, method, path, body, agent, extra = {}) {
  const data = body === undefined ? undefined : JSON.stringify(body);
  const headers = { ...HEADERS, ...extra };
  if (data !== undefined) headers['content-length'] = Buffer.byteLength(data);
  return { data, req: http.request({ host: '127.0.0.1', port, method, path, headers, agent }) };
}

// One JSON call (POST unless opts.method; opts.agent, opts.headers); rejects unless 200.
function post(port, path, body, opts = {}) {
  const method = opts.method || 'POST';
  return new Promise((resolve, reject) => {
    const { data, req } = request(port, method, path, body, opts.agent, opts.headers);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`));
        else resolve(JSON.parse(text));
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

// POSTs body (with extra headers, if any) and reads the event stream of the answer to its end.
function streamPost(port, path, body, { agent, onEvent, headers } = {}) {
  return new Promise((resolve, reject) => {
    const { data, req } = request(port, 'POST', path, body, agent, headers);
    req.on('response', (res) => {
      let pending = '';
      let events = 0;
      let done = false;
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        const t = nowNs();
        pending += chunk;
        let end;
        while ((end = pending.indexOf('\n\n')) >= 0) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          let name = 'message';
          let payload = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) name = line.slice(6).trim();
            else if (line.startsWith('data:')) payload += line.slice(line[5] === ' ' ? 6 : 5);
          }
          if (payload === '[DONE]') done = true;
          events++;
          if (onEvent) onEvent(name, payload, t);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode, events, done }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

// p50, p90, p99, max of a list of numbers.
function stats(xs) {
  const s = Float64Array.from(xs).sort();
  return { n: s.length, p50: quantile(s, 0.5), p90: quantile(s, 0.9), p99: quantile(s, 0.99),
    max: s.length ? s[s.length - 1] : NaN };
}

// user + system CPU seconds of a process so far, from /proc/PID/stat (clock ticks of 1/100 s
// on Linux).
function cpuSeconds(pid) {
  const fs = require('node:fs');
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / 100;
}

// Pushes onto out the latency of every stamp (tools/fake.js --stamp: a CLOCK_MONOTONIC time
// in nanoseconds, six digits or more) in text, arrived at tNs, in milliseconds; returns how
// many there were.
function stampLatencies(text, tNs, out) {
  let n = 0;
  for (const m of text.matchAll(/\d{6,}/g)) {
    out.push(Number(tNs - BigInt(m[0])) / 1e6);
    n++;
  }
  return n;
}

module.exports = { post, streamPost, stats, stampLatencies, nowNs, cpuSeconds, HEADERS };
