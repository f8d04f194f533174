'use strict';
// The examples (examples/*), run as a user runs them: `node examples/<name>`
// in a child process, at small sizes, checking what they print. Timings are
// printed by the examples but never asserted here.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const { once } = require('node:events');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { PNG } = require('pngjs');
const { root, sabre, randomShared } = require('./helpers');
const { startRedis } = require('../scripts/redis');

/** The environment of an example's child process: no SABRE_REDIS unless given. */
function envWith(extra = {}) {
  const env = { ...process.env, ...extra };
  if (!('SABRE_REDIS' in extra)) delete env.SABRE_REDIS;
  return env;
}

/** Runs `node ...args` in the repository; resolves to { code, stdout, stderr }. */
async function run(args, { timeout = 60_000, env = envWith() } = {}) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], timeout, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const [code, signal] = await once(child, 'exit');
  return { code, signal, stdout, stderr };
}

/** Runs an example that prints JSON and must exit 0; returns the parsed output. */
async function runJson(args, options) {
  const r = await run(args, options);
  assert.equal(r.code, 0, `node ${args.join(' ')} exited ${r.code} (${r.signal}):\n${r.stderr}`);
  return { json: JSON.parse(r.stdout), stderr: r.stderr };
}

describe('examples/primes', () => {
  it('counts the primes below 10^7', async () => {
    const { json } = await runJson(['examples/primes', '--below', '1e7']);
    assert.equal(json.primes, 664579);
    assert.equal(json.matches, true);
  });

  it('--kill-worker: a worker dies at ~50 %, its chunk is retried, the count is still exact', async () => {
    const { json, stderr } = await runJson(['examples/primes', '--below', '1e8', '--kill-worker', '--threads', '2']);
    assert.equal(json.primes, 5761455);
    assert.equal(json.matches, true);
    assert.ok(json.killed, 'a worker was killed');
    assert.ok(json.killed.atPercent >= 50 && json.killed.atPercent < 100);
    assert.deepEqual(
      json.workerExits.map((e) => [e.threadId, e.reason]),
      [[json.killed.threadId, 'crash']],
    );
    assert.match(stderr, /workerExit \{"threadId":\d+,"code":\d+,"reason":"crash"\}/);
  });

  it('--largest-below: 999999999989 below 10^12, checked by trial division', async () => {
    const { json } = await runJson(['examples/primes', '--largest-below', '1e12']);
    assert.equal(json.prime, 999999999989);
    assert.equal(json.verified, true);
  });

  it('bad bounds: a usage error, or sabre\'s RangeError', async () => {
    const usage = await run(['examples/primes', '--below', 'many']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--below must be a non-negative integer/);
    const range = await run(['examples/primes', '--below', '1e20']);
    assert.equal(range.code, 1);
    assert.match(range.stderr, /RangeError: The value of "hi" is out of range/);
  });
});

describe('examples/linear-regression', () => {
  it('recovers the slope and intercept; pool and direct agree bit for bit', async () => {
    // 6e5 points: three chunks of 2^18, so the pool really splits the work.
    const { json } = await runJson(['examples/linear-regression', '--n', '6e5', '--slope=-0.75', '--intercept', '4', '--noise', '0.25', '--runs', '1']);
    assert.equal(json.n, 600000);
    for (const [name, fit] of Object.entries(json.fits)) {
      assert.ok(Math.abs(fit.slope - -0.75) < 0.005, `${name} slope ${fit.slope}`);
      assert.ok(Math.abs(fit.intercept - 4) < 0.02, `${name} intercept ${fit.intercept}`);
      assert.ok(fit.r2 > 0.9 && fit.r2 <= 1, `${name} r2 ${fit.r2}`);
      assert.equal(fit.n, 600000);
      assert.equal(typeof fit.ms, 'number');
      assert.equal(typeof fit.mainThreadMs, 'number');
    }
    assert.equal(json.fits.pool.slope, json.fits.direct.slope);
    assert.equal(json.fits.pool.intercept, json.fits.direct.intercept);
    assert.ok(Math.abs(json.fits.plainJs.slope - json.fits.pool.slope) < 1e-9);
    assert.equal(typeof json.speedup.poolVsPlainJs, 'number');
  });
});

