'use strict';
// V8's `gc` function without starting Node with --expose-gc: the flag is
// switched on for one new context only. It is process-wide, so every thread
// that does this switches it under one lock (`gcLock`, holding the holder's
// threadId: the pool releases it if a worker is ended while it holds it,
// see pool/slots.js). Used where sabre itself keeps memory that the
// collector cannot see: pool workers handed caller buffers (worker.js) and
// shared-memory allocations whose arrays died (shared-memory.js).

const v8 = require('node:v8');
const vm = require('node:vm');
const { isMainThread, threadId, workerData } = require('node:worker_threads');

/** The lock of this process: made by the main thread, handed to pool workers as workerData.gcLock. */
const gcLock = isMainThread || !workerData?.gcLock ? new Int32Array(new SharedArrayBuffer(4)) : workerData.gcLock;

let reached;
/** V8's `gc(options)`, or null when it cannot be reached (then callers go without). */
function reachGc() {
  if (reached !== undefined) return reached;
  for (let held; (held = Atomics.compareExchange(gcLock, 0, 0, threadId)) !== 0; ) Atomics.wait(gcLock, 0, held, 10);
  try {
    v8.setFlagsFromString('--expose-gc');
    reached = vm.runInNewContext('typeof gc === "function" ? gc : null');
  } catch {
    reached = null;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
    Atomics.compareExchange(gcLock, 0, threadId, 0);
    Atomics.notify(gcLock, 0);
  }
  return reached;
}

/** A thread ended while it held the lock (see reachGc): switch the flag back off and free the lock. */
function releaseGcLock(holder) {
  if (Atomics.compareExchange(gcLock, 0, holder, 0) !== holder) return;
  v8.setFlagsFromString('--no-expose-gc');
  Atomics.notify(gcLock, 0);
}

module.exports = { gcLock, reachGc, releaseGcLock };
