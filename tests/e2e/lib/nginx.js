'use strict';
// nginx.js - Debian's nginx in front of several assistd nodes, for the failover tests.
//
//   const lb = await startNginx([portA, portB, portC]);
//   lb.baseURL    'http://127.0.0.1:<port>/v1'
//   lb.dir        its temporary directory: nginx.conf, error.log, access.log
//   await lb.stop()
//
// nginx runs as a child process in the foreground (daemon off, one process), with a generated
// configuration, its logs and temporary files in its own directory and a free loopback port.
// It balances round robin, passes streams through unbuffered, and sends a request that could
// not reach a node (connection refused: a killed node) to the next one.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const NGINX = process.env.NGINX_BIN || '/usr/sbin/nginx';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function config(dir, port, upstreams) {
  const servers = upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`).join('\n');
  return `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size 64m;
  upstream assistd {
${servers}
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://assistd;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 120s;
      proxy_next_upstream error timeout;
      proxy_connect_timeout 2s;
    }
  }
}
`;
}

async function waitListening(port, proc, ms) {
  const end = Date.now() + ms;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`nginx exited with ${proc.exitCode}`);
    const ok = await new Promise((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error('nginx did not start listening');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startNginx(upstreams) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assistd-nginx-'));
  const port = await freePort();
  fs.writeFileSync(path.join(dir, 'nginx.conf'), config(dir, port, upstreams));
  const proc = spawn(NGINX, ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', path.join(dir, 'nginx.conf')],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d.toString(); });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  try {
    await waitListening(port, proc, 10000);
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`${e.message}: ${stderr}`);
  }
  return {
    port,
    dir,
    baseURL: `http://127.0.0.1:${port}/v1`,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGQUIT');
      await exited;
      if (!process.env.ASSISTD_KEEP_DATA) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { startNginx, freePort, NGINX };
