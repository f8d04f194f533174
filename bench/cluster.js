'use strict';
// The cluster section: what a Cluster costs against the local Pool on the
// same cores, and whether a worker killed with SIGKILL loses or doubles a
// chunk. It starts a private Redis on loopback (scripts/redis.js; the
// section is skipped with a note when no redis-server can be had) and
// `sabre worker` processes on this machine (examples/cluster-primes/workers.js,
// one pool thread each), then measures, interleaved round after round:
//
//   compute    countPrimes over 8 cluster chunks of 64 pool chunks (~10^9
//              numbers, >= 100 ms of sieving each on one thread): a Cluster
//              on 1 worker process against a Pool of 1 thread, and on 2
//              worker processes against a Pool of 2 threads
//   overhead   the same 64 pool chunks as one cluster chunk and as 64 (on
//              1 worker): (fine - coarse) / 63 is the cost of one more
//              cluster chunk (a job taken, its inputs checked, its result
//              frame written, its events read), coarse - pool×1 the call's
//              own (a flow added, the parent job, the result read); and
//              the same for a sum over a Float64Array, 2^18 elements a pool
//              chunk, so each cluster chunk also fetches its slice of it
//   bytes      what Redis received and sent (INFO stats: total_net_input_bytes,
//              total_net_output_bytes) during one call: countPrimes (no
//              arrays: job JSON and BullMQ's own traffic), sum over a
//              Float64Array (read-only input: written once, each slice read
//              once, by the worker whose job it is) and an in-place scale of a Float32Array (its elements
//              come back as result frames), beside the arrays' own bytes
//   sigkill    `trials` calls (default 20) on 3 workers, each with one
//              worker SIGKILLed at a random moment while it runs a chunk
//              (lock 1 s, stall check every 0.5 s) and a new one started:
//              for each chunk job, how many times BullMQ reports it
//              completed (QueueEvents), so a chunk lost (never completed, or
//              the call failed) or doubled (completed twice) is counted;
//              and whether the count is exact
//
// A benchmark, not a test: figures are reported, never asserted.
//
//   node bench/cluster.js [--quick] [--trials N] [--out DIR]
//
// prints the section and saves latest-cluster.json in DIR (default
// bench/results); bench/run.js runs it as a section (--no-cluster or
// SABRE_BENCH_NO_CLUSTER=1 skips it there).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const sabre = require('sabre');
const { startRedis } = require('../scripts/redis');
const { startWorkers, stopWorkers, killWorker } = require('../examples/cluster-primes/workers');
const { median, spread } = require('./measure');

const POOL_CHUNK = 2 ** 24; // countPrimes' grain: numbers per pool chunk
const JOB_CHUNKS = 64; // pool chunks per cluster chunk: ~10^9 numbers
const LOCK = { lockDuration: 1000, stalledInterval: 500 };

