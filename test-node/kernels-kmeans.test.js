'use strict';
// kmeansStep through the direct call and the pool against a plain JavaScript
// Lloyd step (distances in f32 exactly as the kernel computes them, so the
// labels must match exactly; sums in f64, compared with a tolerance), then
// the kmeans helper run to convergence both synchronously and on a pool.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { root, sabre, backends, badInputSuite, rng, randomShared } = require('./helpers');

const { kmeans } = require(path.join(root, 'dist', 'kernels', 'kmeans.js'));
const f = Math.fround;

/** One Lloyd step: labels in place; returns new centroids and the stats. */
function stepReference(points, dims, centroids, labels) {
  const k = centroids.length / dims;
  const n = labels.length;
  const sums = new Float64Array(k * dims);
  const counts = new Float64Array(k);
  let inertia = 0;
  let changed = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bd = NaN;
    for (let c = 0; c < k; c++) {
      let d = 0;
      for (let j = 0; j < dims; j++) {
        const t = f(points[i * dims + j] - centroids[c * dims + j]);
        d = f(d + f(t * t));
      }
      if (c === 0 || d < bd || (Number.isNaN(bd) && !Number.isNaN(d))) {
        best = c;
        bd = d;
      }
    }
    if (labels[i] !== best) {
      changed++;
      labels[i] = best;
    }
    inertia += bd;
    counts[best]++;
    for (let j = 0; j < dims; j++) sums[best * dims + j] += points[i * dims + j];
  }
  const next = Float32Array.from(centroids);
  let empty = 0;
  for (let c = 0; c < k; c++) {
    if (counts[c] === 0) empty++;
    else for (let j = 0; j < dims; j++) next[c * dims + j] = sums[c * dims + j] / counts[c];
  }
  return { centroids: next, inertia, changed, empty };
}

/** Points around `k` well separated centres; returns them and each one's blob. */
function blobs(n, dims, k, seed) {
  const r = rng(seed);
  const centres = Array.from({ length: k }, (_, c) => Array.from({ length: dims }, (_, j) => 100 * c + 10 * j));
  const points = sabre.shared.float32(n * dims);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    truth[i] = i % k;
    for (let j = 0; j < dims; j++) points[i * dims + j] = centres[truth[i]][j] + (r() - 0.5) * 4;
  }
  return { points, truth };
}

// [points, dims, k]: no point, one point, k not a multiple of the 4 SIMD
// lanes, dims 1, and inputs of several chunks (2^21 / (k dims) points each).
const SHAPES = [
  [0, 3, 2],
  [1, 1, 1],
  [5, 2, 7],
  [17, 3, 5],
  [100, 1, 4],
  [300, 9, 13],
  [30000, 8, 16], // 16384 points per chunk: 2 chunks
  [70000, 2, 8], // 131072 points per chunk: 1 chunk
  [70000, 2, 33], // 31775 points per chunk: 3 chunks
];

for (const backend of backends()) {
  describe(`kmeansStep (${backend.name})`, () => {
    after(() => backend.close());

    it('matches a plain Lloyd step', async () => {
      for (const [n, dims, k] of SHAPES) {
        for (const Labels of [Int32Array, Uint32Array]) {
          const points = randomShared(Float32Array, n * dims, n + dims);
          const centroids = randomShared(Float32Array, k * dims, k + 1);
          const labels = sabre.shared.from(Labels.from({ length: n }, (_, i) => i % 3));
          const wantLabels = Labels.from(labels);
          const want = stepReference(points, dims, centroids, wantLabels);
          const got = await backend.call('kmeansStep', points, dims, centroids, labels);
          const what = `${n}x${dims} k=${k} ${Labels.name}`;
          assert.deepEqual(new Labels(labels), wantLabels, `labels ${what}`);
          assert.equal(got.changed, want.changed, what);
          assert.equal(got.empty, want.empty, what);
          assert.ok(Math.abs(got.inertia - want.inertia) <= 1e-12 * want.inertia, `inertia ${what}`);
          for (let i = 0; i < k * dims; i++) {
            // Means of f32 points summed in f64 in a different order, rounded to f32.
            assert.ok(Math.abs(centroids[i] - want.centroids[i]) <= 2 ** -23 * Math.abs(want.centroids[i]), `centroid ${i} ${what}`);
          }
        }
      }
    });

    it('empty clusters keep their centroid and are counted; ties go to the lowest index', async () => {
      const points = sabre.shared.from(new Float32Array([0, 0, 1, 0, 0, 1]));
      // Centroid 1 duplicates centroid 0 (every point ties: all go to 0),
      // centroid 2 is far away: both end empty.
      const centroids = sabre.shared.from(new Float32Array([0, 0, 0, 0, 1000, 1000]));
      const labels = sabre.shared.int32(3).fill(2);
      const r = await backend.call('kmeansStep', points, 2, centroids, labels);
      assert.deepEqual([...labels], [0, 0, 0]);
      assert.deepEqual(r, { inertia: 2, changed: 3, empty: 2 });
      assert.deepEqual([...centroids], [f(1 / 3), f(1 / 3), 0, 0, 1000, 1000]);
    });

    it('a NaN point goes to centroid 0 and makes the inertia NaN', async () => {
      const points = sabre.shared.from(new Float32Array([NaN, 1, 5, 5]));
      const centroids = sabre.shared.from(new Float32Array([0, 0, 5, 5]));
      const labels = sabre.shared.uint32(2);
      const r = await backend.call('kmeansStep', points, 2, centroids, labels);
      assert.deepEqual([...labels], [0, 1]);
      assert.ok(Number.isNaN(r.inertia));
    });
  });
}

