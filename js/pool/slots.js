'use strict';
// The pool's workers: starting them, ending them, and what happens when one
// exits (on purpose or not).
//
// The pool ends a worker (timeout, simulateCrash, idle, shutdown) only
// through `retire`: every task it holds is cancelled first and its chunk sent
// elsewhere, and a write-back under way is let finish. So the pool itself
// never ends a worker inside a write-back. A worker that dies on its own
// leaves each of its tasks in a state that says what happened to it (see
// Calls.lost).

const { Worker, MessageChannel } = require('node:worker_threads');
const path = require('node:path');
const debuglog = require('node:util').debuglog('sabre');
const tasks = require('../tasks');
const protocol = require('../protocol');
const { detach } = require('./calls');
const { SabreError, messageOf } = require('../errors');
const { gcLock, releaseGcLock } = require('../gc');

const workerScript = path.join(__dirname, '..', 'worker.js');

/** Consecutive workers that die before their ready message: give up. */
const MAX_STARTUP_FAILURES = 3;

class WorkerSlot {
  constructor(worker, port, doorbell) {
    this.worker = worker;
    this.port = port; // requests go here; replies come on the worker's parentPort
    this.doorbell = doorbell;
    this.threadId = worker.threadId; // worker.threadId is -1 once it exited
    this.ready = false;
    this.tasks = []; // tasks (calls.js newTask), in the order the worker runs them
    this.batches = 0; // messages (batches of those tasks) it has not answered yet
    this.exiting = false; // terminate() was called
    this.exited = false;
    this.exitReason = null; // why the pool ended it: 'timeout', 'crash' (simulated), 'idle', 'shutdown'
    this.pendingRetire = null; // a retire deferred until its write-back ends
    this.idleTimer = null;
    this.blocksSent = 0; // task-state blocks this worker has
    this.loaded = new Set(); // user kernel declarations this worker has (and the fused module: pool/index.js RELAXED)
    this.attached = new Map(); // shared memory -> this worker's context on it (released on exit)
    this.forget = []; // ids of settled passes whose data it still holds
    this.lastError = null;
    this.whenExited = new Promise((resolve) => worker.once('exit', resolve));
  }

  get idle() {
    return this.ready && !this.exiting && this.tasks.length === 0;
  }

  /** Whether the scheduler may send it a chunk. */
  get accepts() {
    return this.ready && !this.exiting && !this.pendingRetire;
  }

  /** Posts `msg` (js/protocol.js) and rings the doorbell. Throws what postMessage throws. */
  send(msg, atomics) {
    this.port.postMessage(msg);
    if (atomics) {
      Atomics.add(this.doorbell, 0, 1);
      Atomics.notify(this.doorbell, 0, 1);
    }
  }

  /** The forget list to piggyback on the next chunk (undefined if none); clears it. */
  takeForget() {
    if (this.forget.length === 0) return undefined;
    const list = this.forget;
    this.forget = [];
    return list;
  }
}

class Workers {
  slots = new Set();
  #startupFailures = 0;
  #stopping = false; // workers are being terminated for good
  #respawnTimers = new Set();
  #toFlush = new Set(); // slots given passes to forget since the last flush
  #batching = 0;
  #pool; // { opts, module, calls, scheduler, emit, reffed, onMessage, broken }

  constructor(pool) {
    this.#pool = pool;
  }

  get count() {
    return this.slots.size;
  }

