'use strict';
// Which chunk goes to which worker, and when.
//
// Calls with chunks to send wait in a ReadyQueue; idle workers take the next
// chunks of the next call in round-robin order, so a slow worker never holds
// the others back and a long call does not starve a short one behind it. A
// worker holds at most PIPELINE batches: the one it runs and one queued
// behind it. A batch is chunks of one call (consecutive ones, but for
// retries) sent in one message (js/protocol.js), sized to run for about
// TARGET_BATCH_MS (`#batchSize`). Tiny one-chunk calls waiting together
// (TINY_MS) go to a worker in one message too, an envelope of their chunk
// messages, up to TARGET_BATCH_MS of them (MAX_ENVELOPE at most). When
// nothing is left to send, an idle worker takes over chunks another worker
// has not started (`#steal`).

const { performance } = require('node:perf_hooks');
const debuglog = require('node:util').debuglog('sabre');
const tasks = require('../tasks');
const { detach } = require('./calls');

/**
 * Batches a worker may hold at once: the one it runs and one queued behind
 * it, so it starts the next one without waiting a round trip for it. With
 * one, a 1-thread pool measured 17-40 % slower than the direct call on
 * ~1 ms chunks (the worker idled while the main thread handled its reply).
 */
const PIPELINE = 2;
/** Chunks queued behind a batch that has run this long move to an idle worker. */
const STEAL_AFTER_MS = 2;

/**
 * Batches. Chunk boundaries fix the bits of a reduction, so a chunk cannot
 * grow; but a chunk of 2^18 f64 sums in ~0.1 ms here, about what its round
 * trip costs (a post each way, a structured clone each way, and the main
 * thread's share of a 2-core machine the workers also use). So the pool
 * sends a worker several chunks in one message and gets one reply: a batch
 * runs for about TARGET_BATCH_MS, judged by what chunks of that kernel took
 * so far (per unit, so a pass with another grain is judged right too; an
 * estimate only: batch sizes never change a result). Until it has seen one
 * chunk of a kernel, the pool sends its chunks one by one (the first
 * replies come back while the pipeline's second chunks run). A batch is
 * also capped by what is left of its call (BATCHES_PER_THREAD), and a chunk
 * of a millisecond or more is sent alone, exactly as before batching. Each
 * chunk of a batch stays a task of its own (own state, own reply, progress
 * and stats), so batching changes nothing but the number of messages.
 */
const TARGET_BATCH_MS = 1;
/**
 * A batch is at most 1/(threads * BATCHES_PER_THREAD) of its call's chunks
 * still to send: enough work goes out in at least that many batches per
 * thread, and the end of a call in ever smaller ones (guided scheduling), so
 * a thread that is slower (or, on a shared machine, not scheduled) delays the
 * call by a small batch at most.
 */
const BATCHES_PER_THREAD = 2;
/** At most this many chunks per batch (a batch's message grows by 5 numbers per chunk). */
const MAX_BATCH = 64;
/**
 * At most this many calls per envelope. Every message to a worker that ran
 * dry wakes it, and on this 2-core VM the waker pays for that: an
 * Atomics.notify of a sleeping worker cost the main thread 15 us (p50) to
 * 130 us (p90), ~170 us on average with 10,000 tiny calls in flight, where
 * posting an envelope of 64 parts cost 60 us. With 256 (so ~40 messages,
 * not ~160, for 10,000 calls) the main thread's notify time fell from
 * 20-40 ms to 1-20 ms of a ~130 ms run. An envelope is still bounded by
 * TARGET_BATCH_MS of estimated work.
 */
const MAX_ENVELOPE = 256;
/**
 * A one-chunk call of a kernel whose one-chunk calls take under this (ms)
 * is tiny: tiny calls waiting together go to a worker in one message (an
 * envelope, js/protocol.js), up to TARGET_BATCH_MS of them. One message a
 * call would wake a worker that ran dry for each (the pool holds PIPELINE
 * messages per worker): 10,000 calls in flight ran ~4× slower than a raw
 * postMessage echo.
 */
const TINY_MS = TARGET_BATCH_MS / 4;
/** Weight of the newest chunk in a kernel's running cost estimate. */
const COST_WEIGHT = 0.25;

/**
 * The calls with chunks to send, in round-robin order: a doubly linked list
 * through the calls themselves, so adding, removing and moving a call to the
 * back are O(1) and a removed call is referenced from nowhere. (A Set
 * deleted from its front left holes that every iteration skipped: measured
 * 10-18 % fewer tiny calls per second with 1,000 in flight.)
 */
class ReadyQueue {
  #head = null;
  #tail = null;
  size = 0;

  has(call) {
    return call.readyPrev !== undefined;
  }

