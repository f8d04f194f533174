'use strict';
// The worker pool: workers, the chunk queue, scheduling, failures, shutdown.
//
// A call is split into chunks (js/chunks.js); idle workers pull the next chunk
// of the next call in round-robin order, so a slow worker never holds the
// others back and a long call does not starve a short one behind it. A worker
// holds at most two chunks: the one it runs and one queued behind it.
//
// Failure model. Each chunk sent to a worker is a task with a state in shared
// memory (js/tasks.js): QUEUED, RUNNING, COMMITTING, COMMITTED or CANCELLED.
// The worker computes a chunk in its own wasm memory and writes it back only
// after winning RUNNING -> COMMITTING; the main thread stops a task by
// winning QUEUED/RUNNING -> CANCELLED. So:
//   - a worker that dies leaves each of its tasks in a state that says what
//     happened: QUEUED or RUNNING wrote nothing (retried; a RUNNING one counts
//     as an attempt, and a chunk gets MAX_ATTEMPTS), COMMITTED was written
//     exactly once (never run again; a value it returned was posted before
//     its first write), COMMITTING was interrupted mid-write (the call fails,
//     naming the range);
//   - a call that fails, is aborted or times out cancels its tasks and
//     settles at once, unless one is already writing: then it settles when
//     that write is done. Nothing of it is written after it settled;
//   - the pool ends a worker (timeout, simulateCrash, idle, shutdown) only
//     after cancelling every task it holds and never while one is writing.
// A settled call is unreachable from the pool: a task of it still held by a
// worker keeps only its state slot, which is released when the worker
// answers.

const { Worker, MessageChannel } = require('node:worker_threads');
const { EventEmitter } = require('node:events');
const path = require('node:path');
const v8 = require('node:v8');
const { performance } = require('node:perf_hooks');
const debuglog = require('node:util').debuglog('sabre');
const { kernelTable } = require('./kernels');
const { Execution } = require('./executor');
const { Engine, compileModule, defaultGlue } = require('./engine');
const { specsOf, checkDefinition } = require('./custom');
const { Stats } = require('./stats');
const tasks = require('./tasks');
const { poolOptions, callOptions } = require('./options');
const { internalOptions } = require('./internal');
const {
  AbortError,
  TimeoutError,
  QueueFullError,
  PoolClosedError,
  WorkerCrashError,
  SabreError,
  deserializeError,
  messageOf,
} = require('./errors');

const workerScript = path.join(__dirname, 'worker.js');

/** Held by a worker while it switches V8's process-wide --expose-gc flag (see worker.js). */
const gcLock = new Int32Array(new SharedArrayBuffer(4));
/** A chunk whose worker died while running it is tried this many times in all. */
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
/** A chunk queued behind one that has run this long moves to an idle worker. */
const STEAL_AFTER_MS = 2;

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
  constructor(request) {
    const pass = request.execution.pass;
    this.request = request;
    this.pass = pass;
    this.kernel = pass.kernel;
    this.spec = pass.spec;
    this.args = pass.args;
    this.chunks = pass.chunks;
    this.next = 0; // next fresh chunk index
    this.retry = []; // chunk indexes to run again
    this.attempts = new Map(); // chunk index -> runs its workers died in
    this.partials = new Array(this.chunks);
    this.completed = 0;
    this.tasks = new Set(); // its tasks that workers hold and have not answered
    this.seenBy = new Set(); // workers sent a chunk of it (each counts its bytes once)
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

  takeChunk() {
    return this.retry.length > 0 ? this.retry.shift() : this.next++;
  }

  range(index) {
    return this.pass.range(index);
  }
}

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

class WorkerSlot {
  constructor(worker, port, doorbell) {
    this.worker = worker;
    this.port = port; // requests go here; replies come on the worker's parentPort
    this.doorbell = doorbell;
    this.threadId = worker.threadId; // worker.threadId is -1 once it exited
    this.ready = false;
    this.tasks = []; // { id, call, index, ref, value, headAt }, in the order the worker runs them
    this.exiting = false; // terminate() was called
    this.exitReason = null; // why the pool ended it: 'timeout', 'crash' (simulated), 'idle', 'shutdown'
    this.pendingRetire = null; // a retire deferred until its write-back ends
    this.idleTimer = null;
    this.blocksSent = 0; // task-state blocks this worker has
    this.loaded = new Set(); // user kernel declarations this worker has
    this.lastError = null;
    this.exited = new Promise((resolve) => worker.once('exit', resolve));
  }