  /**
   * Idle workers, counting those the pool may still start (threads.min
   * below max) and those still starting.
   */
  idleCount() {
    let idle = Math.max(0, this.#pool.opts.maxThreads - this.slots.size);
    for (const slot of this.slots) if (!slot.exiting && slot.tasks.length === 0) idle++;
    return idle;
  }

  /** Adds a worker when work waits, none is idle and the pool is below max. */
  grow() {
    if (this.slots.size >= this.#pool.opts.maxThreads || this.#stopping || this.#pool.scheduler.waiting === 0) return;
    for (const slot of this.slots) if (slot.tasks.length === 0 && !slot.exiting) return;
    this.spawn();
  }

  spawn() {
    // Requests go over a dedicated channel so that, with the Atomics fast
    // path, a worker can pull them synchronously (receiveMessageOnPort) after
    // waking on its doorbell instead of waiting for its event loop. Replies
    // come back on the worker's own parentPort, whose messages Node delivers
    // before the worker's 'exit' even when it dies.
    const { opts, module } = this.#pool;
    const { port1, port2 } = new MessageChannel();
    const doorbell = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(workerScript, {
      workerData: protocol.workerInit({
        module,
        gluePath: opts.gluePath,
        kernelsModule: opts.kernelsModule,
        port: port2,
        doorbell,
        gcLock,
        atomics: opts.atomics,
      }),
      transferList: [port2],
      resourceLimits: opts.resourceLimits,
      stdout: false,
      stderr: false,
    });
    const slot = new WorkerSlot(worker, port1, doorbell);
    this.slots.add(slot);
    worker.on('message', (msg) => this.#pool.onMessage(slot, msg));
    worker.on('error', (err) => {
      slot.lastError = err;
      this.#pool.emit('workerError', err);
    });
    worker.on('exit', (code) => this.#onExit(slot, code));
    if (!this.#pool.reffed()) worker.unref();
    debuglog('spawned worker %d', slot.threadId);
  }

  /** Its ready message: it takes chunks from now on. */
  started(slot) {
    slot.ready = true;
    this.#startupFailures = 0;
  }

  /**
   * Pass `call` is over: each worker that holds its data drops it, with its
   * next chunk or, if it has none by the end of the current reply's
   * handling (see `batch`), with a forget message.
   */
  forget(call) {
    if (call.seenBy === null) return; // no worker kept its data
    for (const slot of call.seenBy) {
      if (slot.exited) continue;
      slot.forget.push(call.id);
      this.#toFlush.add(slot);
    }
    call.seenBy.clear();
    if (this.#batching === 0) this.#flush();
  }

  /**
   * Runs `fn` (the handling of a reply, which may settle calls and then
   * send chunks) with forget messages held back until it is done, so that a
   * forget list rides on a chunk sent meanwhile instead of a message of its own.
   */
  batch(fn) {
    this.#batching++;
    try {
      fn();
    } finally {
      if (--this.#batching === 0) this.#flush();
    }
  }

  /** Sends their forget lists to workers that hold no task; the others keep theirs for their next chunk or a later flush. */
  #flush() {
    for (const slot of this.#toFlush) {
      if (slot.exited || slot.forget.length === 0) {
        this.#toFlush.delete(slot);
      } else if (slot.tasks.length === 0) {
        slot.send(protocol.forget(slot.takeForget()), this.#pool.opts.atomics);
        this.#toFlush.delete(slot);
      }
    }
  }

  /**
   * Workers running a chunk of `call`: one of its tasks is RUNNING there
   * (in a batch, the head task may be finished while a later one runs).
   */
  runningChunksOf(call) {
    return [...this.slots].filter((slot) => slot.tasks.some((t) => t.call === call && tasks.read(t.ref) === tasks.RUNNING));
  }

  /** A worker above `min` that stays idle for `idleTimeout` is ended. */
  idle(slot) {
    if (slot.tasks.length > 0) return;
    const { minThreads, idleTimeout } = this.#pool.opts;
    if (this.slots.size <= minThreads || slot.idleTimer) return;
    slot.idleTimer = setTimeout(() => {
      slot.idleTimer = null;
      if (slot.tasks.length > 0 || this.slots.size <= minThreads) return;
      debuglog('retiring idle worker %d', slot.threadId);
      this.retire(slot, 'idle');
    }, idleTimeout);
    slot.idleTimer.unref();
  }

  /** A chunk went to `slot`: it is not idle. */
  busy(slot) {
    clearTimeout(slot.idleTimer);
    slot.idleTimer = null;
  }

  /**
   * Ends a worker on purpose (`reason`: 'timeout', 'crash', 'idle',
   * 'shutdown'). Every task it holds is cancelled first and its chunk sent
   * elsewhere (for 'crash', the running one counts as a failed attempt), so
   * the worker can no longer begin a write-back; if one is under way, the end
   * waits for its reply.
   */
  retire(slot, reason) {
    if (slot.exiting) return;
    let writing = false;
    // A simulated crash hits the chunk the worker is running: the last one
    // it started (it runs its tasks in order; those before it in a batch are
    // FINISHED, COMMITTED, or, having failed, RUNNING with their error on
    // its way).
    const states = slot.tasks.map((task) => tasks.read(task.ref));
    const hitIndex = reason === 'crash' ? states.lastIndexOf(tasks.RUNNING) : -1;
    for (const [i, task] of slot.tasks.entries()) {
      if (task.call === null) continue;
      if (tasks.cancel(task.ref)) {
        const call = detach(task);
        const hit = i === hitIndex;
        this.#pool.calls.requeue(call, task.index, hit ? { code: 'none (simulated crash)', cause: null } : null);
        this.#pool.calls.maybeSettleFailed(call);
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

  /** A retire deferred by a write-back, once the worker answered. */
  retireIfPending(slot) {
    if (slot.pendingRetire) this.retire(slot, slot.pendingRetire);
  }

  /** Ends one busy worker as a crash would (see ThreadPool.simulateCrash); its threadId or null. */
  crashOne() {
    for (const slot of this.slots) {
      if (slot.tasks.length > 0 && !slot.exiting && !slot.pendingRetire) {
        this.retire(slot, 'crash');
        return slot.threadId;
      }
    }
    return null;
  }

  #onExit(slot, code) {
    this.slots.delete(slot);
    slot.exited = true;
    const held = slot.tasks;
    slot.tasks = [];
    // A zero-copy chunk it was writing in place: its undo log puts the
    // range back as it was, so the chunk can run again (js/zero-copy.js).
    const states = held.map((task) => {
      const state = tasks.read(task.ref);
      const ctx = task.call?.zeroCopy && slot.attached.get(task.call.zeroCopy);
      return state === tasks.COMMITTING && ctx && task.call.zeroCopy.undo(ctx, task.id) ? tasks.RUNNING : state;
    });
    // Its stacks and buffers in shared memories: the thread is gone.
    for (const [owner, ctx] of slot.attached) owner.releaseWorkerContext(ctx);
    slot.attached.clear();
    releaseGcLock(slot.threadId);
    clearTimeout(slot.idleTimer);
    const reason = slot.exitReason ?? 'crash';
    debuglog('worker %d exited with %d (%s)%s', slot.threadId, code, reason, held.length ? ` holding ${held.length} chunks` : '');
    this.#pool.emit('workerExit', { threadId: slot.threadId, code, reason });
    held.forEach((task, i) => {
      this.#pool.states.release(task.ref);
      this.#pool.calls.lost(task, states[i], code, slot.lastError);
    });
    if (!slot.ready && slot.exitReason === null) this.#startupFailures++;
    if (this.#stopping || reason === 'idle') return;
    if (this.#startupFailures >= MAX_STARTUP_FAILURES) {
      this.#pool.broken(this.#startError(slot.lastError, code));
      return;
    }
    if (this.slots.size < this.#pool.opts.minThreads || this.#pool.scheduler.waiting > 0) this.#scheduleRespawn();
  }

  #startError(cause, code) {
    return new SabreError(
      `sabre: workers cannot start (${MAX_STARTUP_FAILURES} exited before they were ready, last exit code ${code}${cause ? `: ${messageOf(cause)}` : ''})`,
      { code: 'ERR_SABRE_WORKER_START', cause },
    );
  }

  /** Respawns with exponential backoff after startup failures. */
  #scheduleRespawn() {
    const delay = this.#startupFailures === 0 ? 0 : Math.min(2000, 50 * 2 ** this.#startupFailures);
    if (delay === 0) {
      this.spawn();
      this.#pool.scheduler.schedule();
      return;
    }
    const t = setTimeout(() => {
      this.#respawnTimers.delete(t);
      if (this.#stopping) return;
      this.spawn();
      this.#pool.scheduler.schedule();
    }, delay);
    this.#respawnTimers.add(t);
    if (!this.#pool.reffed()) t.unref();
  }

  /** Workers and respawn timers keep the process alive only while there is work. */
  setRef(busy) {
    for (const slot of this.slots) {
      if (busy) slot.worker.ref();
      else slot.worker.unref();
    }
    for (const t of this.#respawnTimers) {
      if (busy) t.ref();
      else t.unref();
    }
  }

  /** No respawn from now on (destroy). */
  cancelRespawns() {
    for (const t of this.#respawnTimers) clearTimeout(t);
    this.#respawnTimers.clear();
  }

  /** Ends every worker for good; resolves when all have exited. */
  async terminateAll() {
    this.#stopping = true;
    const slots = [...this.slots];
    // An unref'd worker that is ending (a crash just retired it, or this
    // retire) may not keep the event loop alive until its 'exit': the
    // process could end with close() pending. Hold every one until it exits.
    for (const slot of slots) slot.worker.ref();
    for (const slot of slots) this.retire(slot, 'shutdown');
    await Promise.all(slots.map((slot) => slot.whenExited));
  }
}

module.exports = { Workers, WorkerSlot, gcLock };
