'use strict';
// The printed report: tables grouped by kernel (times per mode, then the
// derived figures), the dispatch and copy-cost tables, the soak, and the
// goals.
// Markdown pipe tables, aligned, so they read in a terminal and paste as is.

const ms = (v) => (v === undefined ? '' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
const x = (v) => (v === undefined || !Number.isFinite(v) ? '' : `${v >= 10 ? v.toFixed(1) : v.toFixed(2)}×`);
const pct = (v) => `${Math.round(100 * v)}%`;
const int = (v) => Math.round(v).toLocaleString('en');

/** A pipe table; columns whose header starts with '<' are left-aligned. */
function table(header, rows) {
  const left = header.map((h) => h.startsWith('<'));
  const head = header.map((h) => h.replace(/^</, ''));
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const cell = (c, i) => (left[i] ? String(c).padEnd(w[i]) : String(c).padStart(w[i]));
  const line = (cells) => `| ${cells.map(cell).join(' | ')} |`;
  const rule = `|${w.map((n, i) => (left[i] ? `:${'-'.repeat(n + 1)}` : `${'-'.repeat(n + 1)}:`)).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

const ZC_NAMES = { 'wasm-zc': 'wasm zero-copy', zc: 'zero-copy', zcnt: 'zero-copy nt', 'wasm-fused': 'wasm fused' };
/** A mode's name in tables: pool×2, zero-copy×2 (sabre.shared arrays), zero-copy nt×2 (transactional: false). */
const modeName = (m) => ZC_NAMES[m] ?? m.replace(/^(zc|zcnt):/, (_, k) => `${ZC_NAMES[k]}:`).replace(':', '×');

/** The faster of a row's zero-copy pool modes at `T` threads: [name, mode] or undefined. */
const bestZeroCopy = (row, T) => [`zcnt:${T}`, `zc:${T}`].map((k) => [k, row.modes[k]]).filter(([, m]) => m).sort((a, b) => a[1].ms - b[1].ms)[0];

const ANCHORS = ['numpy', 'primesieve'];

function modeOrder(threads) {
  return [
    'js',
    'wasm',
    'wasm-zc',
    'wasm-fused',
    ...threads.map((t) => `pool:${t}`),
    ...threads.map((t) => `fused:${t}`),
    ...threads.map((t) => `zc:${t}`),
    ...threads.map((t) => `zcnt:${t}`),
    ...threads.map((t) => `piscina:${t}`),
    'native',
    ...threads.map((t) => `rayon:${t}`),
    ...ANCHORS.flatMap((a) => threads.map((t) => `${a}:${t}`)),
  ];
}

/** The fastest anchor at `threads` threads of a row: [name, mode] or undefined. */
function bestAnchor(row, threads) {
  return ANCHORS.map((a) => [`${a}:${threads}`, row.modes[`${a}:${threads}`]])
    .filter(([, m]) => m && m.ms > 0)
    .sort((a, b) => a[1].ms - b[1].ms)[0];
}

function kernelBlock(rows, meta) {
  const T = Math.max(...meta.threads);
  const r0 = rows[0];
  const modes = modeOrder(meta.threads).filter((m) => rows.some((r) => r.modes[m]));
  const f = r0.freeCores;
  const free = f && f.of > 1 ? `; free cores ${f.before} before, ${f.after} after, of ${f.of}` : '';
  const out = [`### ${r0.kernel}: ${r0.what} (${r0.bound}-bound${free})`, ''];
  out.push(
    table(
      ['<size', r0.unit, ...modes.map(modeName)],
      rows.map((r) => [
        r.size,
        r.n.toLocaleString('en'),
        ...modes.map((m) => (r.modes[m] ? `${ms(r.modes[m].ms)} ±${pct(r.modes[m].spread)}` : '')),
      ]),
    ),
  );
  out.push('');
  const p = `pool:${T}`;
  out.push(
    table(
      ['<size', `pool×${T} vs JS`, 'vs wasm', 'efficiency', `vs piscina×${T}`, 'wasm/native', `pool/rayon×${T}`, `rayon eff.`, `pool×${T} vs best anchor`, `zero-copy vs pool×${T}`, `zero-copy/rayon×${T}`, 'floor ms', `best×${T}/floor`, 'loop p99 js', 'wasm', `pool×${T} p50/p99`, 'RSS MB'],
      rows.map((r) => {
        const m = r.modes;
        const anchor = bestAnchor(r, T);
        const zc = bestZeroCopy(r, T);
        return [
          r.size,
          x(m[p]?.vsJs),
          x(m[p]?.vsWasm),
          m[p]?.efficiency?.toFixed(2) ?? '',
          m[`piscina:${T}`] && m[p] ? x(m[`piscina:${T}`].ms / m[p].ms) : '',
          m.native ? x(m.wasm.ms / m.native.ms) : '',
          m[`rayon:${T}`] && m[p] ? x(m[p].ms / m[`rayon:${T}`].ms) : '',
          m[`rayon:${T}`]?.efficiency?.toFixed(2) ?? '',
          anchor && m[p] ? `${x(m[p].ms / anchor[1].ms)} (${modeName(anchor[0])})` : '',
          zc && m[p] ? `${x(m[p].ms / zc[1].ms)} (${zc[0].startsWith('zcnt') ? 'nt' : 'tx'})` : '',
          zc && m[`rayon:${T}`] ? x(zc[1].ms / m[`rayon:${T}`].ms) : '',
          r.floorMs ? ms(r.floorMs) : '',
          r.floorMs ? x(Math.min(...[m[p], zc?.[1]].filter(Boolean).map((v) => v.ms)) / r.floorMs) : '',
          ms(m.js?.eventLoopMs?.p99),
          ms(m.wasm?.eventLoopMs?.p99),
          m[p]?.eventLoopMs ? `${ms(m[p].eventLoopMs.p50)}/${ms(m[p].eventLoopMs.p99)}` : '',
          m[p] ? `${Math.round(m[p].rssMB.peak)} (+${Math.round(m[p].rssMB.growth)})` : '',
        ];
      }),
    ),
  );
  if (rows.some((r) => r.flops)) out.push('', gflopsTable(rows, meta.threads));
  if (rows.some((r) => r.flops) && meta.simdPeak) out.push('', simdPeakLine(rows.at(-1), meta));
  const notes = [];
  if (r0.reference && !r0.reference.agrees) notes.push(`plain-JS reference disagrees with sabre: ${JSON.stringify(r0.reference)}`);
  for (const r of rows) {
    if (r.nativeNote) notes.push(`native ${r.size}: ${r.nativeNote}`);
    if (r.nativeCheck && !r.nativeCheck.agrees) notes.push(`native ${r.size} result ${r.nativeCheck.native} differs from wasm ${r.nativeCheck.wasm}`);
  }
  if (notes.length) out.push('', ...notes.map((n) => `note: ${n}`));
  return out.join('\n');
}

/**
 * GFLOP/s of each mode (a kernel with `flops`, bench/cases.js), and the
 * fused mode against the exact one and against the best anchor, thread
 * count by thread count.
 */
function gflopsTable(rows, threads) {
  const modes = ['wasm', 'wasm-fused', 'native', ...threads.flatMap((t) => [`pool:${t}`, `fused:${t}`, `rayon:${t}`, `numpy:${t}`])].filter((m) => rows.some((r) => r.modes[m]));
  const gf = (r, m) => (r.modes[m] ? (r.flops / r.modes[m].ms / 1e6).toFixed(1) : '');
  const vs = (r, a, b) => (r.modes[a] && r.modes[b] ? x(r.modes[b].ms / r.modes[a].ms) : '');
  const fusedCols = threads.filter((t) => rows.some((r) => r.modes[`fused:${t}`]));
  return table(
    ['<size (GFLOP/s)', ...modes.map(modeName), ...(rows.some((r) => r.modes['wasm-fused']) ? ['fused speed-up direct'] : []), ...fusedCols.flatMap((t) => [`fused speed-up ×${t}`, `fused×${t} share of best anchor`])],
    rows.map((r) => {
      const anchorOf = (t) => bestAnchor(r, t);
      return [
        r.size,
        ...modes.map((m) => gf(r, m)),
        ...(rows.some((q) => q.modes['wasm-fused']) ? [vs(r, 'wasm-fused', 'wasm')] : []),
        ...fusedCols.flatMap((t) => {
          const a = anchorOf(t);
          return [vs(r, `fused:${t}`, `pool:${t}`), a && r.modes[`fused:${t}`] ? `${pct(a[1].ms / r.modes[`fused:${t}`].ms)} (${modeName(a[0])})` : ''];
        }),
      ];
    }),
  );
}

/**
 * The wasm SIMD ceiling (bench/simd-peak.js) against the best anchor and
 * sabre's own GFLOP/s at the largest size, at the most threads: how much of
 * the anchor wasm can reach at all, and how much of that sabre does.
 */
function simdPeakLine(row, meta) {
  const T = Math.max(...meta.threads);
  const peak = meta.simdPeak;
  const gf = (ms) => row.flops / ms / 1e6;
  const at = (p) => p?.[T] ?? p?.[1];
  const best = at(peak.fused) ?? at(peak.exact);
  const parts = [
    `wasm SIMD peak here (f32x4, ${peak.accumulators} independent chains, no memory traffic; bench/simd-peak.js): ` +
      `exact ${peak.exact[1].toFixed(1)}${peak.fused ? ` / fused ${peak.fused[1].toFixed(1)}` : ''} GFLOP/s on one thread, ` +
      `${at(peak.exact).toFixed(1)}${peak.fused ? ` / ${at(peak.fused).toFixed(1)}` : ''} on ${T}.`,
  ];
  const anchor = bestAnchor(row, T);
  if (anchor) parts.push(`At ${row.size}, no wasm kernel can reach more than ${pct(best / gf(anchor[1].ms))} of ${modeName(anchor[0])}'s ${gf(anchor[1].ms).toFixed(0)} GFLOP/s.`);
  const mine = [[`pool:${T}`, at(peak.exact)], [`fused:${T}`, at(peak.fused)]].filter(([m, p]) => row.modes[m] && p);
  // Above 100 %, the peak's measurement was disturbed (another process on a core): say so rather than print it.
  const share = (m, p) => (gf(row.modes[m].ms) > p ? 'above the measured peak (its measurement was disturbed)' : `at ${pct(gf(row.modes[m].ms) / p)} of its peak`);
  if (mine.length) parts.push(`sabre: ${mine.map(([m, p]) => `${modeName(m)} ${share(m, p)}`).join(', ')}.`);
  return parts.join(' ');
}

const SPARKS = '▁▂▃▄▅▆▇█';

/** A one-line curve of `values`, scaled from 0 (▁) to their max (█), so that noise on a flat curve stays small. */
function spark(values) {
  const max = Math.max(...values);
  return values.map((v) => SPARKS[max > 0 ? Math.min(7, Math.max(0, Math.round((v / max) * 7))) : 0]).join('');
}

/** MB to a sensible precision; `sign` adds a + to positive values. Non-numbers (NaN saved as a string) pass through. */
function mb(v, sign = false) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  const t = a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
  return sign && v > 0 ? `+${t}` : t;
}

