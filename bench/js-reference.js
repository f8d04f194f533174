'use strict';
// Plain JavaScript versions of the kernels: what a Node user writes by hand
// today, on the main thread. The benchmark's baseline.

function scale(x, a) {
  for (let i = 0; i < x.length; i++) x[i] = a * x[i];
  return x;
}

function axpy(y, a, x) {
  for (let i = 0; i < y.length; i++) y[i] = a * x[i] + y[i];
  return y;
}

function invert(b) {
  for (let i = 0; i < b.length; i++) b[i] = 255 - b[i];
  return b;
}

function grayscale(p) {
  for (let i = 0; i < p.length; i += 4) {
    const y = (77 * p[i] + 150 * p[i + 1] + 29 * p[i + 2] + 128) >> 8;
    p[i] = p[i + 1] = p[i + 2] = y;
  }
  return p;
}

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

/** Segmented sieve over odd numbers, the same algorithm as the Rust kernel. */
function countPrimes(lo, hi) {
  let count = lo <= 2 && 2 < hi ? 1 : 0;
  const start = Math.max(lo, 3) | 1;
  if (start >= hi) return count;
  const limit = Math.floor(Math.sqrt(hi - 1));
  const small = new Uint8Array(limit + 1);
  const base = [];
  for (let i = 3; i <= limit; i += 2) {
    if (!small[i]) {
      base.push(i);
      for (let j = i * i; j <= limit; j += 2 * i) small[j] = 1;
    }
  }
  const SEG = 1 << 18;
  const seg = new Uint8Array(SEG);
  for (let segLo = start; segLo < hi; segLo += 2 * SEG) {
    const n = Math.min(SEG, Math.ceil((hi - segLo) / 2));
    seg.fill(1, 0, n);
    const segHi = segLo + 2 * n;
    for (const p of base) {
      const sq = p * p;
      if (sq >= segHi) break;
      let m = sq >= segLo ? sq : Math.ceil(segLo / p) * p;
      if (m % 2 === 0) m += p;
      for (let i = (m - segLo) / 2; i < n; i += p) seg[i] = 0;
    }
    for (let i = 0; i < n; i++) count += seg[i];
  }
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

module.exports = { scale, axpy, invert, grayscale, sum, linearRegression, countPrimes, mandelbrot };