describe('kmeansStep gives the same result on 1 and 3 threads and directly', () => {
  const pools = [new sabre.Pool({ threads: 1 }), new sabre.Pool({ threads: 3 })];
  after(() => Promise.all(pools.map((p) => p.close())));

  it('over 5 chunks', async () => {
    const [n, dims, k] = [40000, 4, 64]; // 8192 points per chunk
    const points = randomShared(Float32Array, n * dims, 5);
    const start = randomShared(Float32Array, k * dims, 6);
    const run = async (step) => {
      const centroids = sabre.shared.from(start);
      const labels = sabre.shared.int32(n);
      const r = await step(points, dims, centroids, labels);
      return { r, centroids, labels };
    };
    const want = await run(sabre.kernels.kmeansStep);
    for (const pool of pools) {
      const got = await run(pool.kernels.kmeansStep);
      assert.deepEqual(got, want, `${pool.threads} threads`);
    }
  });
});

describe('kmeans (the helper) converges, synchronously and on a pool', () => {
  const pool = new sabre.Pool({ threads: 3 });
  after(() => pool.close());
  const direct = sabre.kernels.kmeansStep;
  const pooled = (...args) => pool.kernels.kmeansStep(...args);

  /** Every blob maps to one cluster and every cluster to one blob. */
  function assertRecovers(labels, truth, k) {
    const map = new Map();
    for (let i = 0; i < truth.length; i++) {
      if (!map.has(truth[i])) map.set(truth[i], labels[i]);
      assert.equal(labels[i], map.get(truth[i]), `point ${i}`);
    }
    assert.equal(new Set(map.values()).size, k);
  }

  it('the public sabre.kmeans and pool.kmeans give the same result', async () => {
    const { points, truth } = blobs(3000, 2, 4, 11);
    const sync = sabre.kmeans(points, 2, 4, { seed: 5 });
    assertRecovers(sync.labels, truth, 4);
    const pool = new sabre.Pool({ threads: 2 });
    assert.deepEqual(await pool.kmeans(points, 2, 4, { seed: 5 }), sync);
    await assert.rejects(pool.kmeans(points, 0, 4), RangeError);
    await pool.close();
  });

  it('recovers separated blobs, with the same answer both ways', async () => {
    for (const [n, dims, k, init] of [[600, 2, 3, 'kmeans++'], [50000, 3, 5, 'kmeans++'], [2000, 4, 4, 'random']]) {
      const { points, truth } = blobs(n, dims, k, n);
      // tol 0: iterate until no label moves.
      const sync = kmeans(direct, points, dims, k, { seed: 3, init, tol: 0 });
      assert.ok(!(sync instanceof Promise), 'the direct run is synchronous');
      assert.ok(sync.converged && sync.iterations <= 100, `${n}: ${sync.iterations} iterations`);
      // k-means++ finds the blobs; random seeding may settle in a local
      // optimum (two seeds in one blob), which is still a fixed point.
      if (init === 'kmeans++') assertRecovers(sync.labels, truth, k);
      const promise = kmeans(pooled, points, dims, k, { seed: 3, init, tol: 0 });
      assert.ok(promise instanceof Promise, 'the pool run returns a Promise');
      const async = await promise;
      assert.deepEqual(async, sync);
      // Converged: one more step moves nothing.
      const again = direct(points, dims, Float32Array.from(sync.centroids), Int32Array.from(sync.labels));
      assert.equal(again.changed, 0, `${n} points`);
    }
    // The default tol stops once the inertia improves by <= 1e-4 relative.
    const { points } = blobs(600, 2, 3, 600);
    const r = kmeans(direct, points, 2, 3);
    assert.ok(r.converged && r.iterations >= 2);
  });

  it('takes starting centroids, stops at maxIter, and reports empty clusters', () => {
    const { points } = blobs(400, 2, 2, 9);
    // Two starts in the first blob, one far from everything.
    const init = new Float32Array([0, 10, 1, 11, 1e6, 1e6]);
    const r = kmeans(direct, points, 2, 3, { init, tol: 0 });
    assert.ok(r.converged);
    assert.equal(r.empty, 1);
    assert.deepEqual([...r.centroids.subarray(4)], [1e6, 1e6]);
    const one = kmeans(direct, points, 2, 2, { maxIter: 1, init: new Float32Array([0, 0, 1, 1]) });
    assert.equal(one.iterations, 1);
    assert.equal(one.converged, false);
  });

  it('rejects bad arguments', () => {
    const pts = sabre.shared.float32(8);
    assert.throws(() => kmeans(null, pts, 2, 2), { name: 'TypeError', message: /"runStep"/ });
    assert.throws(() => kmeans(direct, new Float64Array(8), 2, 2), { name: 'TypeError', message: /"points"/ });
    assert.throws(() => kmeans(direct, pts, 3, 2), { name: 'RangeError', message: /"points.length"/ });
    assert.throws(() => kmeans(direct, pts, 2, 5), { name: 'RangeError', message: /"k"/ });
    assert.throws(() => kmeans(direct, pts, 2, 0), { name: 'RangeError', message: /"k"/ });
    assert.throws(() => kmeans(direct, sabre.shared.float32(0), 2, 1), { name: 'RangeError', message: /at least one point/ });
    assert.throws(() => kmeans(direct, pts, 2, 2, { maxIter: 0 }), { name: 'RangeError', message: /"options.maxIter"/ });
    assert.throws(() => kmeans(direct, pts, 2, 2, { tol: -1 }), { name: 'RangeError', message: /"options.tol"/ });
    assert.throws(() => kmeans(direct, pts, 2, 2, { init: 'best' }), { name: 'TypeError', message: /"options.init"/ });
    assert.throws(() => kmeans(direct, pts, 2, 2, { init: new Float32Array(3) }), { name: 'RangeError', message: /"options.init.length"/ });
  });
});