const mib = (b) => (b / 2 ** 20 >= 10 ? (b / 2 ** 20).toFixed(0) : (b / 2 ** 20).toFixed(2));

/** The cluster section (bench/cluster.js): Cluster against Pool on the same cores, overhead, bytes, SIGKILL trials. */
function clusterBlock(c) {
  const out = ['### cluster: BullMQ on a loopback Redis, `sabre worker` processes of 1 thread each', ''];
  if (c.skipped) return [...out, `skipped: ${c.skipped}`].join('\n');
  if (c.error) return [...out, `**failed**: ${c.error}`].join('\n');
  const cp = c.compute;
  const mode = (m) => `${ms(m.ms)} ±${pct(m.spread)}`;
  out.push(
    `Compute-bound: countPrimes(0, ${cp.hi.toExponential(2)}), ${cp.jobs} cluster chunks of ${cp.poolChunksPerJob} pool chunks (redis ${c.redis}); ms, median of ${cp.modes['pool:1'].runs}:`,
    '',
    table(
      ['<on', 'pool (threads)', 'cluster (worker processes)', 'cluster / pool'],
      [1, 2].map((t) => [`${t}`, mode(cp.modes[`pool:${t}`]), mode(cp.modes[`cluster:${t}`]), x(cp.vsPool[t])]),
    ),
    '',
    `cluster 2 workers over 1: ${x(cp.scaling)}; every mode counted the same: ${cp.sameCount ? 'yes' : '**NO**'}.`,
    '',
  );
  const o = c.overhead;
  out.push(
    `Overhead: countPrimes over ${o.poolChunks} pool chunks on 1 worker, as 1 cluster chunk (${ms(o.modes['cluster:1 coarse'].ms)} ms) and as ${o.poolChunks} (${ms(o.modes['cluster:1 fine'].ms)} ms), pool×1 ${ms(o.modes['pool:1'].ms)} ms: ` +
      `**${o.perChunkMs.toFixed(2)} ms per cluster chunk** (${o.perChunkVsPoolMs.toFixed(2)} ms against the pool's per-chunk time), ${o.perCallMs.toFixed(1)} ms per call.`,
    '',
  );
  const w = o.withArray;
  if (w) {
    out.push(
      `With an array: sum over ${mib(w.arrayBytes)} MiB of f64 (${w.poolChunks} pool chunks) on 1 worker, as 1 cluster chunk (${ms(w.modes['cluster:1 coarse'].ms)} ms) and as ${w.poolChunks} (${ms(w.modes['cluster:1 fine'].ms)} ms), pool×1 ${ms(w.modes['pool:1'].ms)} ms: ` +
        `**${w.perChunkMs.toFixed(2)} ms per cluster chunk**, ${w.perCallMs.toFixed(1)} ms per call (the array written to and read from Redis once).`,
      '',
    );
  }
  const b = c.bytes;
  out.push(
    'Bytes through Redis in one call on 2 workers (INFO total_net_input/output_bytes, less the idle rate):',
    '',
    table(
      ['<call', 'array MiB', 'into Redis MiB', 'out of Redis MiB', 'commands', 'cluster ms', 'pool×2 ms'],
      b.calls.map((r) => [r.what, mib(r.arrayBytes), mib(r.inBytes), mib(r.outBytes), int(r.commands), ms(r.ms), ms(r.poolMs)]),
    ),
    '',
    `Idle: ${int(b.background.inPerMs * 1000)} B/s in, ${int(b.background.outPerMs * 1000)} B/s out, ${int(b.background.commandsPerMs * 1000)} commands/s (6 idle workers, the clients' event streams).`,
    '',
  );
  const k = c.sigkill;
  out.push(
    `SIGKILL: ${k.trials} calls of ${k.cluster.jobs} cluster chunks on ${k.cluster.workers} workers (lock ${k.cluster.lockDuration} ms, stall check every ${k.cluster.stalledInterval} ms), one worker killed mid-chunk in ${k.killedMidChunk} and its chunk rerun by another in ${k.rerun}: ` +
      `**${k.chunksLost} chunks lost, ${k.chunksDoubled} doubled**, ${k.exact}/${k.trials} counts exact; ${ms(k.msMedian)} ms per call (median; max ${ms(k.msMax)}).`,
  );
  return out.join('\n');
}

