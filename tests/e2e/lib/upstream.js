'use strict';
// upstream.js - a test server whose assistd talks to a fake upstream (tests/fake_upstream)
// started just before it:
//
//   const { srv, it, up } = useUpstreamServer(['--vs-day', '1']);
//   up().script({ text: 'hello' });   // up() is the fake upstream (see its server.js)

const test = require('node:test');
const { useServer } = require('./harness');
const { startFakeUpstream } = require('../../fake_upstream/server');

function useUpstreamServer(extraArgs = []) {
  const holder = {};
  const opts = { args: extraArgs };
  test.before(async () => {
    holder.up = await startFakeUpstream();
    opts.args = ['--upstream-url', holder.up.url, ...extraArgs];
  });
  test.after(async () => { if (holder.up) await holder.up.close(); });
  const { srv, it } = useServer(opts);
  return { srv, it, up: () => holder.up };
}

module.exports = { useUpstreamServer };
