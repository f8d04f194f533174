'use strict';
// Kernel specs: k-means. See js/kernels/index.js for the spec fields.
//
// kmeansStep is one Lloyd iteration. Chunks of points are assigned to their
// nearest centroid (src/kernels/kmeans.rs), writing their labels, and return
// partial sums and counts per cluster; `combine` adds the partials in chunk
// order and writes the new centroids (the means of their points). Centroids
// are only read by the chunks and only written by `combine`, after every
// chunk has finished.
//
// `kmeans` (below, not a kernel) runs steps to convergence through a "run
// step" callback, so the same code drives the direct path (synchronous) and
// a pool (Promises).

const v = require('../validate');
const { onlyKnownKeys } = require('../options');
const { outOfRange, invalidArgType } = require('../errors');
const shared = require('../shared');

// Grain, measured on a 2-core x86-64 VM (Node 20, 2^18 points, dims 2-16,
// k 4-64): the assignment costs 0.38-0.9 ns per point-centroid-dimension
// once k * dims >= 32, and ~15-30 ns per point below that (the per-point
// work dominates). The hand-written f32x4 path is 1.25-1.8x faster than the
// same lanes left to LLVM's autovectorizer when k >= 16 (equal at k = 5),
// and 1.1-2.1x faster than the build without +simd128. A chunk does ~2^21
// point-centroid-dimensions (its points times k times dims), about 1 ms,
// and at least 256 points.
const KMEANS_WORK = 1 << 21;
const MIN_POINTS = 256;

const specs = {
  kmeansStep: {
    params: ['points', 'dims', 'centroids', 'labels'],
    contract: { exports: ['kmeansAssign'] },
    prepare([rawPoints, dims, rawCentroids, rawLabels], shared) {
      const points = v.typedArray('points', rawPoints, [Float32Array], shared);
      v.integer('dims', dims, 1, 2 ** 32 - 1);
      const centroids = v.typedArray('centroids', rawCentroids, [Float32Array], shared);
      const labels = v.typedArray('labels', rawLabels, [Int32Array, Uint32Array], shared);
      if (points.length % dims !== 0) throw outOfRange('points.length', `a multiple of dims (${dims})`, points.length);
      if (centroids.length === 0 || centroids.length % dims !== 0) {
        throw outOfRange('centroids.length', `a non-zero multiple of dims (${dims})`, centroids.length);
      }
      if (labels.length !== points.length / dims) {
        throw outOfRange('labels.length', `the number of points, ${points.length / dims}`, labels.length);
      }
      v.noOverlap('centroids', centroids, 'points', points);
      v.noOverlap('labels', labels, 'points', points);
      v.noOverlap('labels', labels, 'centroids', centroids);
      return { points, dims, centroids, labels, k: centroids.length / dims };
    },
    units: (c) => c.labels.length, // points
    grain: (c) => Math.max(MIN_POINTS, Math.floor(KMEANS_WORK / (c.k * c.dims))),
    run(e, c, s, t) {
      const x = e.kernel('kmeansAssign');
      x.load('points', c.points, s * c.dims, t * c.dims);
      x.load('centroids', c.centroids, 0, c.centroids.length);
      x.load('labels', c.labels, s, t);
      const value = x.call(t - s, c.dims, c.k);
      return { value, writes: [x.write('labels', c.labels, s, t)] };
    },
    combine(c, partials) {
      const { k, dims, centroids } = c;
      const total = new Float64Array(k * dims + k + 2);
      for (const part of partials) for (let i = 0; i < total.length; i++) total[i] += part[i];
      let empty = 0;
      for (let j = 0; j < k; j++) {
        const count = total[k * dims + j];
        if (count === 0) {
          empty++; // an empty cluster keeps its centroid
          continue;
        }
        for (let d = 0; d < dims; d++) centroids[j * dims + d] = total[j * dims + d] / count;
      }
      return { inertia: total[k * dims + k], changed: total[k * dims + k + 1], empty };
    },
  },
};

/** Mulberry32: seeded floats in [0, 1). */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Squared distance in f64 between point i and centroid j (for seeding). */
function dist2(points, i, cents, j, dims) {
  let s = 0;
  for (let d = 0; d < dims; d++) {
    const t = points[i * dims + d] - cents[j * dims + d];
    s += t * t;
  }
  return s;
}

/**
 * k-means++ seeding (Arthur & Vassilvitskii): the first centroid is a
 * uniformly random point, each next one a point drawn with probability
 * proportional to its squared distance to the nearest centroid so far (a
 * uniformly random point when every distance is 0). O(n k dims) plain JS.
 */
function seedPlusPlus(points, dims, k, cents, rand) {
  const n = points.length / dims;
  const near = new Float64Array(n).fill(Infinity);
  let pick = Math.floor(rand() * n);
  for (let j = 0; j < k; j++) {
    cents.set(points.subarray(pick * dims, (pick + 1) * dims), j * dims);
    if (j === k - 1) break;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d = dist2(points, i, cents, j, dims);
      if (d < near[i]) near[i] = d;
      total += near[i];
    }
    if (!(total > 0) || !Number.isFinite(total)) {
      pick = Math.floor(rand() * n);
      continue;
    }
    let r = rand() * total;
    pick = n - 1;
    for (let i = 0; i < n; i++) {
      r -= near[i];
      if (r < 0) {
        pick = i;
        break;
      }
    }
  }
}

