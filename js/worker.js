'use strict';
// Worker entry: instantiates the shared wasm module once, says it is ready,
// then runs one chunk per message. A chunk's results are written back into
// the caller's SharedArrayBuffer only if its call's control flag is still 0
// (not aborted, not failed) when the kernel has returned.

const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const { Engine } = require('./engine');
const { kernelTable } = require('./kernels');
const { serializeError } = require('./errors');
const { requireDefinition, specsOf } = require('./custom');

const kernels = { ...kernelTable(workerData.kernelsModule) };
const userEngines = new Map(); // glue path -> Engine of a user's crate
const loadErrors = new Map(); // declaration file -> why it did not load here

/**
 * Loads a user declaration sent with the first chunk of one of its kernels
 * (sent once per worker, so a failure is kept and reported by every chunk).
 */
function loadDefinition({ filename, module }) {
  try {
    const def = requireDefinition(filename);
    userEngines.set(def.wasm, new Engine({ module, gluePath: def.wasm, onInstance: def.init }));
    Object.assign(kernels, specsOf(def));
  } catch (err) {
    loadErrors.set(filename, err);
  }
}

function specOf(name) {
  const spec = kernels[name];
  if (spec) return spec;
  const file = name.slice(0, name.lastIndexOf('#'));
  throw loadErrors.get(file) ?? new Error(`sabre worker: unknown kernel ${name}`);
}

const engine = new Engine({ module: workerData.module, gluePath: workerData.gluePath });

const { port, doorbell, atomics } = workerData;
const flagBlocks = []; // control-flag blocks, sent once each by the pool

function run(msg) {
  const t0 = performance.now();
  if (msg.blocks) flagBlocks.push(...msg.blocks);
  if (msg.load) loadDefinition(msg.load);
  const flags = flagBlocks[msg.block];
  if (Atomics.load(flags, msg.index) !== 0) {
    // Aborted or failed while this chunk waited in the queue: skip it.
    parentPort.postMessage({ id: msg.id, skipped: true, runMs: 0 });
    return;
  }
  let reply;
  try {
    const spec = specOf(msg.kernel);
    const eng = spec.gluePath ? userEngines.get(spec.gluePath) : engine;
    const value = eng.runChunk(spec, msg.call, msg.start, msg.end, () => Atomics.load(flags, msg.index) === 0);
    reply = { id: msg.id, value, runMs: performance.now() - t0 };
  } catch (err) {
    reply = { id: msg.id, error: serializeError(err), runMs: performance.now() - t0 };
  }
  parentPort.postMessage(reply);
}

/**
 * The Atomics fast path (as in piscina): once busy, the worker stops
 * returning to its event loop. It takes queued requests synchronously, and
 * when there are none it sleeps in Atomics.wait on its doorbell, which the
 * pool rings after each postMessage; waking from a futex is quicker than a
 * trip through the event loop. terminate() still interrupts the wait.
 */
function serve() {
  for (;;) {
    const rung = Atomics.load(doorbell, 0);
    const next = receiveMessageOnPort(port);
    if (next) run(next.message);
    else Atomics.wait(doorbell, 0, rung);
  }
}

port.on('message', (msg) => {
  run(msg);
  if (atomics) serve();
});

parentPort.postMessage({ ready: true });
