'use strict';
// The worker pool: workers, the chunk queue, scheduling, failures, shutdown.
//
// A call is split into chunks (js/chunks.js); idle workers pull the next chunk
// of the next call in round-robin order, so a slow worker never holds the
// others back and a long call does not starve a short one behind it. Each
// worker runs one chunk at a time.
//
// Failure model. Chunks are transactional: the worker copies a chunk into its
// own wasm memory and writes it back only after the kernel returned, and only
// while the call's control flag (a shared Int32) is 0. So:
//   - a worker that dies mid-chunk wrote nothing: the chunk is retried once
//     on a fresh worker, then the call fails;
//   - an aborted or failed call sets the flag: chunks still running finish
//     but are not written back, and the promise settles only once they have
//     reported, so nothing touches the caller's buffer after it settles;
//   - a timed-out call terminates the workers running its chunks and settles
//     once they have exited.

const { Worker, MessageChannel } = require('node:worker_threads');
const { EventEmitter } = require('node:events');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const debuglog = require('node:util').debuglog('sabre');
const { kernelTable } = require('./kernels');
const { chunkCount, chunkRange, Continuation } = require('./chunks');
const { Engine, compileModule, defaultGlue } = require('./engine');
const { specsOf, checkDefinition } = require('./custom');
const { Stats } = require('./stats');
const { ControlFlags } = require('./control');
const {
  AbortError,
  TimeoutError,
  QueueFullError,
  PoolClosedError,
  WorkerCrashError,
  SabreError,
  deserializeError,
  invalidArgType,
  outOfRange,
} = require('./errors');

const workerScript = path.join(__dirname, 'worker.js');
/** A chunk whose worker died is tried this many times in all. */
const MAX_ATTEMPTS = 2;
/** Consecutive workers that die before their ready message: give up. */
const MAX_STARTUP_FAILURES = 3;
/**
 * Chunks a worker may hold at once: the one it runs and one queued behind
 * it, so it starts the next chunk without waiting a round trip for it. With
 * one, a 1-thread pool measured 17-40 % slower than the direct call on
 * ~1 ms chunks (the worker idled while the main thread handled its reply).
 */
const PIPELINE = 2;

class Call {
  /** `parent`: the call this one continues (see Continuation); it settles for both. */
  constructor(id, kernel, spec, args, opts, parent = null) {
    this.id = id;
    this.kernel = kernel;
    this.label = spec.displayName ?? kernel; // for stats and messages
    this.spec = spec;
    this.args = args;
    this.units = spec.units(args);
    this.grain = spec.grain(args);
    this.chunks = chunkCount(this.units, this.grain);
    this.next = 0; // next fresh chunk index
    this.retry = []; // chunk indexes to run again
    this.attempts = new Map(); // chunk index -> attempts so far
    this.partials = new Array(this.chunks);
    this.completed = 0;
    this.unitsDone = 0;
    this.inFlight = 0; // chunks sent to workers and not yet answered
    this.control = null; // a flag from ControlFlags, set by the pool
    this.signal = opts.signal;
    this.timeout = opts.timeout;
    this.onProgress = opts.onProgress;
    this.failure = null; // the error this call will reject with
    this.settled = false;
    this.enqueuedAt = performance.now();
    this.startedAt = parent ? parent.startedAt : null;
    this.timer = null;
    if (parent) {
      this.promise = parent.promise;
      this.resolve = parent.resolve;
      this.reject = parent.reject;
      this.onAbort = parent.onAbort;
    } else {
      this.promise = new Promise((resolve, reject) => {
        this.resolve = resolve;
        this.reject = reject;
      });
    }
  }

  hasPending() {
    return this.failure === null && (this.retry.length > 0 || this.next < this.chunks);
  }

  takeChunk() {
    return this.retry.length > 0 ? this.retry.shift() : this.next++;
  }

  range(index) {
    return chunkRange(index, this.units, this.grain);
  }
}

class WorkerSlot {
  constructor(worker) {
    this.worker = worker;
    this.ready = false;
    this.tasks = []; // { call, index, id }, in the order the worker runs them
    this.exiting = false; // terminate() was called on purpose
    this.retired = false; // ended for idleness: not replaced
    this.idleTimer = null;
    this.blocksSent = 0; // control-flag blocks this worker has
    this.loaded = new Set(); // user kernel declarations this worker has
  }
}

