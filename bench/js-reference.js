'use strict';
// Plain JavaScript versions of the kernels: what a Node user writes by hand
// today, on the main thread. The benchmark's baseline, so each one is the
// idiomatic fast version: typed arrays, one pass where one pass does, no
// allocation in the loop, the same algorithm as the Rust kernel where the
// algorithm matters (sieve, blocked work is left to the JIT). Results equal
// sabre's, or (where sabre rounds each f32 operation or compensates a sum)
// agree to rounding; bench/run.js checks that at the small size.

function scale(x, a) {
  for (let i = 0; i < x.length; i++) x[i] *= a;
  return x;
}

function axpy(y, a, x) {
  for (let i = 0; i < y.length; i++) y[i] += a * x[i];
  return y;
}

function axpby(y, a, x, b) {
  for (let i = 0; i < y.length; i++) y[i] = a * x[i] + b * y[i];
  return y;
}

function clamp(x, lo, hi) {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    x[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return x;
}

function abs(x) {
  for (let i = 0; i < x.length; i++) x[i] = Math.abs(x[i]);
  return x;
}

function sqrt(x) {
  for (let i = 0; i < x.length; i++) x[i] = Math.sqrt(x[i]);
  return x;
}

/** What a Node user writes: TypedArray#sort (numeric, NaN last), in place. */
function sort(x) {
  return x.sort();
}

function invert(b) {
  for (let i = 0; i < b.length; i++) b[i] = 255 - b[i];
  return b;
}

function grayscale(p) {
  for (let i = 0; i < p.length; i += 4) {
    const y = (77 * p[i] + 150 * p[i + 1] + 29 * p[i + 2] + 128) >> 8;
    p[i] = y;
    p[i + 1] = y;
    p[i + 2] = y;
  }
  return p;
}

/** A 256-entry table, then three lookups per pixel (as the Rust kernel). */
function brightnessContrast(p, brightness, contrast) {
  const c = Math.round(contrast * 256);
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) {
    const out = (((v - 128) * c + 128) >> 8) + 128 + brightness;
    lut[v] = out < 0 ? 0 : out > 255 ? 255 : out;
  }
  for (let i = 0; i < p.length; i += 4) {
    p[i] = lut[p[i]];
    p[i + 1] = lut[p[i + 1]];
    p[i + 2] = lut[p[i + 2]];
  }
  return p;
}

function threshold(b, t) {
  for (let i = 0; i < b.length; i++) b[i] = b[i] >= t ? 255 : 0;
  return b;
}

function xorKey(b, key) {
  const k = key.length;
  let j = 0;
  for (let i = 0; i < b.length; i++) {
    b[i] ^= key[j];
    if (++j === k) j = 0;
  }
  return b;
}

/** Neumaier-compensated sum (one chain; sabre sums 8 chains). */
function sum(x) {
  let s = 0;
  let c = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const t = s + v;
    c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
    s = t;
  }
  return s + c;
}

function dot(x, y) {
  let s = 0;
  let c = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] * y[i];
    const t = s + v;
    c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
    s = t;
  }
  return s + c;
}

/** Math.min's rules: NaN wins, -0 < 0 (checked only when the minimum is 0). */
function min(x) {
  let m = Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v < m) m = v;
    else if (v !== v) return NaN; // eslint-disable-line no-self-compare
  }
  if (m === 0) for (let i = 0; i < x.length; i++) if (Object.is(x[i], -0)) return -0;
  return m;
}

function max(x) {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v > m) m = v;
    else if (v !== v) return NaN; // eslint-disable-line no-self-compare
  }
  if (Object.is(m, -0)) for (let i = 0; i < x.length; i++) if (Object.is(x[i], 0)) return 0;
  return m;
}

/** Two passes: the mean, then the squared deviations (no Σx² − n·mean² cancellation). */
function meanVariance(x) {
  const n = x.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i];
  const mean = s / n;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - mean;
    m2 += d * d;
  }
  return { mean, variance: m2 / n, sampleVariance: n < 2 ? NaN : m2 / (n - 1), n };
}

function histogram(b) {
  const counts = new Uint32Array(256);
  for (let i = 0; i < b.length; i++) counts[b[i]]++;
  return Float64Array.from(counts);
}

