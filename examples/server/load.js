'use strict';
// Why sabre exists, measured: the latency of GET /health while heavy requests
// run, once with the work on the pool and once with the same kernels called
// inline on the server's main thread (--inline).
//
//   node examples/server/load.js [--duration 5000] [--clients 2] [--hi 2e8]
//                                [--interval 10] [--max-pings 2000] [--threads N]
//
// For each mode it starts the server (examples/server) as a child process on
// a loopback port, runs --clients loops of POST /primes {"lo":0,"hi":hi} and
// one loop of GET /health (one ping every --interval ms) for --duration ms,
// then stops the server with SIGTERM. Prints a table on stderr and the
// figures as JSON on stdout.

const http = require('node:http');
const path = require('node:path');
const readline = require('node:readline');
const { spawn } = require('node:child_process');
const { once } = require('node:events');
const { parseArgs } = require('node:util');
const { setTimeout: sleep } = require('node:timers/promises');

function usage(message) {
  process.stderr.write(`${message}\nusage: node examples/server/load.js [--duration MS] [--clients N] [--hi N] [--interval MS] [--max-pings N] [--threads N]\n`);
  process.exit(2);
}

const { values: raw } = (() => {
  try {
    const s = (d) => ({ type: 'string', default: d });
    return parseArgs({ options: { duration: s('5000'), clients: s('2'), hi: s('2e8'), interval: s('10'), 'max-pings': s('2000'), threads: s('0') } });
  } catch (err) {
    return usage(err.message);
  }
})();
const int = (name, min) => {
  const v = Number(raw[name].replaceAll('_', ''));
  if (!Number.isInteger(v) || v < min) usage(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(raw[name])}`);
  return v;
};
const config = {
  durationMs: int('duration', 1),
  clients: int('clients', 1),
  hi: int('hi', 1),
  intervalMs: int('interval', 0),
  maxPings: int('max-pings', 1),
  threads: int('threads', 0),
};

/** Starts examples/server on port 0 and resolves once it reports the port it listens on. */
async function startServer(args) {
  const child = spawn(process.execPath, [path.join(__dirname, 'index.js'), '--port', '0', '--quiet', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  for await (const line of readline.createInterface({ input: child.stdout })) {
    const event = JSON.parse(line);
    if (event.event === 'listening') {
      child.stdout.resume(); // keep draining its output
      return { child, exited, port: event.port, threads: event.threads };
    }
  }
  throw new Error(`the server exited before listening (code ${(await exited)[0]})`);
}

/** One HTTP request on a keep-alive agent; resolves to { status, ms }. */
function request(agent, port, method, route, body) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ host: '127.0.0.1', port, method, path: route, agent, headers: body ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Nearest-rank percentiles, in ms. */
function summary(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p) => (s.length ? +s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)].toFixed(2) : null);
  return { count: s.length, p50: q(0.5), p99: q(0.99), max: q(1) };
}

async function measure(mode) {
  const args = mode === 'inline' ? ['--inline'] : config.threads ? ['--threads', String(config.threads)] : [];
  const { child, exited, port, threads } = await startServer(args);
  const heavyAgent = new http.Agent({ keepAlive: true });
  const pingAgent = new http.Agent({ keepAlive: true });
  const body = JSON.stringify({ lo: 0, hi: config.hi });
  const heavy = [];
  const pings = [];
  let errors = 0;
  const deadline = performance.now() + config.durationMs;

  const heavyLoop = async () => {
    while (performance.now() < deadline) {
      const r = await request(heavyAgent, port, 'POST', '/primes', body);
      if (r.status === 200) heavy.push(r.ms);
      else errors++;
    }
  };
  const pingLoop = async () => {
    while (performance.now() < deadline && pings.length < config.maxPings) {
      const r = await request(pingAgent, port, 'GET', '/health');
      if (r.status === 200) pings.push(r.ms);
      else errors++;
      await sleep(config.intervalMs);
    }
  };
  await Promise.all([...Array.from({ length: config.clients }, heavyLoop), pingLoop()]);
  heavyAgent.destroy();
  pingAgent.destroy();
  child.kill('SIGTERM');
  const [exitCode] = await exited;
  return { mode, threads, health: summary(pings), heavy: summary(heavy), errors, serverExitCode: exitCode };
}

(async () => {
  process.stderr.write(`${config.clients} client(s) POSTing /primes [0, ${config.hi.toLocaleString('en-US')}) and one pinging /health every ${config.intervalMs} ms, for ${config.durationMs} ms per mode\n`);
  const results = {};
  for (const mode of ['pool', 'inline']) results[mode] = await measure(mode);

  const rows = [
    ['/health pings', (r) => r.health.count],
    ['/health p50 ms', (r) => r.health.p50],
    ['/health p99 ms', (r) => r.health.p99],
    ['/health max ms', (r) => r.health.max],
    ['/primes done', (r) => r.heavy.count],
    ['/primes p50 ms', (r) => r.heavy.p50],
  ];
  const cell = (v) => String(v ?? '-').padStart(10);
  process.stderr.write(`\n${''.padEnd(16)}${cell('pool')}${cell('inline')}\n`);
  for (const [label, get] of rows) process.stderr.write(`${label.padEnd(16)}${cell(get(results.pool))}${cell(get(results.inline))}\n`);
  console.log(JSON.stringify({ config, ...results }, null, 2));
})();
