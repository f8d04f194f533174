'use strict';
// Which chunk goes to which worker, and when.
//
// Calls with chunks to send wait in a ReadyQueue; idle workers take the next
// chunk of the next call in round-robin order, so a slow worker never holds
// the others back and a long call does not starve a short one behind it. A
// worker holds at most PIPELINE chunks: the one it runs and one queued
// behind it. When nothing is left to send, an idle worker takes over a chunk
// still queued behind another worker's running one (`#steal`).

const { performance } = require('node:perf_hooks');
const debuglog = require('node:util').debuglog('sabre');
const tasks = require('../tasks');
const { detach } = require('./calls');

/**
 * Chunks a worker may hold at once: the one it runs and one queued behind
 * it, so it starts the next chunk without waiting a round trip for it. With
 * one, a 1-thread pool measured 17-40 % slower than the direct call on
 * ~1 ms chunks (the worker idled while the main thread handled its reply).
 */
const PIPELINE = 2;
/** A chunk queued behind one that has run this long moves to an idle worker. */
const STEAL_AFTER_MS = 2;

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
  #pool; // { workers, calls, dispatch, reffed }

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
   * Gives every idle worker a chunk first, then a second one to queue behind
   * the running one, but only while more chunks wait than there are workers:
   * near the end of the work a queued chunk would sit behind a slow worker
   * while another one idles. When nothing is left to send, an idle worker
   * takes over a chunk still queued behind another worker's running one.
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
        if (!slot.accepts || slot.tasks.length !== depth) continue;
        if (depth > 0 && this.#pending <= workers.slots.size) return;
        const call = this.#nextCall();
        if (!call) return;
        this.#pending--;
        this.#pool.dispatch(slot, call, call.takeChunk());
      }
    }
  }

  /** The next call with a chunk to send: each turn moves it to the back. */
  #nextCall() {
    for (let call = this.#ready.first(); call !== null; call = this.#ready.first()) {
      this.#ready.delete(call);
      if (!call.hasPending()) continue;
      // Moved to the back only if it has more after the chunk taken now.
      if (call.retry.length + (call.chunks - call.next) > 1) this.#ready.add(call);
      return call;
    }
    return null;
  }

  /**
   * Moves one task queued behind another worker's running chunk to an idle
   * worker's queue; true if one moved. Only behind a chunk that has run for
   * STEAL_AFTER_MS: with chunks of ~1 ms the victim starts the queued one
   * about as soon as the idle worker could, and moving it costs a message
   * each way (measured: 7-25 % slower small-chunk calls when it moved at
   * once). A worker that falls idle before that arms a timer to look again.
   */
  #steal() {
    const { slots } = this.#pool.workers;
    let idle = false;
    for (const slot of slots) if (slot.idle) idle = true;
    if (!idle) return false;
    const now = performance.now();
    let soonest = Infinity;
    for (const victim of slots) {
      if (victim.tasks.length < 2) continue;
      const ranFor = now - victim.tasks[0].headAt;
      for (let i = victim.tasks.length - 1; i >= 1; i--) {
        const task = victim.tasks[i];
        if (task.call === null) continue;
        if (ranFor < STEAL_AFTER_MS) {
          soonest = Math.min(soonest, STEAL_AFTER_MS - ranFor);
          continue;
        }
        if (!tasks.cancelQueued(task.ref)) continue;
        const call = detach(task);
        debuglog('call %d: chunk %d moved off a busy worker', call.request.id, task.index);
        this.#pool.calls.requeue(call, task.index, null);
        return true;
      }
    }
    if (soonest !== Infinity) this.#lookAgainIn(soonest);
    return false;
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

module.exports = { Scheduler, ReadyQueue, PIPELINE, STEAL_AFTER_MS };