/**
 * A private Redis (scripts/redis.js) for the Cluster examples, started
 * before their tests and stopped after; `skip` says why there is none. After
 * every example Redis must be empty: each removes its private queue.
 */
function privateRedis() {
  const state = { url: null, skip: null, client: null };
  before(async () => {
    const r = await startRedis();
    if (r.skip) {
      state.skip = `no redis-server: ${r.skip}`;
      return;
    }
    state.redis = r;
    state.url = r.url;
    const IORedis = require('ioredis');
    state.client = new IORedis(r.url);
  });
  after(async () => {
    if (!state.redis) return;
    await state.client.quit();
    await state.redis.stop();
  });
  state.assertEmpty = async () => assert.deepEqual(await state.client.keys('*'), [], 'the example left nothing in Redis');
  return state;
}

describe('examples/cluster-primes', () => {
  const redis = privateRedis();

  it('pi(10^9) on 2 worker processes with progress; nothing left in Redis', async (t) => {
    if (redis.skip) return t.skip(redis.skip);
    // 60 pool chunks of 2^24 numbers in cluster chunks of 8: 8 jobs.
    const { json, stderr } = await runJson(['examples/cluster-primes', '--redis', redis.url, '--below', '1e9', '--job-chunks', '8']);
    assert.equal(json.mode, 'cluster');
    assert.equal(json.primes, 50847534);
    assert.equal(json.matches, true);
    assert.equal(json.workers.length, 2);
    assert.equal(json.workers.reduce((s, w) => s + w.chunks, 0), 8, 'every cluster chunk ran once');
    assert.match(stderr, /primes below 1,000,000,000: 100\.0 % {2}chunk 60\/60/);
    await redis.assertEmpty();
  });

  it('--kill-worker: a worker SIGKILLed mid-chunk at ~50 %, its chunk rerun by the other, the count still exact', async (t) => {
    if (redis.skip) return t.skip(redis.skip);
    // 10 jobs of ~100 ms each; the killed one's lock (1 s) must expire first.
    const { json, stderr } = await runJson(['examples/cluster-primes', '--redis', redis.url, '--below', '1e10', '--kill-worker']);
    assert.equal(json.primes, 455052511);
    assert.equal(json.matches, true);
    const { killed } = json;
    assert.ok(killed, 'a worker was killed');
    assert.equal(killed.signal, 'SIGKILL');
    assert.ok(killed.atPercent >= 50 && killed.atPercent < 100, `killed at ${killed.atPercent} %`);
    const [victim, other] = [json.workers.find((w) => w.killed), json.workers.find((w) => !w.killed)];
    assert.equal(victim.pid, killed.pid);
    assert.match(killed.job, /^\w+-\d+$/);
    assert.equal(killed.rerunBy, other.pid, 'the other worker ran the dead one\'s chunk');
    assert.match(stderr, new RegExp(`worker ${other.pid} took chunk ${killed.job} over`));
    await redis.assertEmpty();
  });

  it('without a Redis: an embedded Cluster, same count; --kill-worker then is a usage error', async () => {
    const { json } = await runJson(['examples/cluster-primes', '--below', '1e8', '--quiet']);
    assert.deepEqual([json.mode, json.primes, json.matches], ['embedded', 5761455, true]);
    const r = await run(['examples/cluster-primes', '--kill-worker']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--kill-worker needs --redis and --workers 2 or more/);
  });
});

