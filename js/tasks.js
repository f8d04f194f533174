'use strict';
// The life of one chunk sent to a worker (a "task"), kept in shared memory so
// that the main thread knows it even when the worker dies without a word.
//
//   QUEUED ──worker starts──▶ RUNNING ──worker, before its first write──▶ COMMITTING ──▶ COMMITTED
//     │                         │ └──worker, a chunk that writes nothing, computed──▶ FINISHED
//     │                         │                                                      │
//     └──── main cancels ───────┴──────────────────────────────────────────────────────┴──▶ CANCELLED
//
// Every transition out of QUEUED or RUNNING is a compare-and-swap, so the
// worker's "I start writing" and the main thread's "this chunk must not be
// written" can never both win. That gives the pool its promises:
//   - exactly once: a task found COMMITTED after its worker died was written
//     and is never run again (its value, if it has one, was posted before the
//     first write); one found QUEUED, RUNNING or FINISHED wrote nothing and
//     is retried;
//   - nothing writes after settle: a call settles once each of its tasks is
//     CANCELLED, COMMITTED (its write is over) or answered; a worker can
//     only begin writing from RUNNING;
//   - on time: cancelling a task that waits behind another call's chunk, or
//     one still computing, needs no answer from the worker.
// Chunks that write nothing (reductions) end FINISHED: computed, their value
// only in the reply the worker has not sent yet. A worker sends one reply for
// a batch of chunks (js/protocol.js), so one that dies may leave several
// FINISHED: each is run again (harmless: it wrote nothing) without counting
// an attempt against it, since it was not the chunk the worker died in (that
// one is the RUNNING one). The main thread may cancel a FINISHED task: its
// value is dropped.
//
// A slot is released only once the worker has answered for it (or died), so
// a stale task can never see a recycled slot. Slots live in blocks of 1024
// Int32s, each block sent to a worker once; a message names its slot by
// (block, index), which costs less than a SharedArrayBuffer per task.

const QUEUED = 0;
const RUNNING = 1;
const COMMITTING = 2;
const COMMITTED = 3;
const CANCELLED = 4;
const FINISHED = 5;

const BLOCK = 1024;

/** The main thread's allocator of task slots. */
class TaskStates {
  constructor() {
    this.blocks = [];
    this.free = [];
  }

  /** A slot set to QUEUED: `{ view, index, block }`. */
  acquire() {
    if (this.free.length === 0) {
      const block = this.blocks.push(new Int32Array(new SharedArrayBuffer(4 * BLOCK))) - 1;
      for (let i = BLOCK - 1; i >= 0; i--) this.free.push(block * BLOCK + i);
    }
    const id = this.free.pop();
    const block = Math.floor(id / BLOCK);
    const ref = { view: this.blocks[block], block, index: id % BLOCK };
    Atomics.store(ref.view, ref.index, QUEUED);
    return ref;
  }

  /** Only once the worker has answered for this task or has exited. */
  release(ref) {
    this.free.push(ref.block * BLOCK + ref.index);
  }
}

const read = (ref) => Atomics.load(ref.view, ref.index);

/**
 * Main thread: stops a task that has not begun writing. True when it is
 * CANCELLED now (by this call or before); false when the worker already
 * began or finished its write-back.
 */
function cancel(ref) {
  for (;;) {
    const s = Atomics.load(ref.view, ref.index);
    if (s === CANCELLED) return true;
    if (s !== QUEUED && s !== RUNNING && s !== FINISHED) return false;
    if (Atomics.compareExchange(ref.view, ref.index, s, CANCELLED) === s) return true;
  }
}

/** Main thread: cancels a task only if its worker has not started it. */
const cancelQueued = (ref) => Atomics.compareExchange(ref.view, ref.index, QUEUED, CANCELLED) === QUEUED;

// Worker side: the slot is `view[index]` of a block it was sent. (The
// write-back's own transitions are written out inline in worker.js.)
const start = (view, index) => Atomics.compareExchange(view, index, QUEUED, RUNNING) === QUEUED;
/** Worker side: a chunk that writes nothing was computed; false if it was cancelled meanwhile (its value is dropped). */
const finish = (view, index) => Atomics.compareExchange(view, index, RUNNING, FINISHED) === RUNNING;

module.exports = {
  TaskStates,
  QUEUED,
  RUNNING,
  COMMITTING,
  COMMITTED,
  CANCELLED,
  FINISHED,
  read,
  cancel,
  cancelQueued,
  start,
  finish,
};
