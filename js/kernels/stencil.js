'use strict';
// Kernel specs: stencils on RGBA images (Gaussian blur). See js/kernels/index.js for the spec fields.
//
// A call is split into bands of rows. Each band loads its rows plus `radius`
// halo rows above and below (fewer at the image's edges) from the input, and
// writes back only its own rows, so the output must not overlap the input.
// The arithmetic is integer (src/kernels/stencil.rs): every split gives the
// same bytes.

const v = require('../validate');
const { outOfRange } = require('../errors');

// Grain, measured on a 2-core x86-64 VM (Node 20, 1024x1024 image, sigma 1,
// 3 and 10): the blur costs 3.0-3.7 ns per "pixel-tap" (one pixel times
// radius + 1 taps, both passes, all four channels; the scalar build without
// +simd128 is 3x slower, so LLVM's u32x4 loops pay). A band does about 2^19
// pixel-taps, 1.5-2 ms.
const BLUR_WORK = 1 << 19;
/** sigma above this is refused: radius 3 * sigma = 300 rows of halo. */
const MAX_SIGMA = 100;
const ONE = 65536;

/**
 * The half kernel w[0..r] of a Gaussian of standard deviation `sigma`,
 * r = ceil(3 sigma), as integers with w[0] + 2 (w[1] + .. + w[r]) = 65536
 * exactly: each tap is rounded down, then the units left over go to the
 * taps with the largest remainders (the centre takes an odd one). Trailing
 * zero taps are dropped. Math.exp is V8's fdlibm port, the same on every
 * platform, so the weights (and the blurred bytes) are reproducible.
 */
function gaussianWeights(sigma) {
  if (sigma === 0) return Uint32Array.of(ONE);
  const r = Math.ceil(3 * sigma);
  const f = new Float64Array(r + 1);
  let total = 0;
  for (let i = 0; i <= r; i++) {
    // The centre is exactly 1: for a sigma so small that 2 sigma^2
    // underflows to 0 the formula would give exp(-0 / 0) = NaN there (and 0
    // for every other tap, which is right: the identity blur).
    f[i] = i === 0 ? 1 : Math.exp(-(i * i) / (2 * sigma * sigma));
    total += i === 0 ? f[i] : 2 * f[i];
  }
  const g = f.map((x) => (x * ONE) / total);
  const w = Uint32Array.from(g, Math.floor);
  let left = ONE - w[0];
  for (let i = 1; i <= r; i++) left -= 2 * w[i];
  if (left % 2 === 1) {
    w[0]++;
    left--;
  }
  const order = Array.from({ length: r }, (_, i) => i + 1);
  order.sort((a, b) => (g[b] - Math.floor(g[b])) - (g[a] - Math.floor(g[a])));
  for (let i = 0; i < left / 2; i++) w[order[i]]++;
  let taps = w.length;
  while (taps > 1 && w[taps - 1] === 0) taps--;
  return w.slice(0, taps);
}

const specs = {
  gaussianBlur: {
    params: ['out', 'input', 'width', 'height', 'sigma'],
    contract: { exports: ['gaussianBlurRgba'] },
    prepare([rawOut, rawInput, width, height, sigma], shared) {
      const out = v.typedArray('out', rawOut, v.BYTES, shared);
      const input = v.typedArray('input', rawInput, v.BYTES, shared);
      v.integer('width', width, 0, 2 ** 31 - 1);
      v.integer('height', height, 0, 2 ** 31 - 1);
      v.number('sigma', sigma);
      if (!(sigma >= 0 && sigma <= MAX_SIGMA)) throw outOfRange('sigma', `a number >= 0 and <= ${MAX_SIGMA}`, sigma);
      const len = 4 * width * height;
      if (out.length !== len) throw outOfRange('out.length', `4 * width * height = ${len}`, out.length);
      if (input.length !== len) throw outOfRange('input.length', `4 * width * height = ${len}`, input.length);
      v.noOverlap('input', input, 'out', out);
      return { out, input, width, height, weights: gaussianWeights(sigma) };
    },
    units: (c) => (c.width === 0 ? 0 : c.height), // rows; none without pixels (one empty chunk, not millions)
    grain: (c) => Math.max(1, Math.floor(BLUR_WORK / (Math.max(1, c.width) * c.weights.length))),
    run(e, c, s, t) {
      // The one empty chunk of an empty image: nothing to blur, and a width
      // whose rows wasm32 could not address (2^31 - 1 with height 0) never reaches it.
      if (t === s) return { writes: [] };
      const row = 4 * c.width;
      const r = c.weights.length - 1;
      const lo = Math.max(0, s - r);
      const hi = Math.min(c.height, t + r);
      const x = e.kernel('gaussianBlurRgba');
      x.load('input', c.input, lo * row, hi * row);
      x.load('weights', c.weights, 0, c.weights.length);
      x.reserve('out', c.out, (t - s) * row);
      x.call(c.width, hi - lo, s - lo, t - s, c.weights.length);
      return { writes: [x.write('out', c.out, s * row, t * row)] };
    },
    combine: (c) => c.out,
  },
};

// Not enumerable: js/kernels/index.js takes every enumerable export for a kernel.
Object.defineProperty(specs, 'gaussianWeights', { value: gaussianWeights });

module.exports = specs;
