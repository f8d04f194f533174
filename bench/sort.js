'use strict';
// Where a parallel sort spends its time: the chunk sorts, each merge round
// and the commit, on the direct path and on a pool, against
// TypedArray.prototype.sort. A program, not a test: nothing is asserted.
//
//   node bench/sort.js [n=1e7] [threads=os.availableParallelism()] [repeats=3]

const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const dist = path.join(__dirname, '..', 'dist');
const sabre = require(dist);
const { kernels } = require(path.join(dist, 'kernels'));
const { SORT_GRAIN, MERGE_GRAIN } = require(path.join(dist, 'kernels', 'grains'));

const n = Number(process.argv[2] ?? 1e7);
const threads = Number(process.argv[3] ?? os.availableParallelism());
const repeats = Number(process.argv[4] ?? 3);

// Each pass ends when the main thread runs its `combine`: record when.
let marks = [];
for (const name of ['sort', '_sortMerge', '_sortCommit']) {
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
  let merges = 0;
  const out = {};
  for (const [name, t] of marks) {
    const key = name === 'sort' ? 'sort chunks' : name === '_sortMerge' ? 'merge rounds' : 'commit';
    if (name === '_sortMerge') merges++;
    out[key] = (out[key] ?? 0) + (t - last);
    last = t;
  }
  return { ...out, rounds: merges };
}

async function main() {
  const pool = new sabre.Pool({ threads });
  console.log(`n=${n}, SORT_GRAIN=2^${Math.log2(SORT_GRAIN)}, MERGE_GRAIN=2^${Math.log2(MERGE_GRAIN)}, pool threads=${threads}, median of ${repeats}`);
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
      const parts = ['sort chunks', 'merge rounds', 'commit'].map((k) => `${k} ${fmt(median(s.map((v) => v[k] ?? 0)))}`);
      console.log(`  ${p}: ${parts.join(', ')} (${s[0].rounds} merge rounds)`);
    }
  }
  await pool.close();
}

main();
