'use strict';
// Every message between the pool (js/pool/) and a worker (js/worker.js): its
// shape is declared here, once, and both sides build messages only through
// these constructors and tell them apart only by `type`.
//
// Pool -> worker, on the worker's own MessageChannel port (after each post
// the pool rings the worker's doorbell, see worker.js `serve`):
//   chunk   run one chunk of a pass (a "task"), or a batch of chunks of it
//   forget  drop the cached data of passes that settled
// Worker -> pool, on the worker's parentPort (Node delivers these before the
// worker's 'exit', even when it dies):
//   ready        once, after the worker instantiated its wasm
//   provisional  a chunk's value, posted before its write-back
//   done         a chunk ran (and was written back, if it writes)
//   skipped      a chunk was cancelled before it could write
//   error        a chunk failed
//   batch        the replies (done, skipped, error) for every chunk of a batch
//
// A batch is several chunks of one pass in one message, each still a task of
// its own (its own id and state slot, so its own fate when a worker dies or a
// call is cancelled), run one after another exactly as if sent alone; the
// worker answers them all in one `batch` message. One message each way per
// batch instead of per chunk: with chunks of ~0.1 ms (a 2^18-element sum),
// the round trip cost about as much as the work (js/pool/scheduler.js sizes
// the batches). A batch of one is the plain `chunk` and its plain reply.
//
// Per-pass data (the kernel name and the prepared arguments) crosses to a
// worker once per pass, with the first chunk of it that worker gets; the
// worker keeps it by pass id until told to forget it (a `forget` message, a
// chunk's `forget` list, or a chunk marked `last`). A worker that died took
// its cache with it: the pool sends the data again to the next one.

/** Message types. */
const CHUNK = 'chunk';
const FORGET = 'forget';
const READY = 'ready';
const PROVISIONAL = 'provisional';
const DONE = 'done';
const SKIPPED = 'skipped';
const ERROR = 'error';
const BATCH = 'batch';
const ENVELOPE = 'envelope';

/**
 * The worker's `workerData`: what it needs before its first message.
 * module: the compiled WebAssembly.Module of sabre's kernels (shared, not copied)
 * gluePath: wasm-bindgen glue to instantiate it with (undefined: the default)
 * kernelsModule: the kernel table's module (a test build may add kernels)
 * port: the receiving end of the pool's MessageChannel
 * doorbell: Int32Array(1) on a SharedArrayBuffer, bumped after each post
 * gcLock: Int32Array(1) shared by every pool of the process (see js/gc.js)
 * atomics: whether the worker serves its port synchronously when busy
 */
function workerInit({ module, gluePath, kernelsModule, port, doorbell, gcLock, atomics }) {
  return { module, gluePath, kernelsModule, port, doorbell, gcLock, atomics };
}

/**
 * Run one chunk (or a batch: `more`). `fields`:
 * id: the task's number, echoed in every reply about it
 * pass: the id of the pass (one per Call) the chunk belongs to
 * data: `{ kernel, args }` of the pass, on the first chunk of it this worker
 *   gets (then cached by `pass`), else undefined
 * last: the pool sends this worker no more chunks of this pass: drop its
 *   data after this chunk
 * start, end: the chunk's units [start, end)
 * block, index: the task's state slot, `blocks[block][index]` (js/tasks.js)
 * blocks: task-state blocks this worker has not been sent yet, or undefined
 * load: a user declaration `{ filename, module }` this worker has not
 *   loaded yet, or undefined
 * forget: ids of settled passes whose data to drop first, or undefined
 * attach: `{ id, module, memory, ctx }` of a shared memory (js/shared-memory.js
 *   workerContext) this worker has no instance on yet, or undefined
 * more: the batch's further chunks, run after this one in order, as one
 *   flat array of numbers, MORE_FIELDS per chunk: `id, start, end, block,
 *   index` as above (flat: cheaper to clone than an array of objects); or
 *   undefined for a chunk sent alone. `last` then holds after the last of them.
 * relaxed: the fused module (WebAssembly.Module, js/relaxed.js) with this
 *   worker's first chunk that runs on it, or undefined
 */
function chunk(fields) {
  const { id, pass, last, start, end, block, index } = fields;
  // The optional fields are left out rather than sent as undefined: every
  // key costs the structured clone of every chunk.
  const msg = { type: CHUNK, id, pass, last, start, end, block, index };
  for (const key of OPTIONAL_CHUNK_FIELDS) if (fields[key] !== undefined) msg[key] = fields[key];
  return msg;
}

const OPTIONAL_CHUNK_FIELDS = ['data', 'blocks', 'load', 'forget', 'attach', 'more', 'relaxed'];

/** Numbers per chunk in a chunk message's `more`. */
const MORE_FIELDS = 5;

/**
 * Per-pass data: `kernel` the spec's name, `args` its prepared arguments,
 * `memory` the id of the shared memory its chunks run on zero-copy (every
 * split array is there), if they do.
 */
const passData = (kernel, args, memory, inPlace) =>
  memory === undefined ? { kernel, args } : inPlace ? { kernel, args, memory, inPlace } : { kernel, args, memory };

/** Drop the data of passes `passes` (ids): they settled. */
const forget = (passes) => ({ type: FORGET, passes });

/** The worker is ready for chunks. */
const ready = () => ({ type: READY });

/**
 * The value of task `id`, posted before its write-back: kept by the pool if
 * the worker dies after writing, so the chunk is never run again.
 */
const provisional = (id, value) => ({ type: PROVISIONAL, id, value });

/**
 * Task `id` is done. value: its partial result (undefined when it was posted
 * provisionally); runMs: the time it took in the worker.
 */
const done = (id, value, runMs) => ({ type: DONE, id, value, runMs });

/** Task `id` was cancelled before it could write: it did nothing. */
const skipped = (id, runMs) => ({ type: SKIPPED, id, runMs });

/** Task `id` failed; error: a serialized error (js/errors.js serializeError). */
const failed = (id, error, runMs) => ({ type: ERROR, id, error, runMs });

/**
 * The replies for the chunks of a batch, one per chunk in the order they
 * were sent (each a done, skipped or error message). A provisional value is
 * never held back for it: it is posted before its chunk's write-back.
 */
const batch = (replies) => ({ type: BATCH, replies });

/**
 * Several chunk messages of different calls in one (tiny one-chunk calls,
 * js/pool/scheduler.js): the worker handles each as if it had come alone,
 * in order, and answers them all in one `batch` reply. None carries state
 * for the worker (blocks, load, forget, attach, relaxed): a message that
 * does goes alone.
 */
const envelope = (msgs) => ({ type: ENVELOPE, msgs });

module.exports = {
  CHUNK,
  FORGET,
  READY,
  PROVISIONAL,
  DONE,
  SKIPPED,
  ERROR,
  BATCH,
  ENVELOPE,
  MORE_FIELDS,
  workerInit,
  chunk,
  envelope,
  passData,
  forget,
  ready,
  provisional,
  done,
  skipped,
  failed,
  batch,
};
