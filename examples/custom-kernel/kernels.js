'use strict';
// The declaration: which exports of the crate are kernels, how each argument
// is treated, and how chunk results combine. sabre loads this file in every
// worker (by its file name), so it may hold functions.
const fs = require('node:fs');
const path = require('node:path');
const { defineKernels } = require('sabre');

const model = JSON.parse(fs.readFileSync(path.join(__dirname, 'model.json'), 'utf8'));

module.exports = defineKernels(module, {
  wasm: path.join(__dirname, 'pkg', 'custom_kernel.js'), // wasm-pack --target nodejs output
  // Runs once per wasm instance (each worker, and the main thread for direct
  // calls): state every chunk then reuses.
  init: (wasm) => wasm.set_model(Float64Array.from(model.coefficients)),
  kernels: {
    // A map: y and x are split into the same chunks; y is written back.
    polyval: {
      params: [
        { name: 'y', split: 'out', type: Float64Array },
        { name: 'x', split: 'in', type: Float64Array },
      ],
    },
    // A reduction: each chunk returns a number; partials are added in chunk order.
    sumSquares: {
      export: 'sum_squares',
      params: [{ name: 'x', split: 'in', type: Float64Array }],
      combine: (a, b) => a + b,
    },
  },
});