const f32 = (n) => sabre.shared.float32(n);
const badCases = [
  [() => [new Float64Array(4), 2, f32(2), sabre.shared.int32(2)], TypeError, /"points" argument must be a Float32Array/],
  [() => [f32(4), 0, f32(2), sabre.shared.int32(2)], RangeError, /"dims"/],
  [() => [f32(4), 2, f32(2), new Float32Array(2)], TypeError, /"labels" argument must be a Int32Array or Uint32Array/],
  [() => [f32(5), 2, f32(2), sabre.shared.int32(2)], RangeError, /"points.length"/],
  [() => [f32(4), 2, f32(3), sabre.shared.int32(2)], RangeError, /"centroids.length"/],
  [() => [f32(4), 2, f32(0), sabre.shared.int32(2)], RangeError, /"centroids.length"/],
  [() => [f32(4), 2, f32(2), sabre.shared.int32(3)], RangeError, /"labels.length"/],
  [() => {
    const x = f32(8);
    return [x.subarray(0, 4), 2, x.subarray(2, 4), sabre.shared.int32(2)];
  }, RangeError, /"centroids" argument overlaps the "points"/],
  [() => {
    const x = f32(8);
    return [x.subarray(0, 4), 2, x.subarray(6, 8), new Int32Array(x.buffer, x.byteOffset + 24, 2)];
  }, RangeError, /"labels" argument overlaps the "centroids"/],
];

badInputSuite('kmeansStep bad input', badCases.map((c) => ['kmeansStep', ...c]));
