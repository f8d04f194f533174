'use strict';
// An HTTP compute service on a sabre pool (node:http, no framework).
//
//   node examples/server [--port 3000] [--host 127.0.0.1] [--threads N]
//                        [--max-queue 8] [--retry-after 1] [--timeout 30000]
//                        [--max-body 67108864] [--max-inflight-bytes 2*max-body]
//                        [--headers-timeout 10000] [--request-timeout 60000]
//                        [--keep-alive-timeout 5000] [--grace 10000] [--inline] [--quiet]
//
//   GET  /health   {"status":"ok",...}: answered at once, even while every core computes
//   GET  /stats    pool.stats(): per-kernel calls, run and wait percentiles, utilization
//   POST /primes   {"lo": 0, "hi": 1e9}  ->  {"lo":0,"hi":1000000000,"count":50847534,"ms":...}
//   POST /blur?width=W&height=H&sigma=S   raw RGBA bytes (W*H*4)  ->  the blurred RGBA bytes
//
// Behaviour worth copying:
//   - the work runs on the pool, so the event loop stays free for other
//     requests (--inline runs the same kernels on the main thread instead:
//     compare with load.js);
//   - when the pool's queue is full (Pool option maxQueue: pool.needsDrain,
//     QueueFullError) the answer is 503 with a Retry-After header;
//   - bad bodies (invalid JSON, missing or unknown fields, sabre's own
//     TypeError/RangeError for wrong types or out-of-range numbers) get 400
//     with a JSON message; bodies over --max-body get 413;
//   - the request bodies held at once are bounded too (--max-inflight-bytes,
//     default twice --max-body): past it the answer is 503 with Retry-After,
//     so many concurrent uploads cannot grow memory without limit;
//   - slow clients are let go: a request whose headers have not all arrived
//     within --headers-timeout ms, or whose body has not within
//     --request-timeout ms (both counted from its first byte; the
//     computation after it is bounded by --timeout), gets 408 and its
//     connection closed, instead of holding a socket and its buffers for
//     Node's defaults (60 s and 300 s, checked every 30 s); an idle
//     keep-alive connection is closed after --keep-alive-timeout ms (Node
//     adds 1 s; keep it above the idle timeout of any proxy in front, or the
//     proxy may send a request on a connection the server is closing).
//     0 disables each;
//   - a client that disconnects aborts its call (AbortSignal): its queued
//     chunks are dropped; a call running longer than --timeout gets 504 and
//     the pool replaces the stuck workers;
//   - SIGTERM/SIGINT: stop accepting connections, finish the requests already
//     accepted, await pool.close(), exit 0 (exit 1 if --grace ms pass first);
//     a signal during warm-up closes the pool and exits 0 without listening.
//
// One JSON line per event on stdout (warming, listening, request, submitted,
// done, rejected, closing, closed); --quiet keeps only
// warming/listening/closing/closed.

const http = require('node:http');
const { parseArgs } = require('node:util');
const sabre = require('sabre');

function usage(message) {
  process.stderr.write(`${message}\nusage: node examples/server [--port P] [--host H] [--threads N] [--max-queue N] [--retry-after S] [--timeout MS] [--max-body BYTES] [--max-inflight-bytes BYTES] [--headers-timeout MS] [--request-timeout MS] [--keep-alive-timeout MS] [--grace MS] [--inline] [--quiet]\n`);
  process.exit(2);
}

