'use strict';
// Grayscale and Gaussian blur of a PNG, on a sabre pool.
//
//   node examples/image [input.png] [output.png] [sigma] [--threads N]
//
// Defaults: the example's test-image.png, out.png next to this file, sigma 3.
// The PNG is decoded to RGBA bytes (pngjs), copied into a SharedArrayBuffer,
// turned gray in place (grayscale, split into byte ranges) and blurred into
// a second shared buffer (gaussianBlur, split into bands of rows, each read
// with a halo of neighbouring rows), then encoded again. Prints one JSON
// object on stdout.

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { PNG } = require('pngjs');
const sabre = require('sabre');

function usage(message) {
  process.stderr.write(`${message}\nusage: node examples/image [input.png] [output.png] [sigma] [--threads N]\n`);
  process.exit(2);
}

const { values, positionals } = (() => {
  try {
    return parseArgs({ allowPositionals: true, options: { threads: { type: 'string' } } });
  } catch (err) {
    return usage(err.message);
  }
})();
if (positionals.length > 3) usage('too many arguments');
const input = positionals[0] ?? path.join(__dirname, 'test-image.png');
const output = positionals[1] ?? path.join(__dirname, 'out.png');
const sigma = Number(positionals[2] ?? 3);
const threads = values.threads === undefined ? undefined : Number(values.threads);
if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) usage(`--threads: expected a positive integer, got ${values.threads}`);

(async () => {
  const ms = {};
  let t = performance.now();
  const lap = (name) => {
    const now = performance.now();
    ms[name] = +(now - t).toFixed(1);
    t = now;
  };

  const png = PNG.sync.read(fs.readFileSync(input)); // always 8-bit RGBA in png.data
  const { width, height } = png;
  const rgba = sabre.shared.uint8(png.data.length);
  rgba.set(png.data);
  const blurred = sabre.shared.uint8(rgba.length); // gaussianBlur writes into a separate buffer
  lap('decode');

  const pool = new sabre.Pool(threads === undefined ? {} : { threads });
  const poolThreads = pool.threads;
  try {
    await pool.kernels.grayscale(rgba); // the first call also waits for the workers to start
    lap('grayscale');
    // sigma is checked by sabre: a RangeError outside [0, 100], before anything is written.
    await pool.kernels.gaussianBlur(blurred, rgba, width, height, sigma);
    lap('blur');
  } catch (err) {
    process.stderr.write(`${err.name}: ${err.message}\n`);
    process.exitCode = 1;
    return;
  } finally {
    await pool.close();
  }

  const out = new PNG({ width, height });
  out.data = Buffer.from(blurred.buffer, blurred.byteOffset, blurred.length);
  fs.writeFileSync(output, PNG.sync.write(out));
  lap('encode');
  process.stderr.write(`${input} (${width}x${height}) -> gray, blur sigma ${sigma} -> ${output}\n`);
  console.log(JSON.stringify({ input, output, width, height, sigma, threads: poolThreads, ms }));
})();