/** The soak's section: curves, verdict, outcomes, then every sample. */
function soakBlock(soak) {
  const out = [`### soak: ${int(soak.done)} of ${int(soak.calls)} mixed calls${soak.only ? ` (only ${soak.only.join(', ')})` : ''}, ${soak.lanes} lanes, pool×${soak.threads}`, ''];
  const ss = soak.samples;
  const run = ss.filter((s) => s.calls > 0);
  if (run.length === 0) {
    out.push(`no samples${soak.error ? `: ${soak.error}` : ''}`);
    return out.join('\n');
  }
  const v = soak.verdict;
  const nums = (key, ss = soak.samples) => ss.map((s) => s[key]).filter((x) => typeof x === 'number');
  const curve = (label, values, unit, fmt) =>
    `    ${label.padEnd(28)} ${spark(values)}  ${fmt(values[0])} → ${fmt(values.at(-1))} ${unit} (max ${fmt(Math.max(...values))})`;
  out.push(
    `Curves, one character per sample (every ${int(soak.every)} calls; scaled from 0 to the max):`,
    '',
    curve('heap used after GC', nums('heapMB'), 'MB', mb),
    curve('caller arrays alive after GC', nums('liveArrays'), 'arrays', int),
    curve('array buffers after GC', nums('arrayBuffersMB'), 'MB', mb),
    curve('RSS', nums('rssMB'), 'MB', mb),
    curve('calls/s', nums('callsPerSecond', run), 'calls/s', int),
    '',
  );
  const flat = v.flat === null ? 'not judged' : v.flat ? 'yes' : 'NO';
  const fig = (key, name, unit = 'MB') => `${name} ${mb(v[key].slopePer10k, true)} (max-min ${mb(v[key].lastHalfRange)} ${unit})`;
  out.push(
    `**Flat: ${flat}** (${v.why}).`,
    `Over the last half${v.lastHalfFrom === null ? '' : ` (from ${int(v.lastHalfFrom)} calls, ${v.samplesInLastHalf} samples)`}, growth per 10,000 calls: ${[
      `${fig('heapMB', 'heap after GC')} [${v.heapJudged ? `judged: at most ${v.heapLimitPer10k}` : 'not judged: too short a run'}]`,
      `caller arrays alive ${mb(v.liveArrays.slopePer10k, true)} arrays, at most ${int(v.liveArrays.lastHalfMax)} [judged: at most ${int(v.inFlightArrays)}, what the calls in flight hold]`,
      fig('liveMB', 'their MB'),
      fig('arrayBuffersMB', 'array buffers'),
      fig('rssMB', 'RSS'),
    ].join(', ')}. Whole run, max-min: heap ${mb(v.heapMB.range)} MB, array buffers ${mb(v.arrayBuffersMB.range)} MB, RSS ${mb(v.rssMB.range)} MB.`,
  );
  if (v.workerHeldMB) {
    out.push(
      `Array buffers the main thread no longer holds (dead caller arrays that a worker's handle keeps until that worker's own GC): median ${mb(v.workerHeldMB.median)} MB, up to ${mb(v.workerHeldMB.max)} MB.`,
    );
  }
  if (soak.outcomes && (soak.outcomes.wrong || soak.outcomes.failed)) {
    out.push(`**Wrong results: ${int(soak.outcomes.wrong)}; other failures: ${int(soak.outcomes.failed)}** (first ones below).`);
  }
  const memLine = (m) => `heap ${mb(m.heapMB)} MB,${m.liveArrays === undefined ? '' : ` caller arrays alive ${m.liveArrays ?? '?'},`} array buffers ${mb(m.arrayBuffersMB)} MB, RSS ${mb(m.rssMB)} MB`;
  if (soak.drained) out.push(`After the last call settled (pool idle, open): ${memLine(soak.drained)}; after close(): ${memLine(soak.closed)}.`);
  if (soak.stopped) out.push(`Stopped early, after ${int(soak.stopped.atCalls)} calls: ${soak.stopped.reason}.`);
  if (soak.error) out.push(`Error: ${soak.error}`);
  if (soak.outcomes) {
    const o = soak.outcomes;
    const exits = Object.entries(soak.workerExits ?? {}).map(([reason, n]) => `${int(n)} ${reason}`);
    out.push(
      `Outcomes: ${int(o.ok)} ok, ${int(o.aborted)} aborted, ${int(o.timedOut)} timed out, ${int(o.wrong)} wrong results, ${int(o.failed)} other failures; workers ended: ${exits.length ? exits.join(', ') : 'none'}. ${int(soak.callsPerSecond)} calls/s over ${soak.durationS.toFixed(1)} s, samples included.`,
    );
  }
  if (soak.errors?.length) out.push(`Unexpected failures and wrong results (first ${soak.errors.length}): ${soak.errors.join(' | ')}`);
  out.push(`Mix: ${soak.mix.map((m) => `${pct(m.share)} ${m.what}`).join('; ')}. One call in ten also carries a 60 s timeout, one in ten a long-lived AbortSignal that never fires.`);
  out.push('');
  const live = (s) => (s.liveArrays === undefined ? '' : s.liveArrays === null ? '?' : int(s.liveArrays));
  const row = (label, s) => [
    label,
    s.s === undefined ? '' : s.s.toFixed(1),
    s.callsPerSecond === undefined || s.calls === 0 ? '' : int(s.callsPerSecond),
    mb(s.heapMB),
    live(s),
    typeof s.liveMB === 'number' ? mb(s.liveMB) : '',
    mb(s.arrayBuffersMB),
    mb(s.rssMB),
    s.gcMs.toFixed(1),
  ];
  out.push(
    table(
      ['calls', 's', 'calls/s', 'heap after GC MB', 'caller arrays alive', 'their MB', 'array buffers MB', 'RSS MB', 'GC ms'],
      [...ss.map((s) => row(int(s.calls), s)), ...(soak.drained ? [row('drained', soak.drained), row('closed', soak.closed)] : [])],
    ),
  );
  return out.join('\n');
}