const { values: raw } = (() => {
  try {
    const s = (d) => ({ type: 'string', default: d });
    return parseArgs({
      options: {
        port: s('3000'),
        host: s('127.0.0.1'),
        threads: s('0'),
        'max-queue': s('8'),
        'retry-after': s('1'),
        timeout: s('30000'),
        'max-body': s(String(64 * 2 ** 20)),
        'max-inflight-bytes': s(''), // '': twice --max-body
        'headers-timeout': s('10000'),
        'request-timeout': s('60000'),
        'keep-alive-timeout': s('5000'),
        grace: s('10000'),
        inline: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    return usage(err.message);
  }
})();
const int = (name, min) => {
  const v = raw[name] === 'Infinity' ? Infinity : Number(raw[name]);
  if (!(v === Infinity || Number.isInteger(v)) || v < min) usage(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(raw[name])}`);
  return v;
};
// A timeout in ms; node:http takes 0, not Infinity, for "none".
const ms = (name) => {
  const v = int(name, 0);
  return v === Infinity ? 0 : v;
};
const config = {
  port: int('port', 0),
  host: raw.host,
  threads: int('threads', 0), // 0: os.availableParallelism()
  maxQueue: int('max-queue', 0),
  retryAfter: int('retry-after', 0),
  timeout: int('timeout', 1),
  maxBody: int('max-body', 0),
  maxInflightBytes: raw['max-inflight-bytes'] === '' ? 2 * int('max-body', 0) : int('max-inflight-bytes', 0),
  headersTimeout: ms('headers-timeout'),
  requestTimeout: ms('request-timeout'),
  keepAliveTimeout: ms('keep-alive-timeout'),
  grace: int('grace', 0),
  inline: raw.inline,
  quiet: raw.quiet,
};
// At least --max-body, or a body of the largest allowed size could never be accepted.
if (config.maxInflightBytes < config.maxBody) usage(`--max-inflight-bytes: expected an integer >= --max-body (${config.maxBody}), got ${raw['max-inflight-bytes']}`);
// The headers are part of the request: node:http refuses a longer headers timeout.
if (config.requestTimeout && config.headersTimeout > config.requestTimeout) usage(`--headers-timeout: expected at most --request-timeout (${config.requestTimeout}), got ${config.headersTimeout}`);

const log = (event, fields = {}, always = false) => {
  if (always || !config.quiet) process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
};

/** An error with the HTTP status it should be answered with. */
class HttpError extends Error {
  constructor(status, message, headers = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

const pool = config.inline ? null : new sabre.Pool({ ...(config.threads ? { threads: config.threads } : {}), maxQueue: config.maxQueue });
let shuttingDown = false;
let nextId = 1;
let inFlight = 0;
let bodyBytes = 0; // bytes of request bodies reserved by the requests in flight

/**
 * Reserves room for one request's body in the --max-inflight-bytes budget.
 * Returns `grow(n)`: raise this request's reservation to n bytes, false (and
 * nothing reserved) if that would pass the budget. The reservation lasts
 * until the response closes, whichever way it ends (sent, failed, aborted,
 * timed out, client gone): until then the body, or the arrays made from it,
 * is still in memory.
 */
function reserveBody(res) {
  let held = 0;
  let closed = false;
  res.once('close', () => {
    closed = true;
    bodyBytes -= held;
    held = 0;
  });
  return (n) => {
    if (n <= held) return true;
    if (closed || bodyBytes + (n - held) > config.maxInflightBytes) return false;
    bodyBytes += n - held;
    held = n;
    return true;
  };
}
const busyBodies = () => new HttpError(503, `busy: more than ${config.maxInflightBytes} bytes of request bodies in flight, retry later`, { 'Retry-After': String(config.retryAfter), Connection: 'close' });

function send(res, status, body, headers = {}) {
  if (res.destroyed) return; // the client is gone
  const isJson = !Buffer.isBuffer(body) && !ArrayBuffer.isView(body);
  const payload = isJson ? `${JSON.stringify(body)}\n` : body;
  // While shutting down, no connection is kept alive for another request.
  if (shuttingDown) headers.Connection = 'close';
  res.writeHead(status, {
    'Content-Type': isJson ? 'application/json' : 'application/octet-stream',
    // Bytes, not characters: a message echoing "été" is longer in UTF-8 than
    // as a string, and a short Content-Length makes the client read the rest
    // of this body as the start of the next response on the connection.
    'Content-Length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

/**
 * The request body, up to config.maxBody bytes (413 beyond), within the
 * in-flight budget (503 beyond): a declared Content-Length is reserved before
 * reading anything, a chunked body (no length up front) as its bytes arrive.
 * Refusals close the connection (Connection: close), since the rest of the
 * body is not read.
 */
function readBody(req, reserve) {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new HttpError(413, `the body is larger than ${config.maxBody} bytes`, { Connection: 'close' });
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > config.maxBody) return reject(tooLarge());
    if (!reserve(declared)) return reject(busyBodies());
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      let refusal = null;
      if (size > config.maxBody) refusal = tooLarge();
      else if (!reserve(size)) refusal = busyBodies(); // a chunked body, past the budget
      if (refusal) {
        req.removeAllListeners('data');
        reject(refusal);
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    // A client that hangs up mid-body shows up first as an 'error' ("aborted",
    // ECONNRESET), then 'close': both mean the body was cut off, not a fault here.
    const cutOff = () => reject(new HttpError(400, 'the request body was cut off'));
    req.on('error', cutOff);
    req.on('close', () => {
      if (!req.complete) cutOff();
    });
  });
}

/** POST /primes: {"lo": integer (default 0), "hi": integer}. sabre checks the numbers themselves. */
function parsePrimes(body) {
  let v;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `invalid JSON: ${err.message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, 'the body must be a JSON object {"lo": integer, "hi": integer}');
  const unknown = Object.keys(v).filter((k) => k !== 'lo' && k !== 'hi');
  if (unknown.length) throw new HttpError(400, `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}: expected "lo" and "hi"`);
  if (!('hi' in v)) throw new HttpError(400, 'missing field "hi"');
  return { lo: v.lo ?? 0, hi: v.hi };
}

/** POST /blur?width&height&sigma with W*H*4 RGBA bytes. */
function parseBlur(url, body) {
  const q = url.searchParams;
  const dims = {};
  for (const name of ['width', 'height']) {
    const v = Number(q.get(name));
    if (!q.has(name) || !Number.isInteger(v) || v < 1) throw new HttpError(400, `query parameter "${name}" must be a positive integer, got ${JSON.stringify(q.get(name))}`);
    dims[name] = v;
  }
  const { width, height } = dims;
  // Checked here, before allocating anything of that size.
  if (body.length !== 4 * width * height) throw new HttpError(400, `the body must hold width * height * 4 = ${4 * width * height} RGBA bytes, got ${body.length}`);
  const sigma = q.has('sigma') ? Number(q.get('sigma')) : 2;
  return { width, height, sigma };
}

/**
 * Runs a kernel on the pool (or inline), turning the pool's errors into HTTP
 * answers. Logs "submitted" once the call is handed over (queueSize 0: it is
 * running; otherwise it waits for a worker).
 */
async function compute(id, kernel, args, signal) {
  const route = kernel === 'countPrimes' ? 'POST /primes' : 'POST /blur';
  if (config.inline) {
    log('submitted', { id, route, queueSize: 0 });
    return sabre.kernels[kernel](...args); // blocks the event loop until done
  }
  try {
    const call = pool.kernels[kernel](...args, { signal, timeout: config.timeout });
    log('submitted', { id, route, queueSize: pool.queueSize });
    return await call;
  } catch (err) {
    if (err instanceof sabre.QueueFullError) throw new HttpError(503, 'busy: the work queue is full, retry later', { 'Retry-After': String(config.retryAfter) });
    if (err instanceof sabre.TimeoutError) throw new HttpError(504, `the computation took longer than ${config.timeout} ms`);
    if (err instanceof sabre.PoolClosedError) throw new HttpError(503, 'shutting down', { 'Retry-After': String(config.retryAfter) });
    throw err;
  }
}

async function handle(req, res, id) {
  const url = new URL(req.url, 'http://localhost');
  const route = `${req.method} ${url.pathname}`;
  if (route === 'GET /health') {
    return send(res, 200, { status: 'ok', mode: config.inline ? 'inline' : 'pool', threads: pool?.threads ?? 0, queueSize: pool?.queueSize ?? 0, inFlight, bodyBytes });
  }
  if (route === 'GET /stats') return send(res, 200, pool ? pool.stats() : { mode: 'inline' });
  if (url.pathname !== '/primes' && url.pathname !== '/blur') throw new HttpError(404, `no route ${url.pathname}`);
  if (req.method !== 'POST') throw new HttpError(405, `${url.pathname} takes POST`, { Allow: 'POST' });

  // Backpressure before reading a body that could not be queued anyway.
  if (pool?.needsDrain) throw new HttpError(503, 'busy: the work queue is full, retry later', { 'Retry-After': String(config.retryAfter) });
  const body = await readBody(req, reserveBody(res));

  // A client that hangs up aborts its call: queued chunks are dropped.
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort(new Error('client disconnected'));
  });

  const t0 = performance.now();
  let result;
  if (url.pathname === '/primes') {
    const { lo, hi } = parsePrimes(body);
    const count = await compute(id, 'countPrimes', [lo, hi], abort.signal);
    result = { lo, hi, count, ms: +(performance.now() - t0).toFixed(1) };
  } else {
    const { width, height, sigma } = parseBlur(url, body);
    const input = sabre.shared.uint8(body.length);
    input.set(body);
    const out = sabre.shared.uint8(body.length);
    await compute(id, 'gaussianBlur', [out, input, width, height, sigma], abort.signal);
    result = Buffer.from(out.buffer, out.byteOffset, out.length);
  }
  send(res, 200, result);
  log('done', { id, status: 200, ms: +(performance.now() - t0).toFixed(1), shuttingDown });
}

/** Turns a failure into an answer: HttpError as is, sabre's argument errors as 400, the rest 500. */
function fail(res, id, err) {
  let status = 500;
  let message = 'internal error';
  let headers = {};
  if (err instanceof HttpError) ({ status, message, headers } = err);
  else if (err.name === 'TypeError' || err.name === 'RangeError') {
    // sabre checks every argument before doing anything and names it.
    status = 400;
    message = err.message;
  } else if (err.name === 'AbortError') {
    log('aborted', { id, reason: 'client disconnected' });
    return;
  } else {
    process.stderr.write(`request ${id}: ${err.stack}\n`);
  }
  send(res, status, { error: http.STATUS_CODES[status], message }, headers);
  log('rejected', { id, status, message });
}

function onRequest(req, res) {
  const id = nextId++;
  inFlight++;
  res.on('close', () => inFlight--);
  log('request', { id, method: req.method, url: req.url });
  handle(req, res, id).catch((err) => fail(res, id, err));
}

const server = http.createServer(
  {
    headersTimeout: config.headersTimeout,
    requestTimeout: config.requestTimeout,
    // How often Node looks for requests past those two timeouts: its default,
    // 30 s, would let a stalled client stay up to 30 s longer.
    connectionsCheckingInterval: Math.min(1000, ...[config.headersTimeout, config.requestTimeout].filter((t) => t > 0)),
  },
  onRequest,
);
server.keepAliveTimeout = config.keepAliveTimeout;

/** The last step of a shutdown, once no request can reach the pool any more. */
async function closePool() {
  await pool?.close(); // finishes queued calls, then ends the workers
  log('closed', {}, true);
  // Nothing is left holding the event loop: the process exits with code 0.
}

function stopServer() {
  // No new connections (the listening socket is closed here, so a connect
  // is refused from now on); idle keep-alive connections are closed now,
  // busy ones when their response is sent (send() adds Connection: close).
  // The callback runs once every connection has ended.
  server.close(closePool);
  server.closeIdleConnections();
}

function shutdown(signal) {
  if (shuttingDown) return;
  shuttingDown = true;
  // Before listening (during warm-up, or while listen() resolves the
  // address) there is no server to close yet: server.close() would fail and
  // the warm-up would go on to listen. The start-up code below checks
  // shuttingDown at each step instead.
  if (server.listening) stopServer();
  log('closing', { signal, inFlight }, true);
  // Past the grace period, cut the remaining requests off and exit 1.
  setTimeout(() => {
    log('forced', { inFlight }, true);
    server.closeAllConnections();
    pool?.destroy();
    process.exit(1);
  }, config.grace).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

(async () => {
  // Start the workers and compile the wasm before taking requests, so the
  // first request does not pay for it.
  log('warming', { mode: config.inline ? 'inline' : 'pool', threads: pool?.threads ?? 0 }, true);
  if (pool) await pool.kernels.countPrimes(0, 2 ** 25 * Math.max(1, pool.threads));
  else sabre.kernels.countPrimes(0, 1000);
  if (shuttingDown) return closePool(); // a signal during warm-up: never listen
  server.listen(config.port, config.host, () => {
    if (shuttingDown) return stopServer(); // a signal while the address was being resolved
    const { port } = server.address();
    log('listening', { port, host: config.host, mode: config.inline ? 'inline' : 'pool', threads: pool?.threads ?? 0, maxQueue: pool ? config.maxQueue : null }, true);
  });
})();