  /** Appends `call` unless it is already queued. */
  add(call) {
    if (this.has(call)) return;
    call.readyPrev = this.#tail;
    call.readyNext = null;
    if (this.#tail) this.#tail.readyNext = call;
    else this.#head = call;
    this.#tail = call;
    this.size++;
  }

  delete(call) {
    if (!this.has(call)) return;
    const { readyPrev: prev, readyNext: next } = call;
    if (prev) prev.readyNext = next;
    else this.#head = next;
    if (next) next.readyPrev = prev;
    else this.#tail = prev;
    call.readyPrev = call.readyNext = undefined;
    this.size--;
  }

  first() {
    return this.#head;
  }
}

class Scheduler {
  #ready = new ReadyQueue(); // calls with chunks to send, in round-robin order
  #pending = 0; // chunks of live calls not yet sent to a worker
  #stealTimer = null; // a second look for chunks to move to idle workers
  #cost = new Map(); // kernel (pass) name -> estimated ms per unit in a worker
  #tinyCost = new Map(); // kernel (pass) name -> estimated ms of a one-chunk pass of it
  #pool; // { opts, workers, calls, dispatch, reffed }

  constructor(pool) {
    this.#pool = pool;
  }

  /** Calls with chunks waiting to be sent. */
  get waiting() {
    return this.#ready.size;
  }

  /** A new pass: all its chunks wait. */
  add(call) {
    this.#pending += call.chunks;
    this.#ready.add(call);
  }

  /** Chunk `index` of `call` waits again, ahead of its fresh ones. */
  requeue(call, index) {
    call.retry.unshift(index);
    this.#pending++;
    this.#ready.add(call);
  }

  /** `call` sends nothing more (it failed or is over). */
  drop(call) {
    this.#pending -= call.retry.length + (call.chunks - call.next);
    call.retry = [];
    call.next = call.chunks;
    this.#ready.delete(call);
  }

