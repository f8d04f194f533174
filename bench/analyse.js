'use strict';
// From timings to the figures the report shows: speed-ups, scaling
// efficiency, ratios to native, and the issue's goals, each with how far it
// is met or missed. Goals are reported, never asserted.

/**
 * Adds to each mode of `row`: vsJs (time of JS / time of the mode), vsWasm
 * (time of the direct wasm call / time of the mode), and for threaded modes
 * `threads` and `efficiency` (speed-up over one thread, divided by the
 * threads: over the direct wasm call for pool and piscina, over native
 * single-threaded for rayon).
 */
function derive(row) {
  const { js, wasm, native } = row.modes;
  for (const [name, m] of Object.entries(row.modes)) {
    const [kind, t] = name.split(':');
    m.kind = kind;
    m.threads = t ? Number(t) : 1;
    if (js) m.vsJs = js.ms / m.ms;
    if (wasm) m.vsWasm = wasm.ms / m.ms;
    if (t) {
      const base = kind === 'rayon' ? native : kind === 'fused' ? row.modes['wasm-fused'] : wasm;
      if (base) m.efficiency = base.ms / m.ms / m.threads;
    }
  }
  return row;
}

const fmtX = (x) => `${x.toFixed(2)}×`;

/**
 * A check of a threaded figure misses "on a busy machine" when the free
 * cores measured around its kernel (bench/calibrate.js) were below 90 % of
 * the threads it needed, or, for a compute-bound kernel, when the native
 * rayon run of the same size scaled below 0.85 too.
 */
function busy(check, row, threads) {
  if (check.met || threads < 2) return check;
  const f = row.freeCores;
  const rayon = row.modes[`rayon:${threads}`];
  if (f && Math.min(f.before, f.after) < 0.9 * Math.min(threads, f.of)) {
    check.busyMachine = true;
    check.text += `, machine busy (${Math.min(f.before, f.after)} of ${f.of} cores free)`;
  } else if (row.bound === 'compute' && rayon?.efficiency < 0.85) {
    // A compute-bound kernel that native rayon does not scale either: the
    // cores were taken while this size ran (the probes bracket the kernel).
    check.busyMachine = true;
    check.text += `, machine busy (native rayon×${threads} efficiency ${rayon.efficiency.toFixed(2)} on the same size)`;
  }
  return check;
}

/**
 * A ratio of two modes' medians misses its target "within noise" when the
 * miss is smaller than the two modes' relative spreads added up.
 */
function noise(check, a, b) {
  if (!check.met && a?.spread !== undefined && b?.spread !== undefined) {
    const miss = Math.abs(check.value - check.target) / check.target;
    if (miss <= a.spread + b.spread) {
      check.withinNoise = true;
      check.text += ', within noise';
    }
  }
  return check;
}

/**
 * The issue's goals, evaluated at each kernel's largest size measured and at
 * the largest thread count: for each, the kernels that meet it, those that
 * miss it and by how much.
 */