function render({ meta, results, dispatch, copy, soak, cluster, goals }) {
  const T = Math.max(...meta.threads);
  const out = [];
  out.push(`## sabre benchmark${meta.quick ? ' (quick)' : ''}`, '');
  out.push(`${meta.cpu}, ${meta.cores} cores; Node ${meta.node} (V8 ${meta.v8}), ${meta.platform}; ${meta.date}`);
  out.push(
    meta.native.available
      ? `native: ${meta.native.rustc}, ${meta.native.cpu}; portable Rust paths (the wasm build uses simd128 variants where written)`
      : `native: ${meta.native.note}`,
  );
  const r = meta.repetitions;
  out.push(
    `times: median of ${r.min}${r.max > r.min ? `-${r.max}` : ''} runs after ${r.warmup} warm-up run${r.warmup > 1 ? 's' : ''}; ±: median absolute deviation, relative to the median (min and max are in the JSON).`,
    `vs X: time of X / time of the mode. efficiency: speed-up over the direct wasm call (native: over native single-thread) / threads.`,
    `free cores: ${meta.freeCores.of} threads of pure compute against one, measured around each kernel's threaded runs (start ${meta.freeCores.start}, end ${meta.freeCores.end}): below ${meta.freeCores.of}, the machine is shared and nothing can scale fully; "rayon eff." is the same check on the kernel itself.`,
    `loop p50/p99: the main thread's event-loop delay, ms: the intervals of a 1 ms timer, as monitorEventLoopDelay({ resolution: 1 }) records them, counted per mode (measure.js; idle: p50 ${ms(meta.idleEventLoopMs.probe.p50)}, p99 ${ms(meta.idleEventLoopMs.probe.p99)}; monitorEventLoopDelay beside it: p50 ${ms(meta.idleEventLoopMs.monitorEventLoopDelay.p50)}, p99 ${ms(meta.idleEventLoopMs.monitorEventLoopDelay.p99)}). Inline modes block the loop for each whole call.`,
    `RSS MB: the whole process (main thread, every worker) at its peak during the pool×${T} runs, and (+) how much it grew from before their warm-up; memory grown by earlier modes stays counted.`,
    `zero-copy: the same values in sabre.shared arrays (no copies; "nt": transactional: false). floor ms: the bytes a memory-bound call must move (each array read once, an in-place one written too) at this machine's copy bandwidth${meta.bandwidth ? `, ${meta.bandwidth.gbPerS.toFixed(1)} GB/s read + write (bench/bandwidth.js)` : ''}; best×${T}/floor: the faster of pool×${T} and zero-copy×${T} against it.`,
    '',
  );

  const byKernel = new Map();
  for (const row of results) {
    if (!byKernel.has(row.kernel)) byKernel.set(row.kernel, []);
    byKernel.get(row.kernel).push(row);
  }
  for (const rows of byKernel.values()) out.push(kernelBlock(rows, meta), '');

  if (dispatch) {
    out.push(`### dispatch: a tiny call (${dispatch.task}), ${dispatch.threads} worker${dispatch.threads > 1 ? 's' : ''}`, '');
    const big = dispatch.bigConcurrentCalls;
    out.push(
      table(
        ['<pool', 'round trip µs', 'range', `calls/s, ${int(dispatch.concurrentCalls)} in flight`, 'range', ...(big ? [`calls/s, ${int(big)} in flight`] : [])],
        Object.entries(dispatch.results).map(([name, d]) => [
          name,
          d.roundTripUs.toFixed(1),
          `${d.roundTripRange[0].toFixed(1)}-${d.roundTripRange[1].toFixed(1)}`,
          int(d.callsPerSecond),
          `${int(d.callsPerSecondRange[0])}-${int(d.callsPerSecondRange[1])}`,
          ...(big ? [int(d.callsPerSecondBig)] : []),
        ]),
      ),
    );
    out.push(
      '',
      `round trip: ${dispatch.sequentialCalls} calls one after another; calls/s: calls submitted at once, then awaited together; medians of ${dispatch.repeats} repeats${big ? ` (${int(big)} in flight: ${dispatch.bigRepeats ? `median of ${dispatch.bigRepeats} after a warm-up run` : 'one run'})` : ''}.`,
      '',
    );
  }

  if (copy) {
    const modes = Object.keys(copy[0].ms);
    out.push('### copy cost: memory-bound kernels, time per call (ms)', '');
    out.push(
      table(
        ['<kernel', 'n', ...modes, 'copy share of the direct call'],
        copy.map((c) => [`${c.kernel} ${c.type}`, c.n.toLocaleString('en'), ...modes.map((m) => ms(c.ms[m])), pct(c.copyShareOfDirect)]),
      ),
    );
    out.push('');
  }

  if (soak) out.push(soakBlock(soak), '');
  if (cluster) out.push(clusterBlock(cluster), '');

  out.push('### goals (reported, not asserted)', '');
  for (const g of goals) {
    const why = [g.withinNoise && `${g.withinNoise} within noise`, g.busyMachine && `${g.busyMachine} on a busy machine`].filter(Boolean);
    const noisy = why.length ? ` (of the misses: ${why.join(', ')})` : '';
    const head = `- ${g.goal}: ${g.evaluated === 0 ? `not evaluated${g.note ? ` (${g.note})` : ''}` : `met ${g.met}/${g.evaluated}${noisy}`}`;
    out.push(head);
    const missed = g.checks.filter((c) => !c.met);
    if (missed.length) {
      out.push(`  missed: ${missed.map((c) => `${c.kernel}${c.size ? ` ${c.size}` : ''} (${c.text})`).join('; ')}`);
    }
    if ((g.id === 'round-trip' || g.id === 'soak') && g.met) out.push(`  ${g.checks[0].text}`);
    if (g.id === 'event-loop' && g.evaluated) {
      const worst = g.checks.reduce((a, b) => (b.value > a.value ? b : a));
      out.push(`  worst: ${worst.kernel} ${worst.size}: ${worst.text}`);
    }
  }
  out.push('');
  return `${out.join('\n')}\n`;
}

module.exports = { render, table, soakBlock, clusterBlock, bestAnchor };