/** Mulberry32: seeded floats in [0, 1), so the kill moments repeat run to run. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Redis's own byte counters (and commands processed), from INFO stats. */
async function netCounters(client) {
  const info = await client.info('stats');
  const get = (k) => Number(new RegExp(`^${k}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
  return { in: get('total_net_input_bytes'), out: get('total_net_output_bytes'), commands: get('total_commands_processed') };
}

/** Runs `modes` (name -> async fn) round after round in alternating order; median ms of each. */
async function interleaved(modes, { warmup, reps }) {
  const names = Object.keys(modes);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  const values = {};
  for (let r = 0; r < warmup + reps; r++) {
    const order = r % 2 ? [...names].reverse() : names;
    for (const n of order) {
      const t0 = performance.now();
      values[n] = await modes[n]();
      if (r >= warmup) times[n].push(performance.now() - t0);
    }
  }
  return Object.fromEntries(
    names.map((n) => {
      const med = median(times[n]);
      return [n, { ms: med, min: Math.min(...times[n]), max: Math.max(...times[n]), spread: spread(times[n], med), runs: times[n].length, value: values[n] }];
    }),
  );
}

/** The cluster section. Returns its figures, or `{ skipped }` with the reason. */
async function clusterBench({ quick = false, trials = quick ? 3 : 20, log = () => {} } = {}) {
  const t0 = performance.now();
  const redis = await startRedis();
  if (redis.skip) return { skipped: `no redis-server: ${redis.skip}` };
  const IORedis = require('ioredis');
  const { QueueEvents } = require('bullmq');
  const client = new IORedis(redis.url);
  const workers = { one: [], two: [], soak: [] };
  const clusters = [];
  const pools = [];
  const cluster = (queue, jobChunks) => {
    const c = new sabre.Cluster({ connection: redis.url, queue, jobChunks });
    clusters.push(c);
    return c;
  };
  const pool = (threads) => {
    const p = new sabre.Pool({ threads });
    pools.push(p);
    return p;
  };
  let events = null;
  try {
    // One worker on queue "one", two on "two", three on "soak"; all wait
    // idle (blocked on Redis) while the others work.
    [workers.one, workers.two, workers.soak] = await Promise.all([
      startWorkers(redis.url, { count: 1, threads: 1, queue: 'one', ...LOCK }),
      startWorkers(redis.url, { count: 2, threads: 1, queue: 'two', ...LOCK }),
      startWorkers(redis.url, { count: 3, threads: 1, queue: 'soak', ...LOCK }),
    ]);
    log(`  cluster: redis-server on ${redis.url}, 6 worker processes started (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    const reps = quick ? { warmup: 1, reps: 1 } : { warmup: 1, reps: 3 };
    const pool1 = pool(1);
    const pool2 = pool(2);

    // Compute-bound: whole cluster chunks of >= 100 ms each.
    const jobs = quick ? 2 : 8;
    const hi = jobs * JOB_CHUNKS * POOL_CHUNK;
    const c1 = cluster('one', JOB_CHUNKS);
    const c2 = cluster('two', JOB_CHUNKS);
    log(`  cluster: compute, countPrimes(0, ${hi.toExponential(2)}) in ${jobs} cluster chunks ...`);
    const compute = await interleaved(
      {
        'pool:1': () => pool1.kernels.countPrimes(0, hi),
        'cluster:1': () => c1.kernels.countPrimes(0, hi),
        'pool:2': () => pool2.kernels.countPrimes(0, hi),
        'cluster:2': () => c2.kernels.countPrimes(0, hi),
      },
      reps,
    );
    const expected = compute['pool:1'].value;
    const computeSame = Object.values(compute).every((m) => m.value === expected);

    // Per-chunk overhead: one call's 64 pool chunks as 1 cluster chunk and as 64.
    const fineChunks = quick ? 16 : 64;
    const hiOver = fineChunks * POOL_CHUNK;
    const coarse = cluster('one', fineChunks);
    const fine = cluster('one', 1);
    log(`  cluster: overhead, countPrimes(0, ${hiOver.toExponential(2)}) as 1 and as ${fineChunks} cluster chunks ...`);
    const over = await interleaved(
      {
        'pool:1': () => pool1.kernels.countPrimes(0, hiOver),
        'cluster:1 coarse': () => coarse.kernels.countPrimes(0, hiOver),
        'cluster:1 fine': () => fine.kernels.countPrimes(0, hiOver),
      },
      { warmup: 1, reps: quick ? 1 : 3 },
    );
    const overhead = {
      poolChunks: fineChunks,
      modes: over,
      perChunkMs: (over['cluster:1 fine'].ms - over['cluster:1 coarse'].ms) / (fineChunks - 1),
      perChunkVsPoolMs: (over['cluster:1 fine'].ms - over['pool:1'].ms) / fineChunks,
      perCallMs: over['cluster:1 coarse'].ms - over['pool:1'].ms,
    };

    // Bytes through Redis, one call each on the two workers.
    const n = quick ? 2 ** 20 : 2 ** 22;
    const x = sabre.shared.float64(n).fill(0.5);

    // The same with an array: sum's 2^18-element pool chunks of x as one
    // cluster chunk and as one each (each job fetches its own slice).
    const sumChunks = n / 2 ** 18;
    const coarseSum = cluster('one', sumChunks);
    log(`  cluster: overhead with an array, sum of ${n.toLocaleString('en')} f64 as 1 and as ${sumChunks} cluster chunks ...`);
    const overSum = await interleaved(
      {
        'pool:1': () => pool1.kernels.sum(x),
        'cluster:1 coarse': () => coarseSum.kernels.sum(x),
        'cluster:1 fine': () => fine.kernels.sum(x),
      },
      { warmup: 1, reps: quick ? 1 : 5 },
    );
    overhead.withArray = {
      poolChunks: sumChunks,
      arrayBytes: x.byteLength,
      modes: overSum,
      perChunkMs: (overSum['cluster:1 fine'].ms - overSum['cluster:1 coarse'].ms) / (sumChunks - 1),
      perCallMs: overSum['cluster:1 coarse'].ms - overSum['pool:1'].ms,
    };
    const f = sabre.shared.float32(2 * n).fill(1);
    // 4 cluster chunks (sum's and scale's pool chunks are 2^18 elements), so both workers read the input.
    const twoData = cluster('two', quick ? 1 : 4);
    const bytes = [];
    // What Redis moves while nobody calls (idle workers' blocking reads and
    // stall checks, the clients' event streams, INFO itself), per ms: taken
    // off each call's figures.
    const idleMs = quick ? 500 : 2000;
    const idle0 = await netCounters(client);
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    const idle1 = await netCounters(client);
    const background = { inPerMs: (idle1.in - idle0.in) / idleMs, outPerMs: (idle1.out - idle0.out) / idleMs, commandsPerMs: (idle1.commands - idle0.commands) / idleMs };
    const measureBytes = async (what, arrayBytes, fn, poolFn) => {
      await fn(); // warm-up
      const before = await netCounters(client);
      const t = performance.now();
      await fn();
      const ms = performance.now() - t;
      const after = await netCounters(client);
      const tp = performance.now();
      await poolFn();
      const poolMs = performance.now() - tp;
      const net = (k, perMs) => Math.max(0, Math.round(after[k] - before[k] - perMs * ms));
      bytes.push({ what, arrayBytes, inBytes: net('in', background.inPerMs), outBytes: net('out', background.outPerMs), commands: net('commands', background.commandsPerMs), ms, poolMs });
    };
    log(`  cluster: bytes through Redis (countPrimes, sum of ${n.toLocaleString('en')} f64, scale of ${(2 * n).toLocaleString('en')} f32) ...`);
    await measureBytes(`countPrimes(0, ${hi.toExponential(2)})`, 0, () => c2.kernels.countPrimes(0, hi), () => pool2.kernels.countPrimes(0, hi));
    await measureBytes(`sum(float64 × ${n.toLocaleString('en')})`, x.byteLength, () => twoData.kernels.sum(x), () => pool2.kernels.sum(x));
    await measureBytes(`scale(float32 × ${(2 * n).toLocaleString('en')}), in place`, f.byteLength, () => twoData.kernels.scale(f, 1), () => pool2.kernels.scale(f, 1));

    // SIGKILL trials on queue "soak".
    events = new QueueEvents('soak', { connection: { url: redis.url } });
    await events.waitUntilReady();
    const completions = new Map(); // job id -> times BullMQ reported it completed
    const failures = new Map();
    events.on('completed', ({ jobId }) => completions.set(jobId, (completions.get(jobId) ?? 0) + 1));
    events.on('failed', ({ jobId }) => failures.set(jobId, (failures.get(jobId) ?? 0) + 1));
    const soakChunks = 32; // ~55 ms cluster chunks: a kill lands mid-chunk
    const soakJobs = 8;
    const hiSoak = soakJobs * soakChunks * POOL_CHUNK;
    const soakExpected = await pool2.kernels.countPrimes(0, hiSoak);
    const cs = cluster('soak', soakChunks);
    const random = mulberry32(20261201);
    const runs = [];
    // Another worker taking the killed one's chunk: the rerun.
    let current = null;
    const watch = (w) => {
      w.on('line', (line) => {
        if (current?.killed && !w.killed && line === `active ${current.killed.job}`) current.rerun = true;
      });
      return w;
    };
    workers.soak.forEach(watch);
    log(`  cluster: ${trials} SIGKILL trials, countPrimes(0, ${hiSoak.toExponential(2)}) in ${soakJobs} cluster chunks on 3 workers ...`);
    for (let trial = 0; trial < trials; trial++) {
      const r = { trial, ok: false, count: null, error: null, killed: null, lost: 0, doubled: 0, rerun: false, ms: 0 };
      current = r;
      const delay = 20 + random() * 200;
      let replacement = null;
      const start = performance.now();
      let settled = false;
      const timer = (async () => {
        await new Promise((resolve) => setTimeout(resolve, delay));
        // A worker running a chunk (one of those that do, at random), once one does.
        while (!settled) {
          const busy = workers.soak.filter((w) => w.current !== null && !w.killed);
          const victim = busy[Math.floor(random() * busy.length)];
          if (victim) {
            r.killed = { pid: victim.pid, job: victim.current, afterMs: Math.round(performance.now() - start) };
            killWorker(victim);
            replacement = startWorkers(redis.url, { count: 1, threads: 1, queue: 'soak', ...LOCK }).then(([w]) => watch(w));
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      let callId = null;
      try {
        r.count = await cs.kernels.countPrimes(0, hiSoak, { timeout: 30_000 });
        r.ok = r.count === soakExpected;
      } catch (err) {
        r.error = `${err.name}: ${err.message}`;
      }
      settled = true;
      r.ms = Math.round(performance.now() - start);
      await timer;
      if (replacement) workers.soak = workers.soak.filter((x) => !x.killed).concat(await replacement);
      // The parent's completed event follows its children's in the stream:
      // once it is read, every child's is.
      const deadline = performance.now() + 3000;
      while (performance.now() < deadline) {
        callId = [...completions.keys(), ...failures.keys()].find((id) => !id.includes('-'));
        if (callId) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      for (let i = 0; i < soakJobs; i++) {
        const times = callId ? completions.get(`${callId}-${i}`) ?? 0 : 0;
        if (times === 0) r.lost++;
        if (times > 1) r.doubled += times - 1;
      }
      if (!r.ok) r.lost = Math.max(r.lost, 1);
      completions.clear();
      failures.clear();
      runs.push(r);
      log(`    trial ${trial + 1}/${trials}: ${r.ok ? 'exact' : `WRONG (${r.error ?? r.count})`}, ${r.killed ? `killed ${r.killed.job.split('-')[1] ?? ''} at ${r.killed.afterMs} ms${r.rerun ? ', rerun' : ''}` : 'no kill'}, lost ${r.lost}, doubled ${r.doubled}, ${r.ms} ms`);
    }
    const sigkill = {
      trials,
      cluster: { jobs: soakJobs, poolChunksPerJob: soakChunks, workers: 3, ...LOCK },
      killedMidChunk: runs.filter((r) => r.killed).length,
      rerun: runs.filter((r) => r.rerun).length,
      exact: runs.filter((r) => r.ok).length,
      chunksLost: runs.reduce((s, r) => s + r.lost, 0),
      chunksDoubled: runs.reduce((s, r) => s + r.doubled, 0),
      msMedian: median(runs.map((r) => r.ms)),
      msMax: Math.max(...runs.map((r) => r.ms)),
      runs,
    };

    for (const m of [...Object.values(compute), ...Object.values(over)]) delete m.value;
    return {
      skipped: null,
      redis: (await client.info('server')).match(/^redis_version:(.*)$/m)?.[1]?.trim() ?? null,
      compute: {
        hi,
        jobs,
        poolChunksPerJob: JOB_CHUNKS,
        sameCount: computeSame,
        modes: compute,
        vsPool: { 1: compute['cluster:1'].ms / compute['pool:1'].ms, 2: compute['cluster:2'].ms / compute['pool:2'].ms },
        scaling: compute['cluster:1'].ms / compute['cluster:2'].ms,
      },
      overhead,
      bytes: { background, calls: bytes },
      sigkill,
      durationS: (performance.now() - t0) / 1000,
    };
  } finally {
    await events?.close();
    await Promise.allSettled(clusters.map((c) => c.close()));
    await Promise.allSettled(pools.map((p) => p.close()));
    await stopWorkers([...workers.one, ...workers.two, ...workers.soak]);
    await client.quit().catch(() => client.disconnect());
    await redis.stop();
  }
}

// ---------------------------------------------------------------------------
// Alone: node bench/cluster.js [--quick] [--trials N] [--out DIR]

async function main() {
  const usage = 'usage: node bench/cluster.js [--quick] [--trials N] [--out DIR]';
  const argv = process.argv.slice(2);
  const opts = { out: path.join(__dirname, 'results') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--trials') {
      opts.trials = Number(argv[++i]);
      if (!Number.isInteger(opts.trials) || opts.trials < 1) throw new Error(`--trials needs a positive integer\n${usage}`);
    } else if (a === '--out') {
      if (argv[i + 1] === undefined) throw new Error(`--out needs a value\n${usage}`);
      opts.out = path.resolve(argv[++i]);
    } else if (a === '--help' || a === '-h') {
      console.log(usage);
      return;
    } else throw new Error(`unknown argument ${a}\n${usage}`);
  }
  const log = (m) => process.stderr.write(`${m}\n`);
  const cluster = await clusterBench({ ...opts, log });
  const meta = { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model ?? 'unknown cpu', cores: os.availableParallelism() };
  const { clusterBlock } = require('./report');
  process.stdout.write(`${clusterBlock(cluster)}\n`);
  fs.mkdirSync(opts.out, { recursive: true });
  const { toJson } = require('./json');
  fs.writeFileSync(path.join(opts.out, 'latest-cluster.json'), toJson({ meta, cluster }));
  log(`saved ${path.relative(process.cwd(), path.join(opts.out, 'latest-cluster.json'))}`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

module.exports = { clusterBench };
