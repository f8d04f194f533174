'use strict';
// Where a parallel sort spends its time: the sample, the partition pass, the
// bucket pass and the commit, on the direct path and on a pool, against
// TypedArray.prototype.sort. A program, not a test: nothing is asserted.
//
//   node bench/sort.js [n=1e7] [threads=os.availableParallelism()] [repeats=3]

const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const dist = path.join(__dirname, '..', 'dist');
const sabre = require(dist);
const { kernels } = require(path.join(dist, 'kernels'));
const { SORT_GRAIN } = require(path.join(dist, 'kernels', 'grains'));

const n = Number(process.argv[2] ?? 1e7);
const threads = Number(process.argv[3] ?? os.availableParallelism());
const repeats = Number(process.argv[4] ?? 3);

// Each pass ends when the main thread runs its `combine`: record when.
let marks = [];
const PASSES = { sort: 'sample', _sortPartition: 'partition', _sortBuckets: 'buckets', _sortCommit: 'commit' };
for (const name of Object.keys(PASSES)) {
  const spec = kernels[name];
  const combine = spec.combine;
  spec.combine = (c, partials) => {
    marks.push([name, performance.now()]);
    return combine(c, partials);
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function split(t0) {
  let last = t0;
  const out = {};
  for (const [name, t] of marks) {
    out[PASSES[name]] = (out[PASSES[name]] ?? 0) + (t - last);
    last = t;
  }
  return out;
}

async function main() {
  const pool = new sabre.Pool({ threads });
  console.log(`n=${n}, SORT_GRAIN=2^${Math.log2(SORT_GRAIN)}, pool threads=${threads}, median of ${repeats}`);
  for (const T of [Float64Array, Int32Array]) {
    const data = new T(n);
    for (let i = 0; i < n; i++) data[i] = (Math.random() - 0.5) * 2e9;
    const rows = { js: [], direct: [], pool: [] };
    const splits = { direct: [], pool: [] };
    for (let r = 0; r < repeats; r++) {
      let x = data.slice();
      let t0 = performance.now();
      x.sort();
      rows.js.push(performance.now() - t0);

      x = data.slice();
      marks = [];
      t0 = performance.now();
      sabre.kernels.sort(x);
      rows.direct.push(performance.now() - t0);
      splits.direct.push(split(t0));

      x = sabre.shared.from(data);
      marks = [];
      t0 = performance.now();
      await pool.kernels.sort(x);
      rows.pool.push(performance.now() - t0);
      splits.pool.push(split(t0));
    }
    const fmt = (ms) => `${ms.toFixed(0)} ms`;
    console.log(`${T.name}: TypedArray#sort ${fmt(median(rows.js))}, direct ${fmt(median(rows.direct))}, pool ${fmt(median(rows.pool))}`);
    for (const p of ['direct', 'pool']) {
      const s = splits[p];
      const parts = Object.values(PASSES).map((k) => `${k} ${fmt(median(s.map((v) => v[k] ?? 0)))}`);
      console.log(`  ${p}: ${parts.join(', ')}`);
    }
  }
  await pool.close();
}

main();
