'use strict';
// Draws the example's test image (test-image.png): colour gradients, hard
// edges, a checkerboard and thin lines, so that both the grayscale and the
// blur are easy to see. Deterministic: running it again gives the same file.
//   node examples/image/make-test-image.js [out.png]

const fs = require('node:fs');
const path = require('node:path');
const { PNG } = require('pngjs');

const W = 400;
const H = 300;
const rgba = new Uint8Array(W * H * 4);

const set = (x, y, r, g, b) => {
  const i = 4 * (y * W + x);
  rgba[i] = r;
  rgba[i + 1] = g;
  rgba[i + 2] = b;
  rgba[i + 3] = 255;
};

for (let y = 0; y < H; y++) {
  for (let x = 0; x < W; x++) {
    // Background: red grows to the right, blue downwards, green along the diagonal.
    let c = [Math.round((255 * x) / (W - 1)), Math.round((255 * (x + y)) / (W + H - 2)), Math.round((255 * y) / (H - 1))];
    // A white disc with a dark ring around it.
    const d = Math.hypot(x - 110, y - 110);
    if (d < 60) c = [250, 250, 250];
    else if (d < 70) c = [20, 20, 20];
    // A yellow square.
    if (x >= 220 && x < 300 && y >= 40 && y < 120) c = [255, 215, 0];
    // A green triangle.
    if (y >= 170 && y < 270 && Math.abs(x - 90) <= (y - 170) * 0.7) c = [0, 160, 60];
    // A checkerboard of 8-pixel squares: the blur greys it out.
    if (x >= 220 && x < 380 && y >= 160 && y < 280) c = ((x >> 3) + (y >> 3)) & 1 ? [0, 0, 0] : [255, 255, 255];
    // Thin vertical lines, 1 to 4 pixels wide.
    for (const [x0, w] of [[320, 1], [335, 2], [350, 3], [365, 4]]) if (y >= 30 && y < 130 && x >= x0 && x < x0 + w) c = [0, 0, 120];
    set(x, y, ...c);
  }
}

const png = new PNG({ width: W, height: H });
png.data = Buffer.from(rgba.buffer);
const out = process.argv[2] ?? path.join(__dirname, 'test-image.png');
fs.writeFileSync(out, PNG.sync.write(png, { colorType: 2 })); // RGB: the image is opaque
console.log(`${out}: ${W}x${H}, ${fs.statSync(out).size} bytes`);
