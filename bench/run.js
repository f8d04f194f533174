'use strict';
// The pool benchmark: how much faster sabre is than what a Node user would do
// otherwise, and how close it gets to what the machine can do. For each
// kernel at each size it times:
//
//   js          plain JavaScript on the main thread (js-reference.js)
//   wasm        sabre.kernels.NAME: the wasm kernel, directly, on the main thread
//   pool×T      sabre's pool at T threads (1, 2, 4 .. os.availableParallelism())
//   piscina×T   piscina 5 running the same wasm kernel, split by hand (modes/piscina.js)
//   native      the same Rust kernel compiled natively, one thread (modes/native.js)
//   rayon×T     the same, with rayon over the pool's chunks
//   numpy×T     numpy/OpenBLAS on the same sizes, T BLAS threads (modes/anchors.js)
//   primesieve×T  primesieve counting the same range on T threads
//
// numpy and primesieve are the best anchors a user could pick instead of
// sabre; they run interleaved with pool×T and piscina×T, rep by rep, and the
// report gives sabre's distance from the best of them.
//
// and for each: the median and spread of repeated runs after warm-up, the
// event-loop delay of the main thread meanwhile, and peak RSS. Compared modes
// run interleaved (js with wasm, pool×T with piscina×T; measure.js). Then the
// dispatch micro-benchmark (dispatch.js), the copy cost (copy-cost.js) and
// the soak (soak.js: does memory stay flat over many mixed calls?) and the
// cluster section (cluster.js: a Cluster on worker processes and a loopback
// Redis against the pool on the same cores, and SIGKILL trials).
// Prints progress to stderr, tables grouped by kernel to stdout; saves JSON
// and an SVG chart in bench/results/. A program, never a test: nothing here
// is asserted (test-node/bench.test.js only checks that it runs).
//
//   node bench/run.js [--quick] [--kernel a,b] [--sizes small,medium,large]
//                     [--threads 1,2] [--no-native] [--no-dispatch]
//                     [--no-soak] [--soak-calls N] [--soak-lanes N] [--no-anchors]
//                     [--no-cluster] [--cluster-trials N] [--out DIR]
//
// --quick: the small size only (countPrimes a little larger), threads 1 and
// all, 3 runs after 1 warm-up, short dispatch and copy-cost parts, a soak of
// 5,000 calls (else 100,000); well under a minute once bench/native is
// built. --no-dispatch skips the dispatch and copy-cost parts, --no-soak the
// soak; --soak-calls and --soak-lanes size it (default 32 lanes, on the
// largest thread count). --no-cluster (or SABRE_BENCH_NO_CLUSTER=1) skips
// the cluster section (about a minute; --quick: ~10 s, 3 SIGKILL trials
// instead of --cluster-trials, default 20); without a redis-server it is
// skipped with a note. --out: where the JSON and SVG go (default
// bench/results).
// Full runs write <date>.json, latest.json and latest.svg; quick runs
// latest-quick.json and latest-quick.svg (not committed). --from FILE.json
// prints the tables of a saved run again and rewrites FILE.svg.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { sabre, cases } = require('./cases');
const js = require('./js-reference');
const { kernels: specs } = require(path.join(__dirname, '..', 'dist', 'kernels'));
const { measureModes, idleEventLoop, median, spread, FULL, QUICK } = require('./measure');
const { PiscinaMode } = require('./modes/piscina');
const native = require('./modes/native');
const anchors = require('./modes/anchors');
const { dispatchBench } = require('./dispatch');
const { copyCostBench } = require('./copy-cost');
const { measureBandwidth } = require('./bandwidth');
const { measureSimdPeak } = require('./simd-peak');
const { soakBench } = require('./soak');
const { clusterBench } = require('./cluster');
const { derive, goals } = require('./analyse');
const { Calibrator } = require('./calibrate');
const report = require('./report');
const { chart } = require('./svg');
const { toJson } = require('./json');

const SIZES = ['small', 'medium', 'large'];

/** 1, 2, 4, ... below `max`, then `max`. */
function threadCounts(max) {
  const out = [];
  for (let t = 1; t < max; t *= 2) out.push(t);
  out.push(max);
  return out;
}

