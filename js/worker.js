'use strict';
// Worker entry: instantiates the shared wasm module once, says it is ready,
// then runs one chunk per message. A chunk's results are written back into
// the caller's SharedArrayBuffer only if its call's control flag is still 0
// (not aborted, not failed) when the kernel has returned.

const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const { Engine } = require('./engine');
const { kernelTable } = require('./kernels');
const { serializeError } = require('./errors');

const kernels = kernelTable(workerData.kernelsModule);
const engine = new Engine({ module: workerData.module, gluePath: workerData.gluePath });

parentPort.on('message', (msg) => {
  const t0 = performance.now();
  let reply;
  try {
    const spec = kernels[msg.kernel];
    const value = engine.runChunk(spec, msg.call, msg.start, msg.end, () => Atomics.load(msg.control, 0) === 0);
    reply = { id: msg.id, value, runMs: performance.now() - t0 };
  } catch (err) {
    reply = { id: msg.id, error: serializeError(err), runMs: performance.now() - t0 };
  }
  parentPort.postMessage(reply);
});

parentPort.postMessage({ ready: true });