function validatePoolOptions(options) {
  if (options === null || typeof options !== 'object') {
    throw invalidArgType('options', 'of type object', options);
  }
  const { threads = os.availableParallelism(), maxQueue = Infinity, idleTimeout = 30_000, atomics = true } = options;
  if (typeof atomics !== 'boolean') throw invalidArgType('options.atomics', 'of type boolean', atomics);
  const count = (name, v) => {
    if (!Number.isInteger(v) || v < 1 || v > 1024) throw outOfRange(name, 'an integer >= 1 and <= 1024', v);
    return v;
  };
  let minThreads;
  let maxThreads;
  if (typeof threads === 'object' && threads !== null) {
    maxThreads = count('options.threads.max', threads.max ?? Math.max(os.availableParallelism(), threads.min ?? 1));
    minThreads = threads.min === undefined ? Math.min(1, maxThreads) : threads.min;
    if (!Number.isInteger(minThreads) || minThreads < 0 || minThreads > maxThreads) {
      throw outOfRange('options.threads.min', `an integer >= 0 and <= threads.max (${maxThreads})`, minThreads);
    }
  } else {
    minThreads = maxThreads = count('options.threads', threads);
  }
  if (!(typeof idleTimeout === 'number' && idleTimeout >= 0 && idleTimeout <= 2 ** 31 - 1)) {
    throw outOfRange('options.idleTimeout', 'a number of milliseconds >= 0 and <= 2^31 - 1', idleTimeout);
  }
  if (maxQueue !== Infinity && (!Number.isInteger(maxQueue) || maxQueue < 0)) {
    throw outOfRange('options.maxQueue', 'a non-negative integer or Infinity', maxQueue);
  }
  if (options.resourceLimits !== undefined && (options.resourceLimits === null || typeof options.resourceLimits !== 'object')) {
    throw invalidArgType('options.resourceLimits', 'of type object', options.resourceLimits);
  }
  return {
    minThreads,
    maxThreads,
    atomics,
    idleTimeout,
    maxQueue,
    resourceLimits: options.resourceLimits,
    gluePath: options[kGluePath] ?? defaultGlue,
    kernelsModule: options[kKernelsModule],
  };
}

function validateCallOptions(opts) {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object') throw invalidArgType('options', 'of type object', opts);
  const { signal, timeout, onProgress } = opts;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalidArgType('options.signal', 'an AbortSignal', signal);
  }
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout > 0 && timeout <= 2 ** 31 - 1)) {
    throw outOfRange('options.timeout', 'a number of milliseconds > 0 and <= 2^31 - 1', timeout);
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw invalidArgType('options.onProgress', 'a function', onProgress);
  }
  return { signal, timeout, onProgress };
}

// Internal options, used by the tests to load the fault-injection build: the
// wasm-bindgen glue to load, and a module whose `kernels` add to the table.
const kGluePath = Symbol.for('sabre.internal.gluePath');
const kKernelsModule = Symbol.for('sabre.internal.kernelsModule');

class ThreadPool extends EventEmitter {
  #opts;
  #module;
  #slots = new Set();
  #calls = []; // calls with chunks not yet dispatched, round-robin order
  #live = new Set(); // every call not yet settled
  #rr = 0;
  #nextCallId = 1;
  #nextTaskId = 1;
  #startupFailures = 0;
  #broken = null; // error once workers cannot start at all
  #closing = null; // promise of close()
  #destroyed = false;
  #stopping = false; // workers are being terminated for good
  #respawnTimers = new Set();
  #flags = new ControlFlags();
  #userModules = new Map(); // declaration file -> compiled WebAssembly.Module
  #unstarted = 0; // live calls whose first chunk has not started (queueSize)
  #pending = 0; // chunks of live calls not yet sent to a worker