function linearRegression(x, y) {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: (sxy * sxy) / (sxx * syy), n };
}

/** Odd primes up to `limit` (a plain sieve). */
function basePrimes(limit) {
  const composite = new Uint8Array(limit + 1);
  const base = [];
  for (let i = 3; i <= limit; i += 2) {
    if (!composite[i]) {
      base.push(i);
      for (let j = i * i; j <= limit; j += 2 * i) composite[j] = 1;
    }
  }
  return base;
}

const SEGMENT = 1 << 18;

/**
 * Segmented sieve of Eratosthenes over odd numbers in windows of 2^18 (the
 * Rust kernel's algorithm): calls `f(seg, n, segLo)` with seg[i] = 1 iff
 * segLo + 2i is prime, for the odd numbers of [max(lo, 3), hi).
 */
function sieveOdd(lo, hi, f) {
  const start = Math.max(lo, 3) | 1;
  if (start >= hi) return;
  const base = basePrimes(Math.floor(Math.sqrt(hi - 1)));
  const seg = new Uint8Array(SEGMENT);
  for (let segLo = start; segLo < hi; segLo += 2 * SEGMENT) {
    const n = Math.min(SEGMENT, Math.ceil((hi - segLo) / 2));
    seg.fill(1, 0, n);
    const segHi = segLo + 2 * n;
    for (let b = 0; b < base.length; b++) {
      const p = base[b];
      const sq = p * p;
      if (sq >= segHi) break;
      let m = sq >= segLo ? sq : Math.ceil(segLo / p) * p;
      if (m % 2 === 0) m += p;
      for (let i = (m - segLo) / 2; i < n; i += p) seg[i] = 0;
    }
    f(seg, n, segLo);
  }
}

function countPrimes(lo, hi) {
  let count = lo <= 2 && 2 < hi ? 1 : 0;
  sieveOdd(lo, hi, (seg, n) => {
    for (let i = 0; i < n; i++) count += seg[i];
  });
  return count;
}

function markPrimes(out, lo) {
  out.fill(0);
  const hi = lo + out.length;
  let count = 0;
  if (lo <= 2 && 2 < hi) {
    out[2 - lo] = 1;
    count++;
  }
  sieveOdd(lo, hi, (seg, n, segLo) => {
    for (let i = 0, at = segLo - lo; i < n; i++, at += 2) {
      out[at] = seg[i];
      count += seg[i];
    }
  });
  return count;
}

function mandelbrot(out, v) {
  const { width, height, xMin = -2, xMax = 1, yMin = -1.5, yMax = 1.5, maxIter = 256 } = v;
  const dx = (xMax - xMin) / width;
  const dy = (yMax - yMin) / height;
  for (let row = 0; row < height; row++) {
    const cy = yMin + row * dy;
    for (let col = 0; col < width; col++) {
      const cx = xMin + col * dx;
      let x = 0;
      let y = 0;
      let k = 0;
      while (k < maxIter) {
        const x2 = x * x;
        const y2 = y * y;
        if (x2 + y2 > 4) break;
        y = 2 * x * y + cy;
        x = x2 - y2 + cx;
        k++;
      }
      out[row * width + col] = Math.floor((255 * k) / maxIter);
    }
  }
  return out;
}

/**
 * Separable Gaussian blur of RGBA in integer arithmetic, edges clamped: a
 * vertical pass into one row of 8.8 fixed point, then a horizontal pass, row
 * by row (radius ceil(3 sigma), taps rounded to sum to 65536 as sabre's).
 */
function gaussianBlur(out, input, width, height, sigma) {
  const r = Math.ceil(3 * sigma);
  const f = new Float64Array(r + 1);
  let total = 0;
  for (let i = 0; i <= r; i++) {
    f[i] = Math.exp(-(i * i) / (2 * sigma * sigma));
    total += i === 0 ? f[i] : 2 * f[i];
  }
  const w = new Uint32Array(r + 1);
  let left = 65536;
  for (let i = r; i >= 1; i--) {
    w[i] = Math.floor((f[i] * 65536) / total);
    left -= 2 * w[i];
  }
  w[0] = left;
  const row = 4 * width;
  const v = new Uint32Array(row);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < row; x++) {
      let s = w[0] * input[y * row + x];
      for (let j = 1; j <= r; j++) {
        const up = y - j < 0 ? 0 : y - j;
        const down = y + j >= height ? height - 1 : y + j;
        s += w[j] * (input[up * row + x] + input[down * row + x]);
      }
      v[x] = (s + 128) >>> 8;
    }
    const o = y * row;
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 4; c++) {
        let s = w[0] * v[4 * x + c];
        for (let i = 1; i <= r; i++) {
          const l = x - i < 0 ? 0 : x - i;
          const rr = x + i >= width ? width - 1 : x + i;
          s += w[i] * (v[4 * l + c] + v[4 * rr + c]);
        }
        out[o + 4 * x + c] = (s + 8388608) >>> 24;
      }
    }
  }
  return out;
}