describe('examples/cluster-client', () => {
  const redis = privateRedis();

  it('a fit sent to a worker process: the plain-JS reference to 1e-9, the direct call bit for bit', async (t) => {
    if (redis.skip) return t.skip(redis.skip);
    // 2e6 points: 8 pool chunks of 2^18, in cluster chunks of 2: 4 jobs.
    const args = ['examples/cluster-client', '--workers', '1', '--n', '2e6', '--slope=-0.75', '--intercept', '4', '--noise', '0.25', '--job-chunks', '2'];
    const { json, stderr } = await runJson(args, { env: envWith({ SABRE_REDIS: redis.url }) });
    assert.equal(json.mode, 'cluster');
    assert.equal(json.fit.n, 2_000_000);
    for (const k of ['slope', 'intercept', 'r2']) assert.ok(json.diffFromReference[k] < 1e-9, `${k} differs by ${json.diffFromReference[k]}`);
    assert.ok(Math.abs(json.fit.slope - -0.75) < 0.005 && Math.abs(json.fit.intercept - 4) < 0.02, JSON.stringify(json.fit));
    assert.equal(json.sameAsDirect, true);
    assert.equal(json.progressEvents, 8, 'one progress event per pool chunk');
    assert.deepEqual(json.workers.map((w) => w.chunks), [4]);
    assert.equal(json.uploadMiB, 30.5);
    assert.match(stderr, /chunk 8\/8/);
    await redis.assertEmpty();
  });

  it('without a Redis: an embedded Cluster, the same fit', async () => {
    const { json } = await runJson(['examples/cluster-client', '--n', '6e5', '--quiet']);
    assert.equal(json.mode, 'embedded');
    assert.equal(json.sameAsDirect, true);
    assert.ok(json.diffFromReference.slope < 1e-9);
  });
});

describe('examples/image', () => {
  const testImage = path.join(root, 'examples', 'image', 'test-image.png');

  it('writes a gray, blurred PNG: the same bytes as grayscale + gaussianBlur called directly', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sabre-image-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const output = path.join(dir, 'out.png');
    const { json } = await runJson(['examples/image', testImage, output, '2', '--threads', '3']);
    assert.deepEqual([json.width, json.height, json.sigma], [400, 300, 2]);

    const input = PNG.sync.read(fs.readFileSync(testImage));
    const out = PNG.sync.read(fs.readFileSync(output));
    assert.deepEqual([out.width, out.height], [input.width, input.height]);
    let differs = 0;
    for (let i = 0; i < out.data.length; i += 4) {
      const [r, g, b, a] = out.data.subarray(i, i + 4);
      assert.ok(r === g && g === b && a === 255, `pixel ${i / 4} is ${[r, g, b, a]}`);
      if (r !== input.data[i] || g !== input.data[i + 1] || b !== input.data[i + 2]) differs++;
    }
    assert.ok(differs > out.data.length / 8, `${differs} pixels changed`);

    const want = sabre.kernels.grayscale(Uint8Array.from(input.data));
    const blurred = sabre.kernels.gaussianBlur(new Uint8Array(want.length), want, input.width, input.height, 2);
    assert.ok(Buffer.from(blurred).equals(out.data), 'same bytes as the direct calls');
  });

  it('make-test-image.js redraws the shipped test image', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sabre-image-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const r = await run(['examples/image/make-test-image.js', path.join(dir, 'test.png')]);
    assert.equal(r.code, 0, r.stderr);
    const made = PNG.sync.read(fs.readFileSync(path.join(dir, 'test.png')));
    const shipped = PNG.sync.read(fs.readFileSync(testImage));
    assert.ok(made.data.equals(shipped.data));
    assert.ok(fs.statSync(testImage).size < 200 * 1024);
  });

  it('a bad sigma is sabre\'s RangeError, exit code 1', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sabre-image-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const r = await run(['examples/image', testImage, path.join(dir, 'out.png'), '500']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /RangeError: The value of "sigma" is out of range/);
    assert.equal(fs.existsSync(path.join(dir, 'out.png')), false);
  });
});