function goals({ meta, results, dispatch, soak, cluster }) {
  const T = Math.max(...meta.threads);
  const largest = new Map();
  const order = ['small', 'medium', 'large'];
  for (const r of results) {
    const prev = largest.get(r.kernel);
    if (!prev || order.indexOf(r.size) > order.indexOf(prev.size)) largest.set(r.kernel, r);
  }
  const rows = [...largest.values()];
  const out = [];

  const goal = (id, text, checks, note) => {
    const met = checks.filter((c) => c.met);
    const missed = checks.filter((c) => !c.met);
    const withinNoise = missed.filter((c) => c.withinNoise).length;
    const busyMachine = missed.filter((c) => c.busyMachine).length;
    out.push({ id, goal: text, evaluated: checks.length, met: met.length, missed: missed.length, withinNoise, busyMachine, checks, note });
  };

  goal(
    'scaling',
    `compute-bound kernels at their largest size scale at >= 0.9 × threads (pool×${T} over the direct wasm call)`,
    rows
      .filter((r) => r.bound === 'compute' && r.modes[`pool:${T}`])
      .map((r) => {
        const e = r.modes[`pool:${T}`].efficiency;
        const c = { kernel: r.kernel, size: r.size, value: e, target: 0.9, met: e >= 0.9, text: `efficiency ${e.toFixed(2)}` };
        return busy(noise(c, r.modes[`pool:${T}`], r.modes.wasm), r, T);
      }),
    T === 1 ? 'only one thread: scaling not measured' : undefined,
  );

  goal(
    'wasm-vs-native',
    'single-thread wasm (the whole direct call) within 1.5× of native single-thread',
    rows
      .filter((r) => r.modes.native && r.modes.wasm)
      .map((r) => {
        const x = r.modes.wasm.ms / r.modes.native.ms;
        const c = { kernel: r.kernel, size: r.size, value: x, target: 1.5, met: x <= 1.5, text: `wasm/native ${fmtX(x)}` };
        return noise(c, r.modes.wasm, r.modes.native);
      }),
    meta.native.available ? undefined : meta.native.note,
  );

  goal(
    'pool-vs-rayon',
    `the pool within 1.3× of native rayon on the same thread count (${T})`,
    rows
      .filter((r) => r.modes[`rayon:${T}`] && r.modes[`pool:${T}`])
      .map((r) => {
        const x = r.modes[`pool:${T}`].ms / r.modes[`rayon:${T}`].ms;
        const c = { kernel: r.kernel, size: r.size, value: x, target: 1.3, met: x <= 1.3, text: `pool/rayon ${fmtX(x)}` };
        return busy(noise(c, r.modes[`pool:${T}`], r.modes[`rayon:${T}`]), r, T);
      }),
    meta.native.available ? undefined : meta.native.note,
  );

  // Zero copy (sabre.shared arrays): the faster of the transactional and
  // the transactional: false pool modes, for the declared kernels.
  const zeroCopyOf = (r) => [`zcnt:${T}`, `zc:${T}`].map((k) => r.modes[k]).filter(Boolean).sort((a, b) => a.ms - b.ms)[0];
  goal(
    'zero-copy-vs-rayon',
    `memory-bound kernels on sabre.shared arrays, pool×${T}, within 1.3× of native rayon×${T}`,
    rows
      .filter((r) => r.bound === 'memory' && r.modes[`rayon:${T}`] && zeroCopyOf(r))
      .map((r) => {
        const z = zeroCopyOf(r);
        const x = z.ms / r.modes[`rayon:${T}`].ms;
        const c = { kernel: r.kernel, size: r.size, value: x, target: 1.3, met: x <= 1.3, text: `zero-copy/rayon ${fmtX(x)}` };
        return busy(noise(c, z, r.modes[`rayon:${T}`]), r, T);
      }),
    meta.native.available ? undefined : meta.native.note,
  );
  goal(
    'zero-copy-scale',
    `scale on sabre.shared arrays (transactional: false), pool×${T}, at least 3× faster than the copying pool`,
    rows
      .filter((r) => r.kernel === 'scale' && r.modes[`zcnt:${T}`] && r.modes[`pool:${T}`])
      .map((r) => {
        const x = r.modes[`pool:${T}`].ms / r.modes[`zcnt:${T}`].ms;
        return noise({ kernel: r.kernel, size: r.size, value: x, target: 3, met: x >= 3, text: `${fmtX(x)} the copying pool` }, r.modes[`pool:${T}`], r.modes[`zcnt:${T}`]);
      }),
  );

  goal(
    'vs-piscina',
    'sabre faster than piscina with hand-split chunks, on every kernel at every thread count (largest size)',
    rows.flatMap((r) =>
      meta.threads
        .filter((t) => r.modes[`pool:${t}`] && r.modes[`piscina:${t}`])
        .map((t) => {
          const x = r.modes[`piscina:${t}`].ms / r.modes[`pool:${t}`].ms;
          const c = { kernel: r.kernel, size: r.size, threads: t, value: x, target: 1, met: x >= 1, text: `×${t}: piscina/sabre ${fmtX(x)}` };
          return busy(noise(c, r.modes[`piscina:${t}`], r.modes[`pool:${t}`]), r, t);
        }),
    ),
  );

  if (dispatch) {
    const s = dispatch.results['sabre (atomics on)'];
    const p = dispatch.results.piscina;
    const x = s.roundTripUs / p.roundTripUs;
    goal('round-trip', "sabre's per-call round trip no slower than piscina's", [
      { kernel: '(dispatch)', value: x, target: 1, met: x <= 1, text: `sabre ${s.roundTripUs.toFixed(1)} µs, piscina ${p.roundTripUs.toFixed(1)} µs (${fmtX(x)})` },
    ]);
  }

  goal(
    'event-loop',
    `event-loop delay p99 under 10 ms while the pool×${T} works (largest size), against about the call time when run inline`,
    rows
      .filter((r) => r.modes[`pool:${T}`]?.eventLoopMs)
      .map((r) => {
        const p = r.modes[`pool:${T}`].eventLoopMs.p99;
        const inline = r.modes.wasm.eventLoopMs?.p99;
        const inlineText = inline === undefined ? 'no sample' : `${inline.toFixed(1)} ms`;
        return { kernel: r.kernel, size: r.size, value: p, target: 10, met: p < 10, text: `pool p99 ${p.toFixed(1)} ms, inline wasm p99 ${inlineText} (call ${r.modes.wasm.ms.toFixed(1)} ms)` };
      }),
  );

  if (soak) {
    const v = soak.verdict;
    goal(
      'soak',
      `memory stays flat over ${soak.calls.toLocaleString('en')} mixed calls at ${soak.lanes} concurrent lanes (soak)`,
      v.flat === null ? [] : [{ kernel: '(soak)', value: v.heapMB.slopePer10k, met: v.flat, text: v.why }],
      v.flat === null ? v.why : undefined,
    );
    const o = soak.outcomes;
    if (o) {
      const bad = o.wrong + o.failed;
      goal('soak-results', 'every call of the soak settles with the right result, or the abort or timeout it asked for', [
        {
          kernel: '(soak)',
          value: bad,
          target: 0,
          met: bad === 0,
          text: `${o.wrong} wrong results, ${o.failed} other failures in ${soak.done.toLocaleString('en')} calls${soak.errors.length ? `: ${soak.errors.join('; ')}` : ''}`,
        },
      ]);
    }
  }
  if (cluster && !cluster.skipped && !cluster.error) {
    const o = cluster.overhead;
    goal('cluster-overhead', 'a Cluster costs at most 2 ms per cluster chunk over the local pool (loopback Redis)', [
      { kernel: '(cluster)', value: o.perChunkMs, target: 2, met: o.perChunkMs <= 2, text: `${o.perChunkMs.toFixed(2)} ms per cluster chunk, ${o.perCallMs.toFixed(1)} ms per call` },
    ]);
    const cp = cluster.compute;
    goal(
      'cluster-vs-pool',
      'with >= 100 ms cluster chunks, a compute-bound call on N worker processes within 10 % of the local pool on N threads',
      [1, 2].map((t) => {
        const c = { kernel: '(cluster)', threads: t, value: cp.vsPool[t], target: 1.1, met: cp.vsPool[t] <= 1.1, text: `×${t}: cluster/pool ${fmtX(cp.vsPool[t])}` };
        return noise(c, cp.modes[`cluster:${t}`], cp.modes[`pool:${t}`]);
      }),
    );
    const k = cluster.sigkill;
    goal(`cluster-sigkill`, `no chunk lost or doubled in ${k.trials} calls with a worker SIGKILLed mid-chunk`, [
      {
        kernel: '(cluster)',
        value: k.chunksLost + k.chunksDoubled,
        target: 0,
        met: k.chunksLost + k.chunksDoubled === 0 && k.exact === k.trials,
        text: `${k.chunksLost} lost, ${k.chunksDoubled} doubled, ${k.exact}/${k.trials} exact (${k.killedMidChunk} killed mid-chunk)`,
      },
    ]);
  }
  return out;
}

module.exports = { derive, goals };