  /**
   * Gives every idle worker a batch first, then a second one to queue behind
   * the running one, but only while more chunks wait than there are workers:
   * near the end of the work a queued batch would sit behind a slow worker
   * while another one idles. When nothing is left to send, an idle worker
   * takes over chunks still queued behind another worker's running one.
   */
  schedule() {
    for (;;) {
      this.#fill();
      if (this.#ready.size > 0 || !this.#steal()) break;
    }
    this.#pool.workers.grow();
  }

  #fill() {
    const { workers } = this.#pool;
    for (let depth = 0; depth < PIPELINE; depth++) {
      for (const slot of workers.slots) {
        if (!slot.accepts || slot.batches !== depth) continue;
        if (depth > 0 && this.#pending <= workers.slots.size) return;
        const call = this.#nextCall();
        if (!call) return;
        const tiny = this.#isTiny(call);
        const indices = call.takeChunks(this.#batchSize(call));
        this.#pending -= indices.length;
        // Back in the queue (at its end) if it has more after these.
        if (call.hasPending()) this.#ready.add(call);
        if (!tiny) {
          this.#pool.dispatch(slot, call, indices);
          continue;
        }
        // Tiny one-chunk calls: as many as TARGET_BATCH_MS holds go to this
        // worker in one message, while enough wait for the other workers.
        // (A fixed batch size, for tests: that many calls an envelope.)
        const fixed = this.#pool.opts.batchChunks;
        const envelope = [];
        this.#pool.dispatch(slot, call, indices, envelope);
        let budget = TARGET_BATCH_MS - (this.#tinyCost.get(call.kernel) ?? 0);
        for (let k = 1; k < (fixed ?? MAX_ENVELOPE) && (fixed !== undefined || budget > 0) && this.#pending > workers.slots.size; k++) {
          const next = this.#ready.first();
          if (next === null || !next.hasPending() || !this.#isTiny(next)) break;
          this.#ready.delete(next);
          const more = next.takeChunks(1);
          this.#pending -= more.length;
          budget -= this.#tinyCost.get(next.kernel) ?? 0;
          this.#pool.dispatch(slot, next, more, envelope);
        }
        this.#pool.flush(slot, envelope);
      }
    }
  }

  /** The next call with a chunk to send, out of the queue: #fill puts it back at the end if it has more. */
  #nextCall() {
    for (let call = this.#ready.first(); call !== null; call = this.#ready.first()) {
      this.#ready.delete(call);
      if (call.hasPending()) return call;
    }
    return null;
  }

  /**
   * Whether `call` is a tiny one: one chunk, of a kernel whose one-chunk
   * passes have taken under TINY_MS (so several fit one message, #fill);
   * with a fixed batch size (tests) every one-chunk call is.
   */
  #isTiny(call) {
    if (call.chunks !== 1) return false;
    return this.#pool.opts.batchChunks !== undefined || (this.#tinyCost.get(call.kernel) ?? Infinity) < TINY_MS;
  }

  /** Chunks of `call` for the next batch (see TARGET_BATCH_MS). */
  #batchSize(call) {
    const fixed = this.#pool.opts.batchChunks; // tests (js/internal.js)
    if (fixed !== undefined) return Math.max(1, Math.min(fixed, MAX_BATCH));
    const perUnit = this.#cost.get(call.kernel);
    if (perUnit === undefined) return 1;
    const want = Math.ceil(TARGET_BATCH_MS / Math.max(1e-6, perUnit * call.pass.grain));
    const share = Math.ceil(call.pending / (this.#pool.opts.maxThreads * BATCHES_PER_THREAD));
    return Math.max(1, Math.min(want, share, MAX_BATCH));
  }

  /**
   * A chunk (`index` of `call`) ran for `runMs` in a worker: the kernel's
   * cost estimate follows it. Only whole chunks (of the pass's grain) count:
   * a short one (a call's last, or a tiny call) is mostly fixed cost, which
   * per unit would make the kernel look hundreds of times slower.
   */
  observe(call, index, runMs) {
    if (call.chunks === 1) {
      // A one-chunk pass (most often a tiny call): its own estimate, for envelopes.
      const old = this.#tinyCost.get(call.kernel);
      this.#tinyCost.set(call.kernel, old === undefined ? runMs : old + COST_WEIGHT * (runMs - old));
      return;
    }
    const [s, t] = call.range(index);
    const grain = call.pass.grain;
    if (t - s !== grain) return;
    const perUnit = runMs / grain;
    const old = this.#cost.get(call.kernel);
    this.#cost.set(call.kernel, old === undefined ? perUnit : old + COST_WEIGHT * (perUnit - old));
  }

  /**
   * Moves tasks queued behind another worker's running chunk to an idle
   * worker; true if some moved. Only behind a batch that has run for
   * STEAL_AFTER_MS: with chunks of ~1 ms the victim starts the queued one
   * about as soon as the idle worker could, and moving it costs a message
   * each way (measured: 7-25 % slower small-chunk calls when it moved at
   * once). A worker that falls idle before that arms a timer to look again.
   * It takes the back half (at least one) of the victim's chunks not yet
   * started, of the call of its last one: a batch's tail is stolen chunk by
   * chunk (each has its own state; the victim skips the ones taken). The
   * head too, if the victim has not started it STEAL_AFTER_MS after it got
   * there: a worker slow to wake (a halted vCPU, measured up to 3.5 ms
   * here) or busy loading a declaration must not hold a call's chunk.
   */
  #steal() {
    const { slots } = this.#pool.workers;
    let idle = false;
    for (const slot of slots) if (slot.idle) idle = true;
    if (!idle) return false;
    const now = performance.now();
    let soonest = Infinity;
    for (const victim of slots) {
      if (victim.tasks.length === 0) continue;
      const ranFor = now - victim.tasks[0].headAt;
      const queued = this.#stealable(victim);
      if (queued.length === 0) continue;
      if (ranFor < STEAL_AFTER_MS) {
        soonest = Math.min(soonest, STEAL_AFTER_MS - ranFor);
        continue;
      }
      let moved = 0;
      for (let k = queued.length - 1; k >= queued.length - Math.max(1, queued.length >> 1); k--) {
        const task = queued[k];
        if (!tasks.cancelQueued(task.ref)) break; // the victim started it, so every one before it too
        const call = detach(task);
        debuglog('call %d: chunk %d moved off a busy worker', call.request.id, task.index);
        this.#pool.calls.requeue(call, task.index, null);
        moved++;
      }
      if (moved > 0) return true;
    }
    if (soonest !== Infinity) this.#lookAgainIn(soonest);
    return false;
  }

  /** The victim's tasks that may not have started (its head too, if it has not), of the call of its last live one, in order. */
  #stealable(victim) {
    const out = [];
    let call = null;
    for (let i = victim.tasks.length - 1; i >= 0; i--) {
      const task = victim.tasks[i];
      if (task.call === null) continue;
      if (call === null) call = task.call;
      else if (task.call !== call) break;
      if (tasks.read(task.ref) !== tasks.QUEUED) break;
      out.push(task);
    }
    return out.reverse();
  }

  #lookAgainIn(ms) {
    if (this.#stealTimer !== null) return;
    this.#stealTimer = setTimeout(() => {
      this.#stealTimer = null;
      this.schedule();
    }, Math.ceil(ms));
    if (!this.#pool.reffed()) this.#stealTimer.unref();
  }

  /** The steal timer keeps the process alive only while there is work. */
  setRef(busy) {
    if (this.#stealTimer === null) return;
    if (busy) this.#stealTimer.ref();
    else this.#stealTimer.unref();
  }

  /** For good: the timer stays set (cleared), so it is never armed again. */
  stop() {
    clearTimeout(this.#stealTimer);
  }
}

module.exports = { Scheduler, ReadyQueue, PIPELINE, STEAL_AFTER_MS, TARGET_BATCH_MS, MAX_BATCH, MAX_ENVELOPE };
