'use strict';
// The piscina side of the comparison: what a Node user writes today, a worker
// file that runs the very same wasm kernel on a range of a shared array.
const path = require('node:path');
const dist = path.join(__dirname, '..', 'dist');
const { Engine } = require(path.join(dist, 'engine'));
const { kernels } = require(path.join(dist, 'kernels'));

const engine = new Engine();

module.exports = ({ kernel, call, start, end }) => engine.runChunk(kernels[kernel], call, start, end);