/** C = A·B, row-major, i-k-j order so the inner loop streams rows of B and C. */
function matmul(c, a, b, m, k, n) {
  c.fill(0);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
    }
  }
  return c;
}

/** One drift-kick-drift leapfrog step of direct-sum gravity (as src/kernels/nbody.rs). */
function nbodyStep(pos, vel, mass, dt, softening) {
  const n = mass.length;
  const h = dt / 2;
  const eps2 = softening * softening;
  const hx = new Float64Array(n);
  const hy = new Float64Array(n);
  const hz = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    hx[j] = pos[3 * j] + vel[3 * j] * h;
    hy[j] = pos[3 * j + 1] + vel[3 * j + 1] * h;
    hz[j] = pos[3 * j + 2] + vel[3 * j + 2] * h;
  }
  for (let i = 0; i < n; i++) {
    const xi = hx[i];
    const yi = hy[i];
    const zi = hz[i];
    let ax = 0;
    let ay = 0;
    let az = 0;
    for (let j = 0; j < n; j++) {
      const dx = hx[j] - xi;
      const dy = hy[j] - yi;
      const dz = hz[j] - zi;
      const r2 = dx * dx + dy * dy + dz * dz + eps2;
      if (r2 === 0) continue;
      const f = mass[j] / (r2 * Math.sqrt(r2));
      ax += dx * f;
      ay += dy * f;
      az += dz * f;
    }
    const vx = vel[3 * i] + ax * dt;
    const vy = vel[3 * i + 1] + ay * dt;
    const vz = vel[3 * i + 2] + az * dt;
    vel[3 * i] = vx;
    vel[3 * i + 1] = vy;
    vel[3 * i + 2] = vz;
    pos[3 * i] = xi + vx * h;
    pos[3 * i + 1] = yi + vy * h;
    pos[3 * i + 2] = zi + vz * h;
  }
  return pos;
}

/** One Lloyd iteration: nearest centroid per point, then the means. */
function kmeansStep(points, dims, centroids, labels) {
  const k = centroids.length / dims;
  const n = labels.length;
  const sums = new Float64Array(k * dims);
  const counts = new Float64Array(k);
  let inertia = 0;
  let changed = 0;
  for (let i = 0; i < n; i++) {
    const p = i * dims;
    let best = 0;
    let bestD = Infinity;
    for (let j = 0; j < k; j++) {
      const c = j * dims;
      let d = 0;
      for (let t = 0; t < dims; t++) {
        const e = points[p + t] - centroids[c + t];
        d += e * e;
      }
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    }
    if (labels[i] !== best) {
      labels[i] = best;
      changed++;
    }
    inertia += bestD;
    counts[best]++;
    for (let t = 0; t < dims; t++) sums[best * dims + t] += points[p + t];
  }
  let empty = 0;
  for (let j = 0; j < k; j++) {
    if (counts[j] === 0) {
      empty++;
      continue;
    }
    for (let t = 0; t < dims; t++) centroids[j * dims + t] = sums[j * dims + t] / counts[j];
  }
  return { inertia, changed, empty };
}

module.exports = {
  sqrt,
  sort,
  scale,
  axpy,
  axpby,
  clamp,
  abs,
  invert,
  grayscale,
  brightnessContrast,
  threshold,
  xorKey,
  sum,
  dot,
  min,
  max,
  meanVariance,
  histogram,
  linearRegression,
  countPrimes,
  markPrimes,
  mandelbrot,
  gaussianBlur,
  matmul,
  nbodyStep,
  kmeansStep,
};
