'use strict';
// The worker file of the piscina mode: what a Node user writes today, a
// worker that runs the very same wasm kernel (through sabre's Engine: the
// same copy into wasm memory and back) on a range of a shared array. Also the
// raw postMessage worker of the dispatch benchmark, when started directly as
// a worker_threads Worker (see bench/dispatch.js).
const path = require('node:path');
const { isMainThread, parentPort, workerData } = require('node:worker_threads');

const dist = path.join(__dirname, '..', '..', 'dist');
const { Engine } = require(path.join(dist, 'engine'));
const { kernels } = require(path.join(dist, 'kernels'));

const engine = new Engine();

/**
 * One task: the chunks `ranges` ([start, end) each) of a prepared call of
 * `kernel`, in order, giving their partial results; or, as the dispatch
 * benchmark's tiny call, the one range [start, end).
 */
function run({ kernel, call, ranges, start, end }) {
  if (!ranges) return engine.runChunk(kernels[kernel], call, start, end);
  return ranges.map(([s, t]) => engine.runChunk(kernels[kernel], call, s, t));
}

module.exports = run;

// Raw postMessage mode: { id, task } in, { id, value } out.
if (!isMainThread && workerData?.raw) {
  parentPort.on('message', ({ id, task }) => parentPort.postMessage({ id, value: run(task) }));
}