  constructor(options = {}) {
    super();
    this.#opts = validatePoolOptions(options);
    this.kernels = { ...kernelTable(this.#opts.kernelsModule) };
    this.#module = compileModule(this.#opts.gluePath);
    this.stats = new Stats();
    for (let i = 0; i < this.#opts.minThreads; i++) this.#spawn();
  }

  get threads() {
    return this.#slots.size;
  }

  /** True while the queue is full; 'drain' is emitted when it has room again. */
  get needsDrain() {
    const queued = this.queueSize;
    return queued > 0 && queued >= this.#opts.maxQueue;
  }

  /**
   * Whether a new call would have to wait: as in piscina, maxQueue bounds the
   * calls that wait, so even `maxQueue: 0` accepts a call an idle worker can
   * start at once.
   */
  #mustQueue() {
    // Workers still starting count as idle: the call starts when they are up.
    let idle = 0;
    for (const slot of this.#slots) if (!slot.exiting && slot.tasks.length === 0) idle++;
    return this.queueSize >= idle;
  }

  /** Calls waiting for their first chunk to start. */
  get queueSize() {
    return this.#unstarted;
  }

  submit(kernel, args, rawOpts) {
    const spec = this.kernels[kernel];
    // Validation throws synchronously in the caller's frame would break the
    // Promise contract: turn it into a rejection, still before any work.
    try {
      const opts = validateCallOptions(rawOpts);
      const prepared = spec.prepare(args, true);
      if (this.#closing || this.#destroyed) {
        throw new PoolClosedError('The pool is closed and accepts no new calls', { code: 'ERR_SABRE_POOL_CLOSED' });
      }
      if (this.#broken) throw this.#broken;
      if (opts.signal?.aborted) {
        throw new AbortError(undefined, { cause: opts.signal.reason });
      }
      if (this.queueSize >= this.#opts.maxQueue && this.#mustQueue()) {
        throw new QueueFullError(`The pool's queue is full (maxQueue ${this.#opts.maxQueue})`, { code: 'ERR_SABRE_QUEUE_FULL' });
      }
      const call = new Call(this.#nextCallId++, kernel, spec, prepared, opts);
      call.control = this.#flags.acquire();
      this.stats.callSubmitted(call.label);
      this.#unstarted++;
      this.#pending += call.chunks;
      this.#live.add(call);
      this.#calls.push(call);
      if (call.signal) {
        call.onAbort = () => this.#fail(call, new AbortError(undefined, { cause: call.signal.reason }));
        call.signal.addEventListener('abort', call.onAbort, { once: true });
      }
      debuglog('call %d %s: %d units in %d chunks', call.id, kernel, call.units, call.chunks);
      this.#updateRefs();
      this.#schedule(); // ends with #grow(): a worker is added if work waits
      return call.promise;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Adds the kernels of a user declaration (sabre.defineKernels) after
   * checking it on this thread; workers load it with their first chunk of it.
   */
  load(def) {
    if (!this.#userModules.has(def?.filename)) {
      const { module } = checkDefinition(def, Engine);
      this.#userModules.set(def.filename, module);
      Object.assign(this.kernels, specsOf(def));
    }
  }

  /**
   * Ends one worker that is running a chunk, abruptly, as if it had crashed:
   * for resilience tests and demos of the retry path. Returns its threadId,
   * or null when no worker is busy.
   */
  simulateCrash() {
    for (const slot of this.#slots) {
      if (slot.tasks.length > 0 && !slot.exiting) {
        slot.simulatedCrash = true;
        slot.worker.terminate();
        return slot.threadId;
      }
    }
    return null;
  }

  /** Adds a worker when work waits, none is idle and the pool is below max. */
  #grow() {
    if (this.#slots.size >= this.#opts.maxThreads || this.#stopping) return;
    for (const slot of this.#slots) if (slot.tasks.length === 0 && !slot.exiting) return;
    if (this.#calls.some((c) => c.hasPending())) this.#spawn();
  }

  /** A worker above `min` that stays idle for `idleTimeout` is ended. */
  #idle(slot) {
    if (this.#slots.size <= this.#opts.minThreads || slot.idleTimer) return;
    slot.idleTimer = setTimeout(() => {
      slot.idleTimer = null;
      if (slot.tasks.length > 0 || this.#slots.size <= this.#opts.minThreads) return;
      debuglog('retiring idle worker %d', slot.worker.threadId);
      slot.exiting = slot.retired = true;
      slot.worker.terminate();
    }, this.#opts.idleTimeout);
    slot.idleTimer.unref();
  }

  #spawn() {
    // Requests go over a dedicated channel so that, with the Atomics fast
    // path, a worker can pull them synchronously (receiveMessageOnPort) after
    // waking on its doorbell instead of waiting for its event loop. Replies
    // come back on the worker's own parentPort.
    const { port1, port2 } = new MessageChannel();
    const doorbell = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(workerScript, {
      workerData: {
        module: this.#module,
        gluePath: this.#opts.gluePath,
        kernelsModule: this.#opts.kernelsModule,
        port: port2,
        doorbell,
        atomics: this.#opts.atomics,
      },
      transferList: [port2],
      resourceLimits: this.#opts.resourceLimits,
      stdout: false,
      stderr: false,
    });
    const slot = new WorkerSlot(worker);
    slot.port = port1;
    slot.doorbell = doorbell;
    slot.threadId = worker.threadId; // worker.threadId is -1 once it exited
    this.#slots.add(slot);
    worker.on('message', (msg) => this.#onMessage(slot, msg));
    worker.on('error', (err) => {
      slot.lastError = err;
      this.emit('workerError', err);
    });
    worker.on('exit', (code) => this.#onExit(slot, code));
    if (this.#live.size === 0) worker.unref();
    debuglog('spawned worker %d', worker.threadId);
  }

  #onMessage(slot, msg) {
    if (msg.ready) {
      slot.ready = true;
      this.#startupFailures = 0;
      this.#schedule();
      if (slot.tasks.length === 0) this.#idle(slot);
      return;
    }
    const task = slot.tasks[0];
    if (!task || task.id !== msg.id) return;
    slot.tasks.shift();
    const { call, index } = task;
    call.inFlight--;
    if (!msg.skipped) this.stats.chunkDone(call.label, msg.runMs);
    if (msg.error) {
      this.#fail(call, deserializeError(msg.error));
    } else if (call.failure === null) {
      call.partials[index] = msg.value;
      call.completed++;
      const [s, t] = call.range(index);
      call.unitsDone += t - s;
      if (call.onProgress) {
        try {
          call.onProgress({ done: call.unitsDone, total: call.units, chunksDone: call.completed, chunks: call.chunks });
        } catch (err) {
          this.#fail(call, err);
        }
      }
      // onProgress may have failed the call (an abort, or a throw in it).
      if (call.completed === call.chunks && call.failure === null) this.#finish(call);
    }
    this.#maybeSettleFailed(call);
    this.#updateRefs();
    this.#schedule();
    if (slot.tasks.length === 0) this.#idle(slot);
  }

  #onExit(slot, code) {
    this.#slots.delete(slot);
    clearTimeout(slot.idleTimer);
    const tasks = slot.tasks;
    slot.tasks = [];
    debuglog('worker %d exited with %d%s', slot.threadId, code, tasks.length ? ' mid-chunk' : '');
    const reason = slot.simulatedCrash ? 'crash' : slot.retired ? 'idle' : slot.exiting ? (tasks.length ? 'timeout' : 'shutdown') : 'crash';
    this.emit('workerExit', { threadId: slot.threadId, code, reason });
    for (const [i, { call, index }] of tasks.entries()) {
      call.inFlight--;
      // Only the first task was running; the ones behind it never started.
      // A worker ended on purpose (a timeout) is not this chunk's fault either.
      const crashed = i === 0 && (!slot.exiting || slot.simulatedCrash);
      const attempts = (call.attempts.get(index) ?? 0) + (crashed ? 1 : 0);
      call.attempts.set(index, attempts);
      if (call.failure === null) {
        if (attempts < MAX_ATTEMPTS) {
          if (crashed) debuglog('call %d: retrying chunk %d', call.id, index);
          call.retry.unshift(index);
          this.#pending++;
          if (!this.#calls.includes(call)) this.#calls.push(call);
        } else {
          const [s, t] = call.range(index);
          const cause = slot.lastError;
          this.#fail(
            call,
            new WorkerCrashError(
              `sabre: ${call.label} failed: the worker running units [${s}, ${t}) died ${attempts} times (last exit code ${code}${cause ? `: ${cause.message}` : ''})`,
              { code: 'ERR_SABRE_WORKER_CRASHED', cause, kernel: call.label, start: s, end: t },
            ),
          );
        }
      }
      this.#maybeSettleFailed(call);
    }
    if (!slot.ready && !slot.exiting) this.#startupFailures++;
    if (this.#stopping || slot.retired) return;
    if (this.#startupFailures >= MAX_STARTUP_FAILURES) {
      this.#breakPool(slot.lastError, code);
      return;
    }
    if (this.#slots.size < this.#opts.minThreads || this.#calls.some((c) => c.hasPending())) this.#scheduleRespawn();
  }

  /** Respawns with exponential backoff after startup failures. */
  #scheduleRespawn() {
    const delay = this.#startupFailures === 0 ? 0 : Math.min(2000, 50 * 2 ** this.#startupFailures);
    if (delay === 0) {
      this.#spawn();
      this.#schedule();
      return;
    }
    const t = setTimeout(() => {
      this.#respawnTimers.delete(t);
      if (this.#destroyed) return;
      this.#spawn();
      this.#schedule();
    }, delay);
    this.#respawnTimers.add(t);
    if (this.#live.size === 0) t.unref();
  }

  #breakPool(cause, code) {
    this.#broken = new SabreError(
      `sabre: workers cannot start (${MAX_STARTUP_FAILURES} exited before they were ready, last exit code ${code}${cause ? `: ${cause.message}` : ''})`,
      { code: 'ERR_SABRE_WORKER_START', cause },
    );
    for (const call of [...this.#live]) this.#fail(call, this.#broken);
  }

  /**
   * Gives every idle worker a chunk first, then a second one to queue behind
   * the running one, but only while more chunks wait than there are workers:
   * near the end of the work a queued chunk would sit behind a slow worker
   * while another one idles.
   */
  #schedule() {
    for (let depth = 0; depth < PIPELINE; depth++) {
      for (const slot of this.#slots) {
        if (!slot.ready || slot.exiting || slot.tasks.length !== depth) continue;
        if (depth > 0 && this.#pending <= this.#slots.size) return;
        const call = this.#nextCall();
        if (!call) return this.#grow();
        this.#pending--;
        this.#dispatch(slot, call, call.takeChunk());
      }
    }
    this.#grow();
  }

  #nextCall() {
    while (this.#calls.length > 0) {
      this.#rr %= this.#calls.length;
      const call = this.#calls[this.#rr];
      if (call.hasPending()) {
        this.#rr++;
        return call;
      }
      this.#calls.splice(this.#rr, 1);
    }
    return null;
  }

  #dispatch(slot, call, index) {
    const [start, end] = call.range(index);
    const id = this.#nextTaskId++;
    slot.tasks.push({ call, index, id });
    clearTimeout(slot.idleTimer);
    slot.idleTimer = null;
    call.inFlight++;
    if (call.startedAt === null) {
      const wasFull = this.needsDrain;
      call.startedAt = performance.now();
      this.#unstarted--;
      this.stats.callStarted(call.label, call.startedAt - call.enqueuedAt);
      if (wasFull && !this.needsDrain) queueMicrotask(() => this.emit('drain'));
      if (call.timeout !== undefined) {
        call.timer = setTimeout(() => this.#timeOut(call), call.timeout);
      }
    }
    const msg = { id, kernel: call.kernel, call: call.args, start, end, block: call.control.block, index: call.control.index };
    if (call.spec.definition && !slot.loaded.has(call.spec.definition)) {
      msg.load = { filename: call.spec.definition, module: this.#userModules.get(call.spec.definition) };
      slot.loaded.add(call.spec.definition);
    }
    if (slot.blocksSent < this.#flags.blocks.length) {
      msg.blocks = this.#flags.blocks.slice(slot.blocksSent);
      slot.blocksSent = this.#flags.blocks.length;
    }
    slot.port.postMessage(msg);
    if (this.#opts.atomics) {
      Atomics.add(slot.doorbell, 0, 1);
      Atomics.notify(slot.doorbell, 0, 1);
    }
  }

  #timeOut(call) {
    const err = new TimeoutError(`sabre: ${call.label} timed out after ${call.timeout} ms of run time`, {
      code: 'ERR_SABRE_TIMEOUT',
    });
    // The workers running its chunks may be stuck: end them. Their chunks
    // were not written back; #onExit sees call.failure and does not retry.
    for (const slot of this.#slots) {
      if (slot.tasks[0]?.call === call) {
        slot.exiting = true;
        slot.worker.terminate();
      }
    }
    this.#fail(call, err);
  }

  /** Marks a call failed; it settles once no chunk of it is running. */
  #fail(call, err) {
    if (call.failure !== null || call.settled) return;
    this.#pending -= call.retry.length + call.chunks - call.next; // never sent now
    call.failure = err;
    ControlFlags.set(call.control);
    this.stats.callFailed(call.label);
    debuglog('call %d failed: %s', call.id, err.message);
    this.#maybeSettleFailed(call);
  }

  #maybeSettleFailed(call) {
    if (call.failure !== null && call.inFlight === 0 && !call.settled) {
      this.#settle(call);
      call.reject(call.failure);
    }
  }

  #finish(call) {
    let result;
    try {
      result = call.spec.combine(call.args, call.partials);
    } catch (err) {
      this.#fail(call, err);
      return;
    }
    if (result instanceof Continuation) {
      this.#continue(call, result);
      return;
    }
    this.#settle(call);
    call.resolve(result);
  }

  /** Replaces a finished pass by the next one, under the same promise. */
  #continue(call, { kernel, args }) {
    const next = new Call(call.id, kernel, this.kernels[kernel], args, call, call);
    next.control = call.control; // released once, when `next` settles
    next.signal = call.signal;
    if (next.signal) {
      next.onAbort = () => this.#fail(next, new AbortError(undefined, { cause: next.signal.reason }));
      call.signal.removeEventListener('abort', call.onAbort);
      next.signal.addEventListener('abort', next.onAbort, { once: true });
    }
    if (call.timer) {
      // The time limit spans every pass: the next one gets what is left.
      clearTimeout(call.timer);
      const left = Math.max(0, call.timeout - (performance.now() - call.startedAt));
      next.timer = setTimeout(() => this.#timeOut(next), left);
    }
    this.#live.delete(call);
    call.settled = true; // left in #calls: #nextCall drops calls with nothing pending
    this.#live.add(next);
    this.#calls.push(next);
    this.#pending += next.chunks;
    debuglog('call %d continues with %s: %d chunks', call.id, kernel, next.chunks);
    this.#schedule();
  }

  #settle(call) {
    call.settled = true;
    // No chunk of it runs any more (destroy() terminates the workers first).
    this.#flags.release(call.control);
    clearTimeout(call.timer);
    call.signal?.removeEventListener('abort', call.onAbort);
    this.#live.delete(call);
    if (call.startedAt === null) this.#unstarted--;
    // Not removed from #calls here (O(n) per call): a settled call has
    // nothing pending, and #nextCall drops it when the rotation reaches it;
    // once nothing is live the list is cleared, so an idle pool holds no
    // reference to a caller's arrays.
    if (this.#live.size === 0) this.#calls.length = 0;
    this.#updateRefs();
    if (this.#live.size === 0) this.emit('idle');
  }

  /** Workers keep the process alive only while there is work. */
  #updateRefs() {
    const busy = this.#live.size > 0;
    for (const slot of this.#slots) {
      if (busy) slot.worker.ref();
      else slot.worker.unref();
    }
    for (const t of this.#respawnTimers) {
      if (busy) t.ref();
      else t.unref();
    }
  }

  close() {
    if (this.#closing) return this.#closing;
    this.#closing = (async () => {
      if (this.#live.size > 0) await new Promise((resolve) => this.once('idle', resolve));
      await this.#terminateAll();
    })();
    return this.#closing;
  }

  async destroy() {
    if (this.#destroyed) return;
    this.#destroyed = true;
    const err = new PoolClosedError('The pool was destroyed before this call finished', { code: 'ERR_SABRE_POOL_DESTROYED' });
    for (const call of [...this.#live]) {
      this.stats.callFailed(call.label);
      call.failure = err;
      ControlFlags.set(call.control);
      call.inFlight = 0;
      this.#settle(call);
      call.reject(err);
    }
    this.#pending = 0;
    for (const t of this.#respawnTimers) clearTimeout(t);
    await this.#terminateAll();
  }

  async #terminateAll() {
    this.#stopping = true;
    const exits = [];
    for (const slot of this.#slots) {
      slot.exiting = true;
      exits.push(slot.worker.terminate());
    }
    await Promise.all(exits);
  }
}

module.exports = { ThreadPool, kGluePath, kKernelsModule };
