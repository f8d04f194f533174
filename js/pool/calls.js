'use strict';
// The life of a call on the pool, from submit to settle: Request (what the
// caller asked for), Call (one pass of it over the workers) and Calls, the
// state machine over the live ones.
//
// A call settles exactly once, by one of two doors: `#finish` (every chunk of
// its last pass is done: resolve) or `#maybeSettleFailed` (it failed and no
// task of it is still writing back: reject). Every failure, whatever its
// cause (an error in a chunk, abort, timeout, a crashed worker, destroy, a
// pool that cannot start workers), goes through `fail`, which cancels the
// call's tasks; so nothing of a call is written after it settled, and a
// settled call is unreachable from the pool (its tasks still held by workers
// keep only their state slots, see `detach`).

const { performance } = require('node:perf_hooks');
const debuglog = require('node:util').debuglog('sabre');
const tasks = require('../tasks');
const protocol = require('../protocol');
const { TimeoutError, WorkerCrashError, deserializeError, messageOf } = require('../errors');

/** A chunk whose worker died while running it is tried this many times in all. */
const MAX_ATTEMPTS = 2;

/**
 * What the caller asked for: one promise, one signal, one time limit and one
 * label, whatever the number of passes (see js/executor.js) that compute it.
 */
class Request {
  constructor(id, label, opts, execution) {
    this.id = id;
    this.execution = execution; // its passes and its progress
    this.label = label; // for stats and messages: never an internal pass name
    this.signal = opts.signal; // a Signal (js/options.js) or undefined
    this.timeout = opts.timeout;
    this.onProgress = opts.onProgress;
    this.inPlace = opts.inPlace ?? false; // transactional: false (js/options.js)
    this.pass = null; // the Call now running
    this.enqueuedAt = performance.now();
    this.startedAt = null; // when its first chunk started on a worker
    this.timer = null;
    this.queued = true; // counted in queueSize until a worker takes a chunk
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/** One pass of a request over its data, on the workers: chunks in flight, partial results, tasks. */
class Call {
  constructor(id, request) {
    const pass = request.execution.pass;
    this.id = id; // names the pass in messages (its data is cached by it in workers)
    this.request = request;
    this.pass = pass;
    this.kernel = pass.kernel;
    this.spec = pass.spec;
    this.args = pass.args;
    this.chunks = pass.chunks;
    this.next = 0; // next fresh chunk index
    this.retry = []; // chunk indexes to run again
    this.attempts = null; // chunk index -> runs its workers died in (a Map, made at the first requeue)
    this.partials = new Array(this.chunks);
    this.completed = 0;
    this.tasks = []; // its tasks that workers hold and have not answered (see releaseTask)
    this.zeroCopy = null; // the shared memory it runs in without copies (js/declare.js), if any
    this.pinned = null; // the caller's arrays pinned there while it runs
    this.seenBy = null; // worker slots that hold its data (js/protocol.js): a Set, made when one keeps it (never, for a one-chunk call)
    this.failed = false; // once true, `failure` is what it rejects with (any value a callback threw)
    this.failure = undefined;
    this.settled = false;
    this.readyPrev = undefined; // its neighbours in the ReadyQueue, while in it
    this.readyNext = undefined;
  }

  get label() {
    return this.request.label;
  }

  hasPending() {
    return !this.failed && (this.retry.length > 0 || this.next < this.chunks);
  }

  /** Chunks waiting to be sent. */
  get pending() {
    return this.failed ? 0 : this.retry.length + (this.chunks - this.next);
  }

  /** Takes up to `n` chunks to send (at least one: only while hasPending()), retries first. */
  takeChunks(n) {
    const out = [];
    while (out.length < n && this.hasPending()) out.push(this.retry.length > 0 ? this.retry.shift() : this.next++);
    return out;
  }

  range(index) {
    return this.pass.range(index);
  }
}

/**
 * A chunk sent to a worker: `id` (in messages), its call (null once
 * cancelled: see detach), chunk `index`, state slot `ref` (js/tasks.js),
 * `value` posted before its write-back, `headAt` when its batch began
 * running, `startsBatch`/`endsBatch` on the first/last task of a batch
 * (js/protocol.js).
 */
const newTask = (id, call, index, ref) => ({ id, call, index, ref, value: undefined, headAt: 0, startsBatch: false, endsBatch: false });

/**
 * Removes `task` from `call.tasks`. A call's tasks that workers hold are an
 * array, not a Set: most calls are one chunk and hold one task at a time,
 * and a Set per call was the main thread's largest allocation with many
 * tiny calls in flight (10,000 calls in flight: +40-75 % calls/s with the
 * lazy `seenBy` and this). A call holds at most threads * PIPELINE batches
 * of tasks, so the scan is short.
 */
function releaseTask(call, task) {
  const list = call.tasks;
  const i = list.lastIndexOf(task);
  if (i < 0) return;
  list[i] = list[list.length - 1];
  list.pop();
}

/** Forgets a cancelled task's call (the worker still answers for its slot). */
function detach(task) {
  const call = task.call;
  task.call = null;
  task.value = undefined;
  releaseTask(call, task);
  return call;
}

class Calls {
  live = new Set(); // every call (pass) not yet settled
  unstarted = 0; // requests no worker has taken a chunk of (queueSize)
  #nextRequestId = 1;
  #nextPassId = 1;
  #pool; // { opts, stats, scheduler, workers, emit, refresh, needsDrain }

  constructor(pool) {
    this.#pool = pool;
  }

  newRequest(label, opts, execution) {
    const request = new Request(this.#nextRequestId++, label, opts, execution);
    request.pass = new Call(this.#nextPassId++, request);
    return request;
  }

  /** A checked request starts: counted as queued, its first pass registered. */
  submit(request) {
    this.#pool.stats.callSubmitted(request.label);
    this.unstarted++;
    this.#register(request.pass);
  }

  #register(call) {
    // Zero copy (js/declare.js): decided once per pass, and the arrays pinned
    // from now until the pass ends, so none is freed under a worker.
    call.zeroCopy = call.spec.zeroCopy?.(call.args) ?? null;
    if (call.zeroCopy) {
      call.pinned = call.spec.zeroCopyArrays(call.args);
      call.zeroCopy.pin(call.pinned);
    }
    this.live.add(call);
    this.#pool.scheduler.add(call);
    this.#pool.refresh();
  }

  /** A request leaves the queue (a worker took a chunk, or it settled). */
  leaveQueue(request) {
    if (!request.queued) return;
    const wasFull = this.#pool.needsDrain();
    request.queued = false;
    this.unstarted--;
    if (wasFull && !this.#pool.needsDrain()) queueMicrotask(() => this.#pool.emit('drain'));
  }

  /**
   * A task reached the head of its worker's queue: it (its batch) is running
   * now. The request's time limit counts from its first chunk's start.
   */
  taskStarted(task) {
    const now = performance.now();
    task.headAt = now;
    const request = task.call?.request;
    if (!request || request.startedAt !== null) return;
    request.startedAt = now;
    this.#pool.stats.callStarted(request.label, request.startedAt - request.enqueuedAt);
    if (request.timeout !== undefined) {
      request.timer = setTimeout(() => this.#timeOut(request.pass), request.timeout);
      if (!this.#pool.reffed()) request.timer.unref();
    }
  }

  #timeOut(call) {
    if (call.settled) return;
    const err = new TimeoutError(`sabre: ${call.label} timed out after ${call.request.timeout} ms of run time`, {
      code: 'ERR_SABRE_TIMEOUT',
    });
    // The workers running its chunks may be stuck: end them, once the chunk
    // is cancelled (so it cannot be written) and any other task they hold is
    // moved elsewhere.
    const running = this.#pool.workers.runningChunksOf(call);
    this.fail(call, err);
    for (const slot of running) this.#pool.workers.retire(slot, 'timeout');
  }

  /**
   * Marks a call failed and cancels its tasks; it settles once none of them
   * is writing back (at once, unless one is). The one way a call fails.
   */
  fail(call, err) {
    if (call.failed || call.settled) return;
    call.failed = true;
    call.failure = err;
    this.#pool.scheduler.drop(call);
    // A COMMITTED task's write is over: nothing of it can be written later,
    // so it need not hold the call until its reply, which, in a batch, comes
    // only after the batch's later chunks (cancelled now, so soon skipped).
    for (const task of [...call.tasks]) if (tasks.cancel(task.ref) || tasks.read(task.ref) === tasks.COMMITTED) detach(task);
    this.#pool.stats.callFailed(call.label);
    if (debuglog.enabled) debuglog('call %d failed: %s', call.request.id, messageOf(err));
    this.maybeSettleFailed(call);
  }

  /** Fails every live call with `err` (destroy, a pool that cannot start workers). */
  failAll(err) {
    for (const call of [...this.live]) this.fail(call, err);
  }

  maybeSettleFailed(call) {
    if (call.failed && call.tasks.length === 0 && !call.settled) {
      this.#settle(call);
      call.request.reject(call.failure);
    }
  }

  /**
   * Sends chunk `index` of `call` again. `crash` ({ code, cause }, or null
   * when the chunk was not to blame) counts an attempt; a chunk whose
   * workers died MAX_ATTEMPTS times fails its call.
   */
  requeue(call, index, crash) {
    if (call.failed) return;
    call.attempts ??= new Map();
    const attempts = (call.attempts.get(index) ?? 0) + (crash ? 1 : 0);
    call.attempts.set(index, attempts);
    if (attempts >= MAX_ATTEMPTS) {
      const [s, t] = call.range(index);
      const { code, cause } = crash;
      this.fail(
        call,
        new WorkerCrashError(
          `sabre: ${call.label} failed: the worker running units [${s}, ${t}) died ${attempts} times (last exit code ${code}${cause ? `: ${messageOf(cause)}` : ''})`,
          { code: 'ERR_SABRE_WORKER_CRASHED', cause: cause ?? undefined, kernel: call.label, start: s, end: t },
        ),
      );
      return;
    }
    if (crash) debuglog('call %d: retrying chunk %d', call.request.id, index);
    this.#pool.scheduler.requeue(call, index);
  }

  /** A worker answered for `task`: `reply` is a done, skipped or error message (js/protocol.js). */
  answered(task, reply) {
    const call = task.call;
    if (!call) return;
    releaseTask(call, task);
    if (reply.type === protocol.ERROR) {
      this.#pool.stats.chunkDone(call.label, reply.runMs, task.startsBatch);
      this.fail(call, deserializeError(reply.error));
    } else if (reply.type === protocol.SKIPPED) {
      // Only cancelled tasks are skipped, and those are detached from their
      // call; should one arrive anyway, its chunk is simply sent again.
      this.requeue(call, task.index, null);
    } else {
      this.#pool.stats.chunkDone(call.label, reply.runMs, task.startsBatch);
      this.#chunkDone(call, task.index, task.value !== undefined ? task.value : reply.value);
    }
    this.maybeSettleFailed(call);
  }

  /**
   * The worker holding `task` exited: its state in shared memory says what
   * happened to it. `code` and `cause` (the worker's last error) go into the
   * call's error if it fails of it.
   */
  lost(task, state, code, cause) {
    const call = task.call;
    if (!call) return;
    releaseTask(call, task);
    if (!call.failed) {
      if (state === tasks.COMMITTED) {
        // Written back, but the reply was lost with the worker: done.
        this.#chunkDone(call, task.index, task.value);
      } else if (state === tasks.COMMITTING) {
        const [s, t] = call.range(task.index);
        this.fail(
          call,
          new WorkerCrashError(
            `sabre: ${call.label} failed: the worker writing back units [${s}, ${t}) died mid-write (exit code ${code}); that range may be partly written`,
            { code: 'ERR_SABRE_COMMIT_INTERRUPTED', cause: cause ?? undefined, kernel: call.label, start: s, end: t },
          ),
        );
      } else {
        // QUEUED: never started. FINISHED: computed, its value lost with
        // the batch's reply, not to blame. RUNNING: the worker died computing it.
        this.requeue(call, task.index, state === tasks.RUNNING ? { code, cause } : null);
      }
    }
    this.maybeSettleFailed(call);
  }

  #chunkDone(call, index, value) {
    if (call.failed) return;
    call.partials[index] = value;
    call.completed++;
    const { execution, onProgress } = call.request;
    execution.chunkDone(index);
    if (onProgress) {
      try {
        onProgress(execution.progress());
      } catch (err) {
        this.fail(call, err);
      }
    }
    // onProgress may have failed the call (an abort, or a throw in it).
    if (call.completed === call.chunks && !call.failed) this.#finish(call);
  }

  #finish(call) {
    let out;
    try {
      out = call.request.execution.finishPass(call.partials);
    } catch (err) {
      this.fail(call, err);
      return;
    }
    if (out === null) {
      this.#continue(call);
      return;
    }
    this.#settle(call);
    call.request.resolve(out.value);
  }

  /** Replaces a finished pass by the request's next one. */
  #continue(call) {
    const next = new Call(this.#nextPassId++, call.request);
    call.request.pass = next;
    this.#end(call);
    this.#register(next);
    if (debuglog.enabled) debuglog('call %d continues with %s: %d chunks', call.request.id, next.kernel, next.chunks);
    this.#pool.scheduler.schedule();
  }

  /** A pass is over: unreachable from the pool, its data dropped by the workers. */
  #end(call) {
    call.settled = true;
    if (call.pinned) {
      call.zeroCopy.unpin(call.pinned);
      call.pinned = null;
    }
    this.live.delete(call);
    this.#pool.scheduler.drop(call);
    this.#pool.workers.forget(call);
  }

  #settle(call) {
    this.#end(call);
    const request = call.request;
    clearTimeout(request.timer);
    request.timer = null;
    request.signal?.unlisten();
    this.leaveQueue(request);
    this.#pool.refresh();
    if (this.live.size === 0) this.#pool.emit('idle');
  }
}

module.exports = { Calls, MAX_ATTEMPTS, newTask, detach };