  get idle() {
    return this.ready && !this.exiting && this.tasks.length === 0;
  }
}

class ThreadPool extends EventEmitter {
  #opts;
  #module;
  #slots = new Set();
  #ready = new ReadyQueue(); // calls with chunks to send, in round-robin order
  #live = new Set(); // every call (pass) not yet settled
  #nextCallId = 1;
  #nextTaskId = 1;
  #startupFailures = 0;
  #broken = null; // error once workers cannot start at all
  #closing = null; // promise of close()
  #destroyed = false;
  #stopping = false; // workers are being terminated for good
  #respawnTimers = new Set();
  #states = new tasks.TaskStates();
  #userModules = new Map(); // declaration file -> compiled WebAssembly.Module
  #unstarted = 0; // requests no worker has taken a chunk of (queueSize)
  #pending = 0; // chunks of live calls not yet sent to a worker
  #reffed = null; // whether workers and timers keep the process alive
  #stealTimer = null; // a second look for chunks to move to idle workers

  constructor(options = {}) {
    super();
    const internal = internalOptions(options);
    this.#opts = poolOptions(options, internal);
    this.kernels = { ...kernelTable(this.#opts.kernelsModule) };
    this.#module = compileModule(this.#opts.gluePath ?? defaultGlue);
    this.stats = new Stats();
    for (let i = 0; i < this.#opts.minThreads; i++) this.#spawn();
  }

  get threads() {
    return this.#slots.size;
  }

  /** True while the queue is full; 'drain' is emitted when it has room again. */
  get needsDrain() {
    return this.#unstarted > 0 && this.#unstarted >= this.#opts.maxQueue;
  }

  /** Requests waiting for a worker to take their first chunk. */
  get queueSize() {
    return this.#unstarted;
  }

  /**
   * Whether a new call would have to wait: as in piscina, maxQueue bounds the
   * calls that wait, so even `maxQueue: 0` accepts a call an idle worker can
   * start at once. Workers still starting count as idle.
   */
  #mustQueue() {
    // Workers the pool may still start count too (threads.min below max).
    let idle = Math.max(0, this.#opts.maxThreads - this.#slots.size);
    for (const slot of this.#slots) if (!slot.exiting && slot.tasks.length === 0) idle++;
    return this.#unstarted >= idle;
  }

  submit(kernel, args, rawOpts) {
    // Every check throws before anything is registered; a throw here becomes
    // the returned promise's rejection.
    try {
      const spec = this.kernels[kernel];
      const opts = callOptions(rawOpts);
      const prepared = spec.prepare(args, true);
      if (this.#closing || this.#destroyed) {
        throw new PoolClosedError('The pool is closed and accepts no new calls', { code: 'ERR_SABRE_POOL_CLOSED' });
      }
      if (this.#broken) throw this.#broken;
      if (this.#unstarted >= this.#opts.maxQueue && this.#mustQueue()) {
        throw new QueueFullError(`The pool's queue is full (maxQueue ${this.#opts.maxQueue})`, { code: 'ERR_SABRE_QUEUE_FULL' });
      }
      const request = new Request(this.#nextCallId++, spec.displayName ?? kernel, opts, new Execution(this.kernels, kernel, prepared));
      const call = new Call(request);
      request.pass = call;
      // Listening may throw (a hostile signal): do it before registering,
      // and look at `aborted` after it, so no abort can fall between.
      if (opts.signal) {
        opts.signal.listen(() => {
          const pass = request.pass;
          if (this.#live.has(pass)) this.#fail(pass, new AbortError(undefined, { cause: opts.signal.reason }));
        });
        let aborted = true;
        try {
          aborted = opts.signal.aborted;
        } finally {
          if (aborted) opts.signal.unlisten();
        }
        if (aborted) throw new AbortError(undefined, { cause: opts.signal.reason });
      }
      this.stats.callSubmitted(request.label);
      this.#unstarted++;
      this.#register(call);
      debuglog('call %d %s: %d units in %d chunks', request.id, kernel, call.pass.units, call.chunks);
      this.#schedule(); // ends with #grow(): a worker is added if work waits
      return request.promise;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #register(call) {
    this.#pending += call.chunks;
    this.#live.add(call);
    this.#ready.add(call);
    this.#updateRefs();
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
   * Ends one busy worker abruptly, as if it had crashed: for resilience tests
   * and drills. It lands anywhere but inside a write-back (its tasks are
   * cancelled first, and a write-back under way is let finish; a real crash
   * there fails the call with ERR_SABRE_COMMIT_INTERRUPTED): a chunk the
   * worker was running counts as a failed attempt and runs again elsewhere,
   * and one it had written stays written and is never run again, its value
   * kept, even when its reply dies with the worker. Returns its threadId, or
   * null when no worker is busy.
   */
  simulateCrash() {
    for (const slot of this.#slots) {
      if (slot.tasks.length > 0 && !slot.exiting && !slot.pendingRetire) {
        this.#retire(slot, 'crash');
        return slot.threadId;
      }
    }
    return null;
  }

  /** Adds a worker when work waits, none is idle and the pool is below max. */
  #grow() {
    if (this.#slots.size >= this.#opts.maxThreads || this.#stopping || this.#ready.size === 0) return;
    for (const slot of this.#slots) if (slot.tasks.length === 0 && !slot.exiting) return;
    this.#spawn();
  }

  /** A worker above `min` that stays idle for `idleTimeout` is ended. */
  #idle(slot) {
    if (this.#slots.size <= this.#opts.minThreads || slot.idleTimer) return;
    slot.idleTimer = setTimeout(() => {
      slot.idleTimer = null;
      if (slot.tasks.length > 0 || this.#slots.size <= this.#opts.minThreads) return;
      debuglog('retiring idle worker %d', slot.threadId);
      this.#retire(slot, 'idle');
    }, this.#opts.idleTimeout);
    slot.idleTimer.unref();
  }

  #spawn() {
    // Requests go over a dedicated channel so that, with the Atomics fast
    // path, a worker can pull them synchronously (receiveMessageOnPort) after
    // waking on its doorbell instead of waiting for its event loop. Replies
    // come back on the worker's own parentPort, whose messages Node delivers
    // before the worker's 'exit' even when it dies.
    const { port1, port2 } = new MessageChannel();
    const doorbell = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(workerScript, {
      workerData: {
        module: this.#module,
        gluePath: this.#opts.gluePath,
        kernelsModule: this.#opts.kernelsModule,
        port: port2,
        doorbell,
        gcLock,
        atomics: this.#opts.atomics,
      },
      transferList: [port2],
      resourceLimits: this.#opts.resourceLimits,
      stdout: false,
      stderr: false,
    });
    const slot = new WorkerSlot(worker, port1, doorbell);
    this.#slots.add(slot);
    worker.on('message', (msg) => this.#onMessage(slot, msg));
    worker.on('error', (err) => {
      slot.lastError = err;
      this.emit('workerError', err);
    });
    worker.on('exit', (code) => this.#onExit(slot, code));
    if (!this.#reffed) worker.unref();
    debuglog('spawned worker %d', slot.threadId);
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
    if (msg.provisional) {
      task.value = msg.value; // its write-back follows; kept if the worker dies
      return;
    }
    slot.tasks.shift();
    this.#states.release(task.ref);
    if (slot.tasks.length > 0) this.#taskStarted(slot.tasks[0]);
    const call = task.call;
    if (call) {
      call.tasks.delete(task);
      if (msg.error) {
        this.stats.chunkDone(call.label, msg.runMs);
        this.#fail(call, deserializeError(msg.error));
      } else if (msg.skipped) {
        // Only cancelled tasks are skipped, and those are detached from their
        // call; should one arrive anyway, its chunk is simply sent again.
        this.#requeue(call, task.index, null);
      } else {
        this.stats.chunkDone(call.label, msg.runMs);
        this.#chunkDone(call, task.index, task.value !== undefined ? task.value : msg.value);
      }
      this.#maybeSettleFailed(call);
    }
    if (slot.pendingRetire) this.#retire(slot, slot.pendingRetire);
    this.#updateRefs();
    this.#schedule();
    if (slot.tasks.length === 0) this.#idle(slot);
  }

  #chunkDone(call, index, value) {
    if (call.failed) return;
    call.partials[index] = value;
    call.completed++;
    const progress = call.request.execution.chunkDone(index);
    const { onProgress } = call.request;
    if (onProgress) {
      try {
        onProgress(progress);
      } catch (err) {
        this.#fail(call, err);
      }
    }
    // onProgress may have failed the call (an abort, or a throw in it).
    if (call.completed === call.chunks && !call.failed) this.#finish(call);
  }

  #onExit(slot, code) {
    this.#slots.delete(slot);
    if (Atomics.compareExchange(gcLock, 0, slot.threadId, 0) === slot.threadId) {
      // Ended while switching the --expose-gc flag (worker.js): switch it
      // back off and let the other workers have the lock.
      v8.setFlagsFromString('--no-expose-gc');
      Atomics.notify(gcLock, 0);
    }
    clearTimeout(slot.idleTimer);
    const held = slot.tasks;
    slot.tasks = [];
    const reason = slot.exitReason ?? 'crash';
    debuglog('worker %d exited with %d (%s)%s', slot.threadId, code, reason, held.length ? ` holding ${held.length} chunks` : '');
    this.emit('workerExit', { threadId: slot.threadId, code, reason });
    for (const task of held) {
      const state = tasks.read(task.ref);
      this.#states.release(task.ref);
      const call = task.call;
      if (!call) continue;
      call.tasks.delete(task);
      if (!call.failed) {
        if (state === tasks.COMMITTED) {
          // Written back, but the reply was lost with the worker: done.
          this.#chunkDone(call, task.index, task.value);
        } else if (state === tasks.COMMITTING) {
          const [s, t] = call.range(task.index);
          this.#fail(
            call,
            new WorkerCrashError(
              `sabre: ${call.label} failed: the worker writing back units [${s}, ${t}) died mid-write (exit code ${code}); that range may be partly written`,
              { code: 'ERR_SABRE_COMMIT_INTERRUPTED', cause: slot.lastError ?? undefined, kernel: call.label, start: s, end: t },
            ),
          );
        } else {
          // QUEUED: never started. RUNNING: the worker died computing it.
          this.#requeue(call, task.index, state === tasks.RUNNING ? { code, cause: slot.lastError } : null);
        }
      }
      this.#maybeSettleFailed(call);
    }
    if (!slot.ready && slot.exitReason === null) this.#startupFailures++;
    if (this.#stopping || reason === 'idle') return;
    if (this.#startupFailures >= MAX_STARTUP_FAILURES) {
      this.#breakPool(slot.lastError, code);
      return;
    }
    if (this.#slots.size < this.#opts.minThreads || this.#ready.size > 0) this.#scheduleRespawn();
    this.#updateRefs();
  }

  /**
   * Sends chunk `index` of `call` again. `crash` ({ code, cause }, or null
   * when the chunk was not to blame) counts an attempt; a chunk whose
   * workers died MAX_ATTEMPTS times fails its call.
   */
  #requeue(call, index, crash) {
    if (call.failed) return;
    const attempts = (call.attempts.get(index) ?? 0) + (crash ? 1 : 0);
    call.attempts.set(index, attempts);
    if (attempts >= MAX_ATTEMPTS) {
      const [s, t] = call.range(index);
      const { code, cause } = crash;
      this.#fail(
        call,
        new WorkerCrashError(
          `sabre: ${call.label} failed: the worker running units [${s}, ${t}) died ${attempts} times (last exit code ${code}${cause ? `: ${messageOf(cause)}` : ''})`,
          { code: 'ERR_SABRE_WORKER_CRASHED', cause: cause ?? undefined, kernel: call.label, start: s, end: t },
        ),
      );
      return;
    }
    if (crash) debuglog('call %d: retrying chunk %d', call.request.id, index);
    call.retry.unshift(index);
    this.#pending++;
    this.#ready.add(call);
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
    if (!this.#reffed) t.unref();
  }

  #breakPool(cause, code) {
    this.#broken = new SabreError(
      `sabre: workers cannot start (${MAX_STARTUP_FAILURES} exited before they were ready, last exit code ${code}${cause ? `: ${messageOf(cause)}` : ''})`,
      { code: 'ERR_SABRE_WORKER_START', cause },
    );
    for (const call of [...this.#live]) this.#fail(call, this.#broken);
  }

  /**
   * Gives every idle worker a chunk first, then a second one to queue behind
   * the running one, but only while more chunks wait than there are workers:
   * near the end of the work a queued chunk would sit behind a slow worker
   * while another one idles. When nothing is left to send, an idle worker
   * takes over a chunk still queued behind another worker's running one.
   */
  #schedule() {
    for (;;) {
      this.#fill();
      if (this.#ready.size > 0 || !this.#steal()) break;
    }
    this.#grow();
  }

  #fill() {
    for (let depth = 0; depth < PIPELINE; depth++) {
      for (const slot of this.#slots) {
        if (!slot.ready || slot.exiting || slot.pendingRetire || slot.tasks.length !== depth) continue;
        if (depth > 0 && this.#pending <= this.#slots.size) return;
        const call = this.#nextCall();
        if (!call) return;
        this.#pending--;
        this.#dispatch(slot, call, call.takeChunk());
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
    let idle = false;
    for (const slot of this.#slots) if (slot.idle) idle = true;
    if (!idle) return false;
    const now = performance.now();
    let soonest = Infinity;
    for (const victim of this.#slots) {
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
        const call = this.#detach(task);
        debuglog('call %d: chunk %d moved off a busy worker', call.request.id, task.index);
        this.#requeue(call, task.index, null);
        return true;
      }
    }
    if (soonest !== Infinity && this.#stealTimer === null) {
      this.#stealTimer = setTimeout(() => {
        this.#stealTimer = null;
        this.#schedule();
      }, Math.ceil(soonest));
      if (!this.#reffed) this.#stealTimer.unref();
    }
    return false;
  }

  /** Forgets a cancelled task's call (the worker still answers for its slot). */
  #detach(task) {
    const call = task.call;
    task.call = null;
    task.value = undefined;
    call.tasks.delete(task);
    return call;
  }

  #dispatch(slot, call, index) {
    const [start, end] = call.range(index);
    const ref = this.#states.acquire();
    const id = this.#nextTaskId++;
    const msg = { id, kernel: call.kernel, call: call.args, start, end, block: ref.block, index: ref.index };
    const def = call.spec.definition;
    if (def && !slot.loaded.has(def)) msg.load = { filename: def, module: this.#userModules.get(def) };
    if (slot.blocksSent < this.#states.blocks.length) msg.blocks = this.#states.blocks.slice(slot.blocksSent);
    // The first chunk of a pass this worker gets: it counts that pass's
    // shared bytes once, not once per chunk (see worker.js countShared).
    const firstOfPass = !call.seenBy.has(slot);
    if (firstOfPass) msg.firstOfPass = true;
    try {
      slot.port.postMessage(msg);
    } catch (err) {
      // Arguments are checked to be sendable up front, so this is a bug
      // or a hostile object that changed since: only this call fails.
      this.#states.release(ref);
      call.retry.unshift(index);
      this.#pending++;
      const e = new TypeError(`sabre: the arguments of ${call.label} cannot be sent to a worker thread: ${err.message}`);
      e.code = 'ERR_SABRE_ARGUMENT_NOT_CLONEABLE';
      e.cause = err;
      this.#fail(call, e);
      return;
    }
    if (def) slot.loaded.add(def);
    if (firstOfPass) call.seenBy.add(slot);
    slot.blocksSent = this.#states.blocks.length;
    const task = { id, call, index, ref, value: undefined, headAt: 0 };
    slot.tasks.push(task);
    call.tasks.add(task);
    clearTimeout(slot.idleTimer);
    slot.idleTimer = null;
    this.#leaveQueue(call.request);
    if (slot.tasks.length === 1) this.#taskStarted(task);
    if (this.#opts.atomics) {
      Atomics.add(slot.doorbell, 0, 1);
      Atomics.notify(slot.doorbell, 0, 1);
    }
  }

  /** A request leaves the queue (a worker took a chunk, or it settled). */
  #leaveQueue(request) {
    if (!request.queued) return;
    const wasFull = this.needsDrain;
    request.queued = false;
    this.#unstarted--;
    if (wasFull && !this.needsDrain) queueMicrotask(() => this.emit('drain'));
  }

  /**
   * A task reached the head of its worker's queue: it is running now. The
   * request's time limit counts from its first chunk's start.
   */
  #taskStarted(task) {
    task.headAt = performance.now();
    const request = task.call?.request;
    if (!request || request.startedAt !== null) return;
    request.startedAt = performance.now();
    this.stats.callStarted(request.label, request.startedAt - request.enqueuedAt);
    if (request.timeout !== undefined) {
      request.timer = setTimeout(() => this.#timeOut(request.pass), request.timeout);
      if (!this.#reffed) request.timer.unref();
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
    const running = [...this.#slots].filter((slot) => slot.tasks[0]?.call === call);
    this.#fail(call, err);
    for (const slot of running) this.#retire(slot, 'timeout');
  }

  /**
   * Marks a call failed and cancels its tasks; it settles once none of them
   * is writing back (at once, unless one is).
   */
  #fail(call, err) {
    if (call.failed || call.settled) return;
    call.failed = true;
    call.failure = err;
    this.#pending -= call.retry.length + (call.chunks - call.next); // never sent now
    call.retry = [];
    call.next = call.chunks;
    this.#ready.delete(call);
    for (const task of call.tasks) if (tasks.cancel(task.ref)) this.#detach(task);
    this.stats.callFailed(call.label);
    if (debuglog.enabled) debuglog('call %d failed: %s', call.request.id, messageOf(err));
    this.#maybeSettleFailed(call);
  }

  #maybeSettleFailed(call) {
    if (call.failed && call.tasks.size === 0 && !call.settled) {
      this.#settle(call);
      call.request.reject(call.failure);
    }
  }

  #finish(call) {
    let out;
    try {
      out = call.request.execution.finishPass(call.partials);
    } catch (err) {
      this.#fail(call, err);
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
    const next = new Call(call.request);
    call.request.pass = next;
    call.settled = true;
    this.#live.delete(call);
    this.#register(next);
    debuglog('call %d continues with %s: %d chunks', call.request.id, next.kernel, next.chunks);
    this.#schedule();
  }

  #settle(call) {
    call.settled = true;
    const request = call.request;
    clearTimeout(request.timer);
    request.timer = null;
    request.signal?.unlisten();
    this.#live.delete(call);
    this.#ready.delete(call);
    this.#leaveQueue(request);
    this.#updateRefs();
    if (this.#live.size === 0) this.emit('idle');
  }

  /** Workers keep the process alive only while there is work. */
  #updateRefs() {
    const busy = this.#live.size > 0;
    if (busy === this.#reffed) return;
    this.#reffed = busy;
    for (const slot of this.#slots) {
      if (busy) slot.worker.ref();
      else slot.worker.unref();
    }
    for (const t of [...this.#respawnTimers, this.#stealTimer]) {
      if (t === null) continue;
      if (busy) t.ref();
      else t.unref();
    }
  }

  /**
   * Ends a worker on purpose (`reason`: 'timeout', 'crash', 'idle',
   * 'shutdown'). Every task it holds is cancelled first and its chunk sent
   * elsewhere (for 'crash', the running one counts as a failed attempt), so
   * the worker can no longer begin a write-back; if one is under way, the end
   * waits for its reply.
   */
  #retire(slot, reason) {
    if (slot.exiting) return;
    let writing = false;
    for (const [i, task] of slot.tasks.entries()) {
      if (task.call === null) continue;
      const before = tasks.read(task.ref);
      if (tasks.cancel(task.ref)) {
        const call = this.#detach(task);
        // A simulated crash hits the chunk the worker was running.
        const hit = reason === 'crash' && i === 0 && before === tasks.RUNNING;
        this.#requeue(call, task.index, hit ? { code: 'none (simulated crash)', cause: null } : null);
        this.#maybeSettleFailed(call);
      } else if (tasks.read(task.ref) === tasks.COMMITTING) {
        writing = true;
      }
    }
    if (writing) {
      slot.pendingRetire = reason;
      return;
    }
    slot.pendingRetire = null;
    slot.exiting = true;
    slot.exitReason = reason;
    slot.worker.terminate();
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
    // A call that already failed (an abort) keeps its own error.
    for (const call of [...this.#live]) this.#fail(call, err);
    for (const t of this.#respawnTimers) clearTimeout(t);
    this.#respawnTimers.clear();
    clearTimeout(this.#stealTimer);
    await this.#terminateAll();
  }

  async #terminateAll() {
    this.#stopping = true;
    clearTimeout(this.#stealTimer);
    const slots = [...this.#slots];
    // An unref'd worker that is ending (a crash just retired it, or this
    // retire) may not keep the event loop alive until its 'exit': the
    // process could end with close() pending. Hold every one until it exits.
    for (const slot of slots) slot.worker.ref();
    for (const slot of slots) this.#retire(slot, 'shutdown');
    await Promise.all(slots.map((slot) => slot.exited));
  }
}

module.exports = { ThreadPool, gcLock };