/**
 * Spawns examples/server on port 0 in a child process, killed when test `t`
 * ends if it is still running. `waitFor(predicate)` resolves with the first
 * event line (JSON on its stdout) that matches, and rejects if the server
 * exits first.
 */
function spawnServer(t, args = []) {
  const child = spawn(process.execPath, ['examples/server', '--port', '0', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const events = [];
  const waiters = new Set();
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const event = JSON.parse(line);
    events.push(event);
    for (const w of waiters) {
      if (w.predicate(event)) {
        waiters.delete(w);
        w.resolve(event);
      }
    }
  });
  const exited = once(child, 'exit').then(([code, signal]) => {
    for (const w of waiters) w.reject(new Error(`the server exited (${code ?? signal}) before ${w.predicate}:\n${stderr}`));
    return { code, signal };
  });
  const waitFor = (predicate) =>
    new Promise((resolve, reject) => {
      const seen = events.find(predicate);
      if (seen) return resolve(seen);
      if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`the server has exited:\n${stderr}`));
      waiters.add({ predicate, resolve, reject });
    });
  return { child, events, waitFor, exited, stderr: () => stderr };
}

/** spawnServer, then waits until it listens; adds its `port`. */
async function startServer(t, args = []) {
  const server = spawnServer(t, args);
  const { port } = await server.waitFor((e) => e.event === 'listening');
  return { ...server, port };
}

/** One request on its own connection; resolves to { status, headers, body, json }. */
function request(port, method, route, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: route, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const isJson = /json/.test(res.headers['content-type'] ?? '');
        resolve({ status: res.statusCode, headers: res.headers, body: buf, json: isJson ? JSON.parse(buf) : undefined });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
const post = (port, route, body, headers) => request(port, 'POST', route, typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body), headers);

/**
 * Splits the first HTTP/1.1 response off `buf` exactly as a client does:
 * the header block, then Content-Length bytes of body. Returns
 * { status, headers, body, rest }, or null while the response is incomplete.
 */
function parseResponse(buf) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine);
  assert.ok(match, `a response starts with a status line, got ${JSON.stringify(statusLine)}`);
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  const length = Number(headers['content-length']);
  if (buf.length < end + 4 + length) return null;
  return { status: Number(match[1]), headers, body: buf.subarray(end + 4, end + 4 + length), rest: buf.subarray(end + 4 + length) };
}

/**
 * Sends `requests` (raw bytes) one after the other on ONE connection, each
 * once the previous response is complete, as a keep-alive client does; the
 * last should say Connection: close. Resolves to the parsed responses.
 */
function sequentialOnOneSocket(port, requests) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const responses = [];
    let buf = Buffer.alloc(0);
    let next = 0;
    const sendNext = () => socket.write(requests[next++]);
    socket.on('connect', sendNext);
    const failed = (err) => {
      socket.destroy();
      reject(err);
    };
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      // Only the response to the request last sent can be complete here.
      if (responses.length !== next - 1) return;
      try {
        const r = parseResponse(buf);
        if (!r) return;
        responses.push(r);
        buf = r.rest;
        if (next < requests.length) sendNext();
      } catch (err) {
        failed(err);
      }
    });
    socket.on('end', () => {
      // Whatever is left must itself be a whole response (a desynced stream is not).
      try {
        while (buf.length) {
          const r = parseResponse(buf);
          if (!r) throw new Error(`a cut response: ${JSON.stringify(buf.toString('latin1'))}`);
          responses.push(r);
          buf = r.rest;
        }
        resolve(responses);
      } catch (err) {
        failed(err);
      }
    });
    socket.on('error', reject);
  });
}

/**
 * A POST whose body the caller writes later (req.write / req.end), on its own
 * connection. `response` resolves to { status, headers, json }, or to the
 * error if the connection fails first.
 */