function parseArgs(argv) {
  const usage =
    'usage: node bench/run.js [--quick] [--kernel a,b] [--sizes small,medium,large] [--threads 1,2] [--no-native] [--no-dispatch] [--no-soak] [--soak-calls N] [--soak-lanes N] [--no-anchors] [--no-cluster] [--cluster-trials N] [--out DIR] | --from FILE.json';
  const opts = {
    quick: false,
    kernels: null,
    sizes: null,
    threads: null,
    native: true,
    anchors: true,
    dispatch: true,
    soak: true,
    soakCalls: null,
    soakLanes: 32,
    cluster: !process.env.SABRE_BENCH_NO_CLUSTER,
    clusterTrials: null,
    out: path.join(__dirname, 'results'),
    from: null,
  };
  const count = (i) => {
    const v = Number(argv[i]);
    if (!Number.isInteger(v) || v < 1) throw new Error(`${argv[i - 1]} needs a positive integer\n${usage}`);
    return v;
  };
  const list = (i) => {
    if (argv[i] === undefined) throw new Error(`${argv[i - 1]} needs a value\n${usage}`);
    return argv[i].split(',').filter(Boolean);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--kernel' || a === '--kernels') opts.kernels = list(++i);
    else if (a === '--sizes') opts.sizes = list(++i);
    else if (a === '--threads') opts.threads = list(++i).map(Number);
    else if (a === '--no-native') opts.native = false;
    else if (a === '--no-anchors') opts.anchors = false;
    else if (a === '--no-dispatch') opts.dispatch = false;
    else if (a === '--no-soak') opts.soak = false;
    else if (a === '--soak-calls') opts.soakCalls = count(++i);
    else if (a === '--soak-lanes') opts.soakLanes = count(++i);
    else if (a === '--no-cluster') opts.cluster = false;
    else if (a === '--cluster-trials') opts.clusterTrials = count(++i);
    else if (a === '--out') opts.out = path.resolve(list(++i).join(','));
    else if (a === '--from') opts.from = path.resolve(list(++i).join(','));
    else if (a === '--help' || a === '-h') {
      console.log(usage);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${usage}`);
  }
  const publicKernels = Object.keys(sabre.kernels);
  const missing = publicKernels.filter((k) => !cases[k] || !js[k]);
  if (missing.length) {
    // A kernel without a benchmark entry is a gap to fill, not a crash.
    process.stderr.write(`note: no benchmark entry (cases.js + js-reference.js) for: ${missing.join(', ')}\n`);
  }
  opts.kernels ??= publicKernels.filter((k) => cases[k] && js[k]);
  for (const k of opts.kernels) {
    if (!cases[k] || !js[k] || !sabre.kernels[k]) throw new Error(`unknown kernel ${k}; known: ${Object.keys(cases).join(', ')}`);
  }
  opts.sizes ??= opts.quick ? ['small'] : SIZES;
  opts.soakCalls ??= opts.quick ? 5000 : 100_000;
  opts.clusterTrials ??= opts.quick ? 3 : 20;
  for (const s of opts.sizes) if (!SIZES.includes(s)) throw new Error(`unknown size ${s}; use ${SIZES.join(',')}`);
  const max = os.availableParallelism();
  opts.threads ??= opts.quick ? [...new Set([1, max])] : threadCounts(max);
  for (const t of opts.threads) if (!Number.isInteger(t) || t < 1) throw new Error(`--threads: ${t} is not a positive integer`);
  return opts;
}

/** The compared value of a result: numbers, typed arrays and plain objects of numbers. */
function values(r) {
  if (typeof r === 'number') return [r];
  if (ArrayBuffer.isView(r)) return r;
  if (r && typeof r === 'object') return Object.values(r).filter((v) => typeof v === 'number');
  return [];
}

/**
 * Does the plain-JS reference compute what sabre computes? Both run on fresh
 * copies of the same arguments. Floats agree to rounding (sabre rounds each
 * f32 operation, compensates sums in 8 lanes ...): the largest difference
 * relative to the largest magnitude. Bytes may differ by 1 (the blur's taps
 * are rounded by a simpler rule in the JS version).
 */
function agreement(kernel, n) {
  const c = cases[kernel];
  const a = values(js[kernel](...c.args(n)));
  const b = values(sabre.kernels[kernel](...c.args(n)));
  if (a.length !== b.length) return { agrees: false, detail: `lengths ${a.length} vs ${b.length}` };
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  const bytes = b instanceof Uint8Array || b instanceof Uint8ClampedArray;
  const rel = scale === 0 ? diff : diff / scale;
  return { agrees: bytes ? diff <= 1 : rel <= 1e-4, maxDiff: diff, maxRelDiff: rel };
}

/** --from: the tables and the chart again from a saved JSON (goals re-evaluated), without measuring. */
function rerender(file) {
  const out = JSON.parse(fs.readFileSync(file, 'utf8'));
  out.goals = goals(out);
  process.stdout.write(report.render(out));
  const svgFile = file.replace(/\.json$/, '.svg');
  fs.writeFileSync(svgFile, chart(out));
  process.stderr.write(`saved ${path.relative(process.cwd(), svgFile)}\n`);
}

/** The anchors this run can use: a numpy process, primesieve; notes for the others. */
async function startAnchors(opts, log) {
  const meta = { numpy: null, primesieve: null };
  if (!opts.anchors) return { meta: { note: 'anchors skipped (--no-anchors)' } };
  const out = { meta };
  if (opts.kernels.some((k) => anchors.NUMPY.has(k))) {
    const v = anchors.ensureVenv(log);
    if (v.available) {
      out.numpy = new anchors.NumpyAnchor();
      meta.numpy = { ...(await out.numpy.info()), openblasThreadTimeout: out.numpy.threadTimeout };
      log(`numpy anchor: numpy ${meta.numpy.numpy}, ${meta.numpy.blas.map((b) => `${b.internal_api} ${b.version} ${b.architecture}`).join(', ') || 'no BLAS'}, OPENBLAS_THREAD_TIMEOUT ${out.numpy.threadTimeout}`);
    } else {
      meta.numpy = { note: v.note };
      log(`note: ${v.note}`);
    }
  }
  if (opts.kernels.includes('countPrimes')) {
    meta.primesieve = anchors.primesieveAvailable();
    if (!meta.primesieve.available) log(`note: ${meta.primesieve.note}`);
  }
  return out;
}

/** The anchor modes of one kernel at one size and thread count (none if it has no anchor). */
async function anchorModes(info, kernel, row, threads, log) {
  try {
    if (info.numpy && anchors.NUMPY.has(kernel)) {
      await info.numpy.setup(kernel, anchors.numpySize(kernel, row.args), threads);
      return { [`numpy:${threads}`]: () => info.numpy.run() };
    }
    if (kernel === 'countPrimes' && info.meta.primesieve?.available) {
      const [lo, hi] = row.args;
      return { [`primesieve:${threads}`]: () => anchors.primesieveCount(lo, hi, threads) };
    }
  } catch (err) {
    log(`  anchor for ${kernel}: ${err.message}`);
  }
  return {};
}

async function main() {
  const t0 = performance.now();
  const opts = parseArgs(process.argv.slice(2));
  if (opts.from) return rerender(opts.from);
  const reps = opts.quick ? QUICK : FULL;
  const maxThreads = Math.max(...opts.threads);
  const log = (m) => process.stderr.write(`${m}\n`);
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  log(`sabre bench: ${cpu}, ${os.availableParallelism()} cores, threads ${opts.threads.join(',')}, Node ${process.version}${opts.quick ? ' (quick)' : ''}`);
  log(`kernels: ${opts.kernels.join(', ')}; sizes: ${opts.sizes.join(', ')}`);

  const nat = opts.native ? native.build(log) : { available: false, note: 'native figures skipped (--no-native)' };
  if (!nat.available) log(`note: ${nat.note}`);
  const anchorInfo = await startAnchors(opts, log);
  const idle = await idleEventLoop();
  const calibrator = maxThreads > 1 ? new Calibrator(maxThreads) : null;
  const freeCores = async () => (calibrator ? Number((await calibrator.measure()).toFixed(2)) : 1);
  const freeAtStart = await freeCores();
  log(`free cores now: ${freeAtStart} of ${maxThreads}`);
  const bandwidth = await measureBandwidth(reps);
  log(`memory bandwidth (copy, read + write): ${bandwidth.gbPerS.toFixed(1)} GB/s`);
  // The compute ceiling of wasm SIMD, for the GFLOP/s kernels (matmul).
  const simdPeak = opts.kernels.some((k) => cases[k].flops) ? await measureSimdPeak(opts.threads, { relaxedSimd: sabre.features.relaxedSimd }) : null;
  if (simdPeak) log(`wasm SIMD peak: exact ${simdPeak.exact[1].toFixed(1)}${simdPeak.fused ? `, fused ${simdPeak.fused[1].toFixed(1)}` : ''} GFLOP/s on one thread`);

  const results = [];
  const total = opts.kernels.length * opts.sizes.length;
  let done = 0;
  for (const kernel of opts.kernels) {
    const c = cases[kernel];
    const spec = specs[kernel];
    const rows = opts.sizes.map((size) => {
      const n = opts.quick && size === 'small' ? c.quick ?? c.sizes.small : c.sizes[size];
      const row = { kernel, size, n, unit: c.unit ?? 'elements', what: c.what, bound: c.bound, modes: {}, args: c.args(n) };
      if (c.reset) row.reset = () => c.reset(row.args);
      if (c.flops) row.flops = c.flops(n);
      // The bandwidth floor: the bytes it must move at this machine's copy speed.
      if (c.bound === 'memory' && spec.traffic) row.floorMs = (spec.traffic(spec.prepare(row.args, false)) / (bandwidth.gbPerS * 1e9)) * 1000;
      // A declared kernel also runs on the same values in sabre.shared
      // (zero copy: js/declare.js); its own arguments take the copy path.
      if (spec.contract?.slots) row.zcArgs = row.args.slice(0, spec.params.length).map((a) => (ArrayBuffer.isView(a) ? sabre.shared.from(a) : a));
      return row;
    });
    // The fused mode, interleaved with the exact one (same arrays, same reps).
    const fused = c.fused && sabre.features.relaxedSimd;
    if (c.fused && !fused) log(`note: ${kernel}'s fused mode not measured: no relaxed SIMD on Node ${process.version} (Node 20 needs --experimental-wasm-relaxed-simd)`);
    rows[0].reference = agreement(kernel, Math.min(rows[0].n, c.sizes.small));
    if (!rows[0].reference.agrees) log(`WARNING: plain-JS ${kernel} disagrees with sabre: ${JSON.stringify(rows[0].reference)}`);

    // Inline modes and native, size by size.
    for (const row of rows) {
      const step = `[${++done}/${total}] ${kernel} ${row.size} (${row.n.toLocaleString('en')} ${row.unit})`;
      log(`${step}: js, wasm${nat.available ? ', native' : ''} ... (${elapsed()})`);
      Object.assign(
        row.modes,
        await measureModes(
          {
            js: () => js[kernel](...row.args),
            wasm: () => sabre.kernels[kernel](...row.args),
            ...(row.zcArgs && { 'wasm-zc': () => sabre.kernels[kernel](...row.zcArgs) }),
            ...(fused && { 'wasm-fused': () => sabre.kernels[kernel](...row.args, { fused: true }) }),
          },
          reps,
          row.reset,
        ),
      );
      if (nat.available && c.native) {
        const call = spec.prepare(row.args, false);
        const r = native.run(kernel, spec.units(call), spec.grain(call), opts.threads, c.native(row.n, call), reps);
        if (r.error) {
          row.nativeNote = r.error;
          log(`  native: ${r.error}`);
        } else {
          for (const run of r.runs) {
            const med = median(run.ms);
            row.modes[run.mode === 'serial' ? 'native' : `rayon:${run.threads}`] = {
              ms: med, min: Math.min(...run.ms), max: Math.max(...run.ms), spread: spread(run.ms, med), runs: run.ms.length, times: run.ms,
            };
          }
          if (c.check) {
            const value = (typeof c.check === 'function' ? c.check : (v) => v)(sabre.kernels[kernel](...c.args(row.n)));
            row.nativeCheck = { wasm: value, native: r.check, agrees: Math.abs(value - r.check) <= 1e-9 * Math.max(1, Math.abs(value)) };
            if (!row.nativeCheck.agrees) log(`  WARNING: native ${kernel} gives ${r.check}, wasm ${value}`);
          }
        }
      }
    }

    // Threaded modes: one sabre pool and one piscina per thread count, for
    // all sizes; the machine's free cores measured before and after.
    const before = await freeCores();
    for (const t of opts.threads) {
      log(`  ${kernel}: pool×${t}, piscina×${t} ... (${elapsed()})`);
      const pool = new sabre.Pool({ threads: t });
      const pisc = new PiscinaMode(t);
      try {
        for (const row of rows) {
          const modes = { [`pool:${t}`]: () => pool.kernels[kernel](...row.args), [`piscina:${t}`]: () => pisc.call(kernel, row.args) };
          if (fused) modes[`fused:${t}`] = () => pool.kernels[kernel](...row.args, { fused: true });
          if (row.zcArgs) {
            modes[`zc:${t}`] = () => pool.kernels[kernel](...row.zcArgs);
            if (spec.inPlaceMap) modes[`zcnt:${t}`] = () => pool.kernels[kernel](...row.zcArgs, { transactional: false });
          }
          Object.assign(modes, await anchorModes(anchorInfo, kernel, row, t, log));
          Object.assign(row.modes, await measureModes(modes, reps, row.reset));
        }
      } finally {
        await Promise.all([pool.close(), pisc.close()]);
      }
    }
    const after = await freeCores();
    for (const row of rows) {
      row.freeCores = { before, after, of: maxThreads };
      delete row.args;
      delete row.reset;
      for (const a of row.zcArgs ?? []) if (sabre.shared.isAllocated(a)) sabre.shared.free(a);
      delete row.zcArgs;
      for (const m of Object.values(row.modes)) delete m.value;
      results.push(row);
      const show = ['js', 'wasm', `pool:${maxThreads}`, `piscina:${maxThreads}`, `rayon:${maxThreads}`].filter((m) => row.modes[m]);
      log(`  = ${kernel} ${row.size}: ${show.map((m) => `${m.replace(':', '×')} ${row.modes[m].ms.toPrecision(3)}`).join(', ')} ms`);
    }
  }

  const freeAtEnd = await freeCores();
  await calibrator?.close();
  anchorInfo.numpy?.close();
  let dispatch = null;
  let copy = null;
  if (opts.dispatch) {
    log(`dispatch micro-benchmark ... (${elapsed()})`);
    dispatch = await dispatchBench({ threads: maxThreads, quick: opts.quick, log });
    log(`copy cost ... (${elapsed()})`);
    copy = await copyCostBench({ threads: maxThreads, quick: opts.quick, reps, log });
  }
  let soak = null;
  if (opts.soak) {
    log(`soak: ${opts.soakCalls.toLocaleString('en')} mixed calls, ${opts.soakLanes} lanes, pool×${maxThreads} ... (${elapsed()})`);
    soak = await soakBench({ calls: opts.soakCalls, lanes: opts.soakLanes, threads: maxThreads, quick: opts.quick, log });
    log(`  soak: ${soak.verdict.flat === null ? 'not judged' : soak.verdict.flat ? 'flat' : 'NOT flat'}: ${soak.verdict.why}`);
  }

  let cluster = null;
  if (opts.cluster) {
    log(`cluster: Cluster on worker processes vs the pool, ${opts.clusterTrials} SIGKILL trials ... (${elapsed()})`);
    try {
      cluster = await clusterBench({ quick: opts.quick, trials: opts.clusterTrials, log });
    } catch (err) {
      cluster = { skipped: null, error: String(err.stack ?? err) };
      log(`cluster section failed: ${cluster.error}`);
    }
    if (cluster.skipped) log(`note: cluster section skipped: ${cluster.skipped}`);
  } else cluster = { skipped: process.env.SABRE_BENCH_NO_CLUSTER ? 'SABRE_BENCH_NO_CLUSTER is set' : '--no-cluster' };

  for (const row of results) derive(row, opts.threads);
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpu,
    cores: os.availableParallelism(),
    threads: opts.threads,
    quick: opts.quick,
    sizes: opts.sizes,
    kernels: opts.kernels,
    repetitions: reps,
    native: nat,
    anchors: anchorInfo.meta,
    idleEventLoopMs: idle,
    freeCores: { start: freeAtStart, end: freeAtEnd, of: maxThreads },
    bandwidth,
    simdPeak,
    durationS: (performance.now() - t0) / 1000,
  };
  const out = { meta, results, dispatch, copy, soak, cluster };
  out.goals = goals(out);

  // Output: tables, JSON, SVG.
  process.stdout.write(report.render(out));
  fs.mkdirSync(opts.out, { recursive: true });
  const stamp = meta.date.replace(/[:.]/g, '-');
  const files = opts.quick ? ['latest-quick.json'] : [`${stamp}.json`, 'latest.json'];
  const json = toJson(out);
  for (const f of files) fs.writeFileSync(path.join(opts.out, f), json);
  const svgFile = path.join(opts.out, opts.quick ? 'latest-quick.svg' : 'latest.svg');
  fs.writeFileSync(svgFile, chart(out));
  log(`saved ${[...files, path.basename(svgFile)].map((f) => path.relative(process.cwd(), path.join(opts.out, f))).join(', ')} (${elapsed()})`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
