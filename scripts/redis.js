'use strict';
// A private Redis for the cluster tests: finds `redis-server` (installing
// Debian's package with apt-get when it is missing and this runs as root),
// starts one on a free loopback port with nothing persisted and BullMQ's
// `maxmemory-policy noeviction`, and stops it.
//
//   const redis = await startRedis();   // { url, port, kill(), stop() } or { skip: reason }
//   ...
//   await redis.stop();

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { reap } = require('./reaper');

/** The path of redis-server, or null. */
function findRedisServer() {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/bin', '/usr/sbin', '/usr/local/bin'])) {
    const p = path.join(dir, 'redis-server');
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** Installs Debian's redis-server (root only). Returns why it could not, or null. */
function installRedisServer() {
  if (process.getuid?.() !== 0) return 'redis-server is not installed and this is not root (apt-get install -y redis-server)';
  const opts = { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'redis-server']]) {
    const r = spawnSync('apt-get', args, opts);
    if (r.error || r.status !== 0) return `apt-get ${args.join(' ')} failed: ${r.error?.message ?? r.stderr.trim().split('\n').at(-1)}`;
  }
  return null;
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a private redis-server on a free loopback port. Resolves
 * `{ url, port, stop }` once it accepts connections (its "Ready to accept
 * connections" line), or `{ skip }` with the reason when no redis-server can
 * be had.
 */
async function startRedis() {
  let bin = findRedisServer();
  if (!bin) {
    const why = installRedisServer();
    if (why) return { skip: why };
    bin = findRedisServer();
    if (!bin) return { skip: 'apt-get installed redis-server but it is not on PATH' };
  }
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sabre-redis-'));
  const child = spawn(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  reap(child); // never outlives this process, however it ends
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d;
      if (/Ready to accept connections/.test(out)) {
        child.stdout.off('data', onData);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${out}`)));
  });
  child.stdout.resume();
  child.stderr.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    /** Kills it with `signal` (a crash drill: Redis lost); resolves once it exited. */
    kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { startRedis, findRedisServer };