function upload(port, route, headers = {}) {
  const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: route, agent: false, headers });
  const response = new Promise((resolve) => {
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, json: JSON.parse(Buffer.concat(chunks)) }));
    });
    // Also after a response: an early 503 closes the connection under a body still being sent.
    req.on('error', resolve);
  });
  return { req, response };
}

/**
 * Opens a raw connection, writes `bytes` and never anything more. Resolves
 * to { data, ms } once the server closes it (ms: from the write to the
 * close); rejects if it is still open after `guardMs`.
 */
function stallingClient(port, bytes, guardMs = 5000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    let t0;
    socket.on('connect', () => {
      t0 = performance.now();
      socket.write(bytes);
    });
    socket.on('data', (d) => (data += d));
    socket.on('error', () => {}); // a reset after the 408 still counts as closed
    socket.on('close', () => resolve({ data, ms: performance.now() - t0 }));
    socket.setTimeout(guardMs, () => {
      socket.destroy();
      reject(new Error(`the server still held the connection after ${guardMs} ms (got ${JSON.stringify(data)})`));
    });
  });
}

describe('examples/server', { timeout: 120_000 }, () => {
  it('/health, /primes, /blur and /stats; 400 for bad bodies, 404, 405; SIGTERM exits 0', async (t) => {
    const server = await startServer(t, ['--threads', '2']);
    const { port } = server;
    const health = await request(port, 'GET', '/health');
    assert.equal(health.status, 200);
    assert.deepEqual([health.json.status, health.json.mode, health.json.threads], ['ok', 'pool', 2]);

    const primes = await post(port, '/primes', { lo: 0, hi: 1e7 });
    assert.equal(primes.status, 200);
    assert.equal(primes.json.count, 664579);
    assert.equal((await post(port, '/primes', '{"lo": 100, "hi": 1e8}')).json.count, 5761455 - 25);

    // A 4 x 300 image: several bands of rows, compared with the direct call.
    const [w, h] = [4, 300];
    const rgba = randomShared(Uint8Array, w * h * 4, 7);
    const blur = await post(port, `/blur?width=${w}&height=${h}&sigma=1.5`, Buffer.from(rgba), { 'Content-Type': 'application/octet-stream' });
    assert.equal(blur.status, 200);
    assert.ok(blur.body.equals(sabre.kernels.gaussianBlur(new Uint8Array(rgba.length), rgba, w, h, 1.5)));

    const stats = await request(port, 'GET', '/stats');
    assert.ok(stats.json.sinceStart.kernels.countPrimes.calls >= 2);

    const bad = [
      ['{"lo": 0,', /invalid JSON/],
      ['[1, 2]', /must be a JSON object/],
      ['{"lo": 0}', /missing field "hi"/],
      ['{"hi": 10, "max": 3}', /unknown field "max"/],
      ['{"hi": "1e9"}', /"hi" argument must be of type number/], // sabre's TypeError
      ['{"lo": 10, "hi": 5}', /"hi" is out of range/], // sabre's RangeError
      ['{"hi": 1e99}', /"hi" is out of range/],
      ['{"lo": -1, "hi": 5}', /"lo" is out of range/],
    ];
    for (const [body, message] of bad) {
      const r = await post(port, '/primes', body);
      assert.equal(r.status, 400, body);
      assert.equal(r.json.error, 'Bad Request');
      assert.match(r.json.message, message);
    }
    const shortImage = await post(port, '/blur?width=4&height=4', Buffer.alloc(63));
    assert.equal(shortImage.status, 400);
    assert.match(shortImage.json.message, /width \* height \* 4 = 64/);
    const badSigma = await post(port, '/blur?width=2&height=2&sigma=1000', Buffer.alloc(16));
    assert.equal(badSigma.status, 400);
    assert.match(badSigma.json.message, /"sigma" is out of range/);
    assert.equal((await request(port, 'GET', '/nothing')).status, 404);
    const wrongMethod = await request(port, 'GET', '/primes');
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.allow, 'POST');

    server.child.kill('SIGTERM');
    assert.deepEqual(await server.exited, { code: 0, signal: null });
    assert.deepEqual(server.events.slice(-2).map((e) => e.event), ['closing', 'closed']);
  });

  it('--inline: the same answers, computed on the main thread', async (t) => {
    const server = await startServer(t, ['--inline']);
    const { port } = server;
    assert.equal((await request(port, 'GET', '/health')).json.mode, 'inline');
    assert.equal((await post(port, '/primes', { hi: 1e6 })).json.count, 78498);
    const bad = await post(port, '/primes', { lo: 10, hi: 5 });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /"hi" is out of range/);
    server.child.kill('SIGTERM');
    assert.equal((await server.exited).code, 0);
  });

  it('a full queue answers 503 with Retry-After; /health still answers; past --grace, SIGTERM exits 1', async (t) => {
    // One worker, one call allowed to wait. A: [0, 2^53) in chunks of 2^41
    // numbers, so its first chunk runs for the whole test; B waits for a
    // worker; C finds the queue full.
    const server = await startServer(t, ['--threads', '1', '--max-queue', '1', '--retry-after', '7', '--grace', '100']);
    const { port, waitFor } = server;
    const pending = [];
    const sendHeld = (body) => pending.push(post(port, '/primes', body).catch((err) => err));

    sendHeld({ hi: 2 ** 53 });
    const a = await waitFor((e) => e.event === 'submitted');
    assert.equal(a.queueSize, 0, 'A runs');
    sendHeld({ hi: 1e7 });
    const b = await waitFor((e) => e.event === 'submitted' && e.id !== a.id);
    assert.equal(b.queueSize, 1, 'B waits');

    const c = await post(port, '/primes', { hi: 1e7 });
    assert.equal(c.status, 503);
    assert.equal(c.headers['retry-after'], '7');
    assert.match(c.json.message, /queue is full/);
    const health = await request(port, 'GET', '/health');
    assert.equal(health.status, 200);
    assert.equal(health.json.queueSize, 1);

    server.child.kill('SIGTERM');
    assert.deepEqual(await server.exited, { code: 1, signal: null });
    assert.deepEqual(server.events.slice(-2).map((e) => e.event), ['closing', 'forced']);
    for (const r of await Promise.all(pending)) assert.ok(r instanceof Error, 'A and B were cut off');
  });

  it('SIGTERM: new connections are refused, an accepted request completes, then exit 0', async (t) => {
    const server = await startServer(t, ['--threads', '1']);
    const { port, waitFor } = server;
    // An accepted request whose body is still arriving when SIGTERM comes.
    const body = JSON.stringify({ lo: 0, hi: 1e8 });
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/primes', agent: false, headers: { 'Content-Length': Buffer.byteLength(body) } });
    const response = new Promise((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, json: JSON.parse(text) }));
      });
      req.on('error', reject);
    });
    req.write(body.slice(0, 5));
    const accepted = await waitFor((e) => e.event === 'request' && e.url === '/primes');

    server.child.kill('SIGTERM');
    await waitFor((e) => e.event === 'closing');
    await assert.rejects(request(port, 'GET', '/health'), { code: 'ECONNREFUSED' });

    req.end(body.slice(5));
    const r = await response;
    assert.equal(r.status, 200);
    assert.equal(r.json.count, 5761455);
    assert.equal(r.headers.connection, 'close');
    assert.deepEqual(await server.exited, { code: 0, signal: null });
    const done = server.events.find((e) => e.event === 'done' && e.id === accepted.id);
    assert.equal(done.shuttingDown, true);
    assert.deepEqual(server.events.slice(-1).map((e) => e.event), ['closed']);
  });

  it('Content-Length counts bytes: a reply echoing non-ASCII leaves the next reply on the same keep-alive connection intact', async (t) => {
    const server = await startServer(t, ['--threads', '1']);
    const body = Buffer.from('{"été":1}');
    const [first, second, ...more] = await sequentialOnOneSocket(server.port, [
      Buffer.concat([Buffer.from(`POST /primes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`), body]),
      Buffer.from('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    ]);
    assert.equal(first.status, 400);
    assert.equal(first.headers.connection, 'keep-alive');
    assert.equal(JSON.parse(first.body.toString('utf8')).message, 'unknown field "été": expected "lo" and "hi"');
    assert.equal(second.status, 200);
    assert.equal(JSON.parse(second.body).status, 'ok');
    assert.deepEqual(more, []);
  });

  it('--max-inflight-bytes bounds the bodies held at once: 503 + Retry-After past it, the count returns to 0 on every path', async (t) => {
    const server = await startServer(t, ['--threads', '1', '--max-body', '1000', '--max-inflight-bytes', '3000', '--retry-after', '3']);
    const { port, waitFor } = server;
    // Each upload has its own query string, to wait for its 'request' line.
    const accepted = (tag) => waitFor((e) => e.event === 'request' && e.url === `/primes?${tag}`);
    const bodyBytes = async () => (await request(port, 'GET', '/health')).json.bodyBytes;
    const body = JSON.stringify({ hi: 1e6 }).padEnd(1000, ' ');

    // Three slow uploads of 1000 bytes each reserve the whole 3000.
    const held = [];
    for (let i = 0; i < 3; i++) {
      const u = upload(port, `/primes?held=${i}`, { 'Content-Length': 1000 });
      u.req.write(body.slice(0, 10));
      await accepted(`held=${i}`);
      held.push(u);
    }
    assert.equal(await bodyBytes(), 3000);

    // A fourth is refused from its Content-Length, before its body is read...
    const sized = upload(port, '/primes', { 'Content-Length': 1000 });
    sized.req.flushHeaders();
    // ...and a chunked one (no Content-Length) once its first bytes arrive.
    const chunked = upload(port, '/primes');
    chunked.req.write(body.slice(0, 10));
    for (const r of [await sized.response, await chunked.response]) {
      assert.equal(r.status, 503);
      assert.equal(r.headers['retry-after'], '3');
      assert.equal(r.headers.connection, 'close');
      assert.match(r.json.message, /request bodies in flight/);
    }
    assert.equal(await bodyBytes(), 3000, 'the refused ones reserved nothing');

    // The held ones complete; their reservations are released.
    for (const u of held) u.req.end(body.slice(10));
    for (const u of held) {
      const r = await u.response;
      assert.equal(r.status, 200);
      assert.equal(r.json.count, 78498);
    }
    assert.equal(await bodyBytes(), 0);

    // New ones are accepted again, sized or chunked.
    assert.equal((await post(port, '/primes', body)).json.count, 78498);
    const later = upload(port, '/primes');
    later.req.end(body);
    assert.equal((await later.response).json.count, 78498);
    // A 400 releases too.
    assert.equal((await post(port, '/primes', '{"hi": 1e6,'.padEnd(1000, ' '))).status, 400);
    assert.equal(await bodyBytes(), 0);

    // A client that hangs up mid-body releases its reservation.
    const gone = upload(port, '/primes?gone', { 'Content-Length': 1000 });
    gone.req.write(body.slice(0, 10));
    const { id } = await accepted('gone');
    assert.equal(await bodyBytes(), 1000);
    gone.req.destroy();
    // A cut-off body, not an internal error (Node reports it as req 'error' "aborted").
    const rejected = await waitFor((e) => e.event === 'rejected' && e.id === id);
    assert.deepEqual([rejected.status, rejected.message], [400, 'the request body was cut off']);
    assert.doesNotMatch(server.stderr(), /aborted/);
    assert.equal(await bodyBytes(), 0);

    server.child.kill('SIGTERM');
    assert.equal((await server.exited).code, 0);
  });

  it('--max-inflight-bytes below --max-body is a usage error', async () => {
    const r = await run(['examples/server', '--port', '0', '--max-body', '1000', '--max-inflight-bytes', '999']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--max-inflight-bytes: expected an integer >= --max-body \(1000\)/);
  });

  it('SIGTERM during warm-up: never listens, closes the pool, exits 0', async (t) => {
    // The signal is sent as soon as the 'warming' line is read. Warm-up
    // (starting 4 workers, compiling the wasm, counting primes below 2^27:
    // 165-235 ms on the 2-core VM) takes far longer than that round trip;
    // should it ever lose, the 'listening' line fails the test at once.
    const server = spawnServer(t, ['--threads', '4']);
    const first = await server.waitFor((e) => e.event === 'warming' || e.event === 'listening');
    assert.equal(first.event, 'warming');
    server.child.kill('SIGTERM');
    assert.deepEqual(await server.exited, { code: 0, signal: null });
    assert.deepEqual(server.events.map((e) => e.event), ['warming', 'closing', 'closed']);
  });

  it('--headers-timeout, --request-timeout, --keep-alive-timeout: stalled or idle clients are let go in time', async (t) => {
    const server = await startServer(t, ['--threads', '1', '--headers-timeout', '300', '--request-timeout', '600', '--keep-alive-timeout', '300']);
    const { port, waitFor } = server;
    const [header, body, idle] = await Promise.all([
      // Half a header, then nothing: 408 once --headers-timeout has passed.
      stallingClient(port, 'POST /primes HTTP/1.1\r\nHost: x\r\nContent-Le'),
      // The whole header and part of the body: 408 at --request-timeout.
      stallingClient(port, 'POST /primes?stalled HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"hi"'),
      // One complete keep-alive request, then idle: closed after --keep-alive-timeout.
      stallingClient(port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n'),
    ]);
    // Node looks for expired requests every min(1 s, timeouts) = 300 ms here.
    assert.match(header.data, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.ok(header.ms >= 250 && header.ms < 2000, `closed after ${header.ms} ms`);
    assert.match(body.data, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.ok(body.ms >= 550 && body.ms < 2500, `closed after ${body.ms} ms`);
    // Node closes an idle keep-alive socket 1 s after --keep-alive-timeout
    // (a margin past the Keep-Alive: timeout it advertises): ~1.3 s here.
    assert.match(idle.data, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(idle.ms >= 250 && idle.ms < 2500, `closed after ${idle.ms} ms`);

    // The stalled upload's handler saw a cut-off body and released its reservation.
    const { id } = await waitFor((e) => e.event === 'request' && e.url === '/primes?stalled');
    await waitFor((e) => e.event === 'rejected' && e.id === id);
    assert.equal((await request(port, 'GET', '/health')).json.bodyBytes, 0);
    server.child.kill('SIGTERM');
    assert.equal((await server.exited).code, 0);
  });

  it('--headers-timeout above --request-timeout is a usage error', async () => {
    const r = await run(['examples/server', '--port', '0', '--headers-timeout', '2000', '--request-timeout', '1000']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--headers-timeout: expected at most --request-timeout \(1000\)/);
  });

  it('load.js: /health latency with the pool and inline (structure only)', async () => {
    const { json, stderr } = await runJson(['examples/server/load.js', '--duration', '300', '--hi', '2e7', '--clients', '1', '--interval', '5']);
    for (const mode of ['pool', 'inline']) {
      const r = json[mode];
      assert.equal(r.mode, mode);
      assert.equal(r.errors, 0);
      assert.equal(r.serverExitCode, 0);
      assert.ok(r.health.count >= 1 && r.heavy.count >= 1);
      for (const k of ['p50', 'p99', 'max']) assert.equal(typeof r.health[k], 'number');
    }
    assert.match(stderr, /\/health p99 ms/);
  });
});