/** k distinct random points (partial Fisher-Yates on the indexes). */
function seedRandom(points, dims, k, cents, rand) {
  const n = points.length / dims;
  const idx = new Uint32Array(n).map((_, i) => i);
  for (let j = 0; j < k; j++) {
    const r = j + Math.floor(rand() * (n - j));
    [idx[j], idx[r]] = [idx[r], idx[j]];
    cents.set(points.subarray(idx[j] * dims, (idx[j] + 1) * dims), j * dims);
  }
}

/**
 * The iterations of kmeans, as a generator: it yields the arguments of each
 * kmeansStep and receives its result.
 */
function* iterate(rawPoints, dims, k, rawOptions) {
  // The options first: their getters are the caller's last code to run, so
  // none can detach or shrink `points` (or `init`) after it was checked.
  const KEYS = ['maxIter', 'tol', 'seed', 'init'];
  const options = v.ownProps('options', onlyKnownKeys('options', rawOptions, KEYS), KEYS);
  const points = v.typedArray('points', rawPoints, [Float32Array]);
  v.integer('dims', dims, 1, 2 ** 32 - 1);
  if (points.length % dims !== 0) throw outOfRange('points.length', `a multiple of dims (${dims})`, points.length);
  const n = points.length / dims;
  if (n === 0) throw outOfRange('points.length', 'at least one point', 0);
  v.integer('k', k, 1, n);
  const { maxIter = 100, tol = 1e-4, seed = 1, init = 'kmeans++' } = options;
  v.integer('options.maxIter', maxIter, 1, 2 ** 31 - 1);
  v.number('options.tol', tol);
  if (!(tol >= 0)) throw outOfRange('options.tol', 'a number >= 0', tol);
  v.integer('options.seed', seed, 0, 2 ** 32 - 1);

  const centroids = shared.float32(k * dims);
  if (v.kindOf(init) !== undefined) {
    const start = v.typedArray('options.init', init, [Float32Array]);
    if (start.length !== k * dims) throw outOfRange('options.init.length', `k * dims = ${k * dims}`, start.length);
    centroids.set(start);
  } else if (init === 'kmeans++') {
    seedPlusPlus(points, dims, k, centroids, random(seed));
  } else if (init === 'random') {
    seedRandom(points, dims, k, centroids, random(seed));
  } else {
    throw invalidArgType('options.init', "'kmeans++', 'random' or a Float32Array of k * dims centroids", init);
  }
  const labels = shared.int32(n).fill(-1);

  let prev = Infinity;
  let last = null;
  let converged = false;
  let iterations = 0;
  while (iterations < maxIter) {
    last = yield [points, dims, centroids, labels];
    iterations++;
    // No label moved: the centroids just computed are those of the step
    // before, so this is a fixed point. Otherwise stop once the inertia
    // (which Lloyd's algorithm never increases) improves by <= tol.
    if (last.changed === 0 || (prev !== Infinity && prev - last.inertia <= tol * prev)) {
      converged = true;
      break;
    }
    prev = last.inertia;
  }
  return { centroids, labels, inertia: last.inertia, empty: last.empty, iterations, converged };
}

/**
 * Runs k-means to convergence. `runStep(points, dims, centroids, labels)`
 * runs one kmeansStep: `sabre.kernels.kmeansStep` gives a synchronous run
 * (the result is returned), a pool's `kernels.kmeansStep` an asynchronous
 * one (a Promise of the result is returned).
 *
 * options: maxIter (default 100); tol (default 1e-4: stop when an iteration
 * lowers the inertia by at most tol times its previous value; 0 runs until
 * no label changes); seed (default 1); init: 'kmeans++' (default), 'random'
 * (k distinct points) or a Float32Array of k * dims starting centroids.
 *
 * Returns { centroids, labels, inertia, empty, iterations, converged }:
 * centroids (Float32Array, k x dims) and labels (Int32Array) are on a
 * SharedArrayBuffer; inertia is the sum of squared distances of the last
 * assignment; a cluster that loses all its points keeps its centroid and is
 * counted in `empty`.
 */
function kmeans(runStep, points, dims, k, options = {}) {
  if (typeof runStep !== 'function') throw invalidArgType('runStep', 'a function', runStep);
  const steps = iterate(points, dims, k, options);
  let next = steps.next();
  while (!next.done) {
    const out = runStep(...next.value);
    if (out && typeof out.then === 'function') return finishAsync(runStep, steps, out);
    next = steps.next(out);
  }
  return next.value;
}

async function finishAsync(runStep, steps, pending) {
  let next = steps.next(await pending);
  while (!next.done) next = steps.next(await runStep(...next.value));
  return next.value;
}

// Not enumerable: js/kernels/index.js takes every enumerable export for a kernel.
Object.defineProperty(specs, 'kmeans', { value: kmeans });

module.exports = specs;
