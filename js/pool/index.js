'use strict';
// The worker pool: ThreadPool, the engine behind the public Pool (js/index.js).
// It takes calls (submit, load), hands chunks to workers and reads their
// replies, and shuts down; each of its parts has one job:
//   calls.js      Request and Call, and the state machine from submit to settle
//   scheduler.js  which chunk goes to which worker (round robin, pipeline, steal)
//   slots.js      the workers: spawn, exit, respawn, retire, idle, refs
//   ../protocol.js  the messages to and from workers
//   ../tasks.js   each chunk's state in shared memory, moved by CAS on both sides
//
// Failure model. Each chunk sent to a worker is a task with a state in shared
// memory (js/tasks.js): QUEUED, RUNNING, COMMITTING, COMMITTED, FINISHED or
// CANCELLED, also when several chunks go in one message (a batch: each is
// still a task of its own). The worker computes a chunk in its own wasm
// memory and writes it back only after winning RUNNING -> COMMITTING (a
// chunk that writes nothing goes RUNNING -> FINISHED); the main thread stops
// a task by winning QUEUED/RUNNING/FINISHED -> CANCELLED. So:
//   - a worker that dies leaves each of its tasks in a state that says what
//     happened: QUEUED, FINISHED or RUNNING wrote nothing (retried; only a
//     RUNNING one, the chunk it died in, counts as an attempt, and a chunk
//     gets MAX_ATTEMPTS), COMMITTED was written
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

const { EventEmitter } = require('node:events');
const debuglog = require('node:util').debuglog('sabre');
const { kernelTable } = require('../kernels');
const { Execution } = require('../executor');
const { Engine, compileModule, defaultGlue } = require('../engine');
const { specsOf, checkDefinition } = require('../custom');
const { Stats } = require('../stats');
const tasks = require('../tasks');
const protocol = require('../protocol');
const { paths } = require('../declare');
const relaxed = require('../relaxed');
const { poolOptions, callOptions } = require('../options');
const { internalOptions } = require('../internal');
const { AbortError, QueueFullError, PoolClosedError } = require('../errors');
const { Calls, newTask } = require('./calls');
const { Scheduler } = require('./scheduler');
const { Workers, gcLock } = require('./slots');

/** In a WorkerSlot's `loaded` (beside declaration files): it holds the fused module. */
const RELAXED = Symbol('relaxed module');

class ThreadPool extends EventEmitter {
  #opts;
  #calls;
  #scheduler;
  #workers;
  #states = new tasks.TaskStates();
  #userModules = new Map(); // declaration file -> compiled WebAssembly.Module
  #nextTaskId = 1;
  #broken = null; // error once workers cannot start at all
  #closing = null; // promise of close()
  #destroyed = false;
  #reffed = null; // whether workers and timers keep the process alive

  constructor(options = {}) {
    super();
    const internal = internalOptions(options);
    this.#opts = poolOptions(options, internal);
    this.kernels = { ...kernelTable(this.#opts.kernelsModule) };
    this.stats = new Stats();
    // What the parts share: each reaches the others only through this.
    const parts = {
      opts: this.#opts,
      module: compileModule(this.#opts.gluePath ?? defaultGlue),
      stats: this.stats,
      states: this.#states,
      emit: (event, arg) => this.emit(event, arg),
      reffed: () => this.#reffed,
      refresh: () => this.#updateRefs(),
      needsDrain: () => this.needsDrain,
      dispatch: (slot, call, indices, envelope) => this.#dispatch(slot, call, indices, envelope),
      flush: (slot, envelope) => this.#post(slot, envelope.splice(0)),
      onMessage: (slot, msg) => this.#onMessage(slot, msg),
      broken: (err) => this.#breakPool(err),
    };
    this.#calls = parts.calls = new Calls(parts);
    this.#scheduler = parts.scheduler = new Scheduler(parts);
    this.#workers = parts.workers = new Workers(parts);
    for (let i = 0; i < this.#opts.minThreads; i++) this.#workers.spawn();
  }

  get threads() {
    return this.#workers.count;
  }

  /** True while the queue is full; 'drain' is emitted when it has room again. */
  get needsDrain() {
    const queued = this.#calls.unstarted;
    return queued > 0 && queued >= this.#opts.maxQueue;
  }

  /** Requests waiting for a worker to take their first chunk. */
  get queueSize() {
    return this.#calls.unstarted;
  }

  /**
   * Whether a new call would have to wait: as in piscina, maxQueue bounds the
   * calls that wait, so even `maxQueue: 0` accepts a call an idle worker can
   * start at once. Workers still starting count as idle.
   */
  #mustQueue() {
    return this.#calls.unstarted >= this.#workers.idleCount();
  }

  submit(kernel, args, rawOpts) {
    // Every check throws before anything is registered; a throw here becomes
    // the returned promise's rejection.
    try {
      const opts = callOptions(rawOpts);
      // options.fused: the kernel's fused variant, or a TypeError / ERR_SABRE_RELAXED_SIMD_UNSUPPORTED.
      const name = relaxed.variantOf(this.kernels, kernel, opts.fused);
      const spec = this.kernels[name];
      const prepared = spec.prepare(args, true);
      if (this.#closing || this.#destroyed) {
        throw new PoolClosedError('The pool is closed and accepts no new calls', { code: 'ERR_SABRE_POOL_CLOSED' });
      }
      if (this.#broken) throw this.#broken;
      if (this.#calls.unstarted >= this.#opts.maxQueue && this.#mustQueue()) {
        throw new QueueFullError(`The pool's queue is full (maxQueue ${this.#opts.maxQueue})`, { code: 'ERR_SABRE_QUEUE_FULL' });
      }
      // Compiled (once per process) before the call is registered: workers get it with their first fused chunk.
      if (relaxed.needsRelaxed(spec)) relaxed.relaxedModule();
      const request = this.#calls.newRequest(spec.displayName ?? kernel, opts, new Execution(this.kernels, name, prepared, { inPlace: opts.inPlace, threads: this.#opts.maxThreads }));
      if (opts.signal) this.#listen(request, opts.signal);
      this.#calls.submit(request);
      if (debuglog.enabled) debuglog('call %d %s: %d units in %d chunks', request.id, kernel, request.pass.pass.units, request.pass.chunks);
      this.#scheduler.schedule(); // ends with grow(): a worker is added if work waits
      return request.promise;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Listening may throw (a hostile signal): it is done before the request is
   * registered, and `aborted` is read after it, so no abort can fall between.
   */
  #listen(request, signal) {
    signal.listen(() => {
      const pass = request.pass;
      if (this.#calls.live.has(pass)) this.#calls.fail(pass, new AbortError(undefined, { cause: signal.reason }));
    });
    let aborted = true;
    try {
      aborted = signal.aborted;
    } finally {
      if (aborted) signal.unlisten();
    }
    if (aborted) throw new AbortError(undefined, { cause: signal.reason });
  }

  /**
   * Adds the kernels of a user declaration (sabre.defineKernels) after
   * checking it on this thread; workers load it with their first chunk of it.
   */
  load(def) {
    if (!this.#userModules.has(def?.filename)) {
      const { module } = checkDefinition(def, Engine);
      this.#userModules.set(def.filename, module);
      const specs = specsOf(def);
      const derive = this.#opts.kernelsModule ? require(this.#opts.kernelsModule).derive : undefined;
      Object.assign(this.kernels, specs, derive?.(specs));
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
    return this.#workers.crashOne();
  }

  /**
   * Sends chunks `indices` of `call` to `slot` in one message: a batch
   * (js/protocol.js), each chunk a task of its own with its own state slot,
   * so each has its own fate when the worker dies or the call is cancelled.
   * The pass's data goes with it only if that worker does not hold it yet; a
   * batch that ends the chunks of its pass to send tells the worker to drop
   * the data after it (a chunk sent again later carries it again).
   * `envelope` (an array, tiny calls: js/pool/scheduler.js): the message
   * waits there to go with others in one (#post), unless it carries state
   * for the worker, which goes alone, after what waits.
   */
  #dispatch(slot, call, indices, envelope = undefined) {
    const n = indices.length;
    if (n > 1 && debuglog.enabled) debuglog('call %d: chunks %s in one batch', call.request.id, indices.join(','));
    const refs = new Array(n);
    const ids = new Array(n);
    for (let k = 0; k < n; k++) {
      refs[k] = this.#states.acquire();
      ids[k] = this.#nextTaskId++;
    }
    const [start, end] = call.range(indices[0]);
    let more;
    if (n > 1) {
      more = [];
      for (let k = 1; k < n; k++) {
        const [s, t] = call.range(indices[k]);
        more.push(ids[k], s, t, refs[k].block, refs[k].index);
      }
    }
    const cached = call.seenBy?.has(slot) === true;
    const last = !call.hasPending();
    const def = call.spec.definition;
    // The fused module, with this worker's first chunk that runs on it.
    const sendRelaxed = relaxed.needsRelaxed(call.spec) && !slot.loaded.has(RELAXED);
    // Zero copy: every split array in one shared memory (declare.js); the
    // worker gets its own instance on it with its first such chunk.
    const owner = call.zeroCopy; // decided when the pass was registered (calls.js)
    let attach;
    try {
      attach = owner && !slot.attached.has(owner) ? owner.workerContext() : undefined;
    } catch (err) {
      // The memory cannot hold this worker's stack and scratch (its
      // RangeError names the bytes): only this call fails.
      this.#undispatched(call, indices, refs, err);
      return;
    }
    const msg = protocol.chunk({
      id: ids[0],
      pass: call.id,
      data: cached ? undefined : protocol.passData(call.kernel, call.args, owner?.id, owner !== null && call.request.inPlace),
      last,
      start,
      end,
      block: refs[0].block,
      index: refs[0].index,
      blocks: slot.blocksSent < this.#states.blocks.length ? this.#states.blocks.slice(slot.blocksSent) : undefined,
      load: def && !slot.loaded.has(def) ? { filename: def, module: this.#userModules.get(def) } : undefined,
      forget: slot.forget.length > 0 ? slot.forget : undefined,
      attach: attach && { id: owner.id, module: owner.module, memory: owner.memory, ctx: attach },
      more,
      relaxed: sendRelaxed ? relaxed.relaxedModule() : undefined,
    });
    // blocksAt: what this message makes known to the worker.
    const part = { msg, call, indices, ids, refs, owner, attach, def, sendRelaxed, last, blocksAt: this.#states.blocks.length };
    const stateless = msg.blocks === undefined && msg.load === undefined && msg.forget === undefined && msg.attach === undefined && msg.relaxed === undefined;
    if (envelope && stateless) {
      envelope.push(part);
      return;
    }
    if (envelope) this.#post(slot, envelope.splice(0)); // what was dealt before goes first
    this.#post(slot, [part]);
  }

  /**
   * Posts `parts` (#dispatch) to `slot` in one message, an envelope when
   * there are several (js/protocol.js), then does each one's bookkeeping in
   * order: the order the worker runs them. One that cannot be posted fails
   * its own call (an envelope that cannot be is posted part by part).
   */
  #post(slot, parts) {
    if (parts.length === 0) return;
    if (parts.length > 1) {
      try {
        slot.send(protocol.envelope(parts.map((p) => p.msg)), this.#opts.atomics);
      } catch {
        for (const p of parts) this.#post(slot, [p]);
        return;
      }
      parts.forEach((p, i) => this.#sent(slot, p, i === 0));
      return;
    }
    const [p] = parts;
    try {
      slot.send(p.msg, this.#opts.atomics);
    } catch (err) {
      if (p.attach) p.owner.releaseWorkerContext(p.attach);
      this.#notSent(p.call, p.indices, p.refs, err);
      return;
    }
    this.#sent(slot, p, true);
  }

  /** Part `p` (#dispatch) was posted: its tasks join the worker's queue. */
  #sent(slot, { msg, call, indices, ids, refs, owner, attach, def, sendRelaxed, last, blocksAt }, startsMessage) {
    const n = indices.length;
    if (attach) slot.attached.set(owner, attach);
    if (owner) paths.poolZeroCopy += n;
    if (msg.forget) slot.takeForget();
    if (def) slot.loaded.add(def);
    if (sendRelaxed) slot.loaded.add(RELAXED);
    if (last) call.seenBy?.delete(slot);
    else (call.seenBy ??= new Set()).add(slot);
    slot.blocksSent = blocksAt;
    const wasIdle = slot.tasks.length === 0;
    for (let k = 0; k < n; k++) {
      const task = newTask(ids[k], call, indices[k], refs[k]);
      slot.tasks.push(task);
      call.tasks.push(task);
    }
    // stats() counts messages (Calls.answered): an envelope's parts after its first start none.
    if (startsMessage) slot.tasks[slot.tasks.length - n].startsBatch = true;
    slot.tasks[slot.tasks.length - 1].endsBatch = true;
    slot.batches++;
    this.#workers.busy(slot);
    this.#calls.leaveQueue(call.request);
    if (wasIdle) this.#calls.taskStarted(slot.tasks[0]);
  }

  /**
   * A batch's message could not be posted. Arguments are checked to be
   * sendable up front, so this is a bug or a hostile object that changed
   * since: only this call fails.
   */
  #notSent(call, indices, refs, err) {
    const e = new TypeError(`sabre: the arguments of ${call.label} cannot be sent to a worker thread: ${err.message}`);
    e.code = 'ERR_SABRE_ARGUMENT_NOT_CLONEABLE';
    e.cause = err;
    this.#undispatched(call, indices, refs, e);
  }

  /** Chunks `indices` of `call` were not sent: their task slots freed, the chunks back in the queue (in order), the call failed with `err`. */
  #undispatched(call, indices, refs, err) {
    for (const ref of refs) this.#states.release(ref);
    for (let k = indices.length - 1; k >= 0; k--) this.#scheduler.requeue(call, indices[k]);
    this.#calls.fail(call, err);
  }

  /**
   * A message from a worker (js/protocol.js). Replies come in the order the
   * worker ran its tasks, a batch's all in one message; each is handled as
   * if it had come alone, then chunks are scheduled once for all of them.
   */
  #onMessage(slot, msg) {
    if (msg.type === protocol.READY) {
      this.#workers.started(slot);
      this.#scheduler.schedule();
      this.#workers.idle(slot);
      return;
    }
    if (msg.type === protocol.PROVISIONAL) {
      // Its write-back follows; kept if the worker dies. In a batch, it is
      // not necessarily the head's.
      const task = slot.tasks.find((t) => t.id === msg.id);
      if (task) task.value = msg.value;
      return;
    }
    const batch = msg.type === protocol.BATCH;
    if (slot.tasks[0]?.id !== (batch ? msg.replies[0].id : msg.id)) return;
    this.#workers.batch(() => {
      if (!batch) this.#answer(slot, msg);
      else for (const reply of msg.replies) if (!this.#answer(slot, reply)) break;
      this.#workers.retireIfPending(slot);
      this.#scheduler.schedule();
    });
    this.#workers.idle(slot);
  }

  /** The reply for the head task of `slot`: false if it is not (nothing done). */
  #answer(slot, reply) {
    const task = slot.tasks[0];
    if (!task || task.id !== reply.id) return false;
    slot.tasks.shift();
    this.#states.release(task.ref);
    if (task.endsBatch) {
      slot.batches--;
      if (slot.tasks.length > 0) this.#calls.taskStarted(slot.tasks[0]);
    }
    if (task.call && reply.type === protocol.DONE) this.#scheduler.observe(task.call, task.index, reply.runMs);
    this.#calls.answered(task, reply);
    return true;
  }

  /** Workers and timers keep the process alive only while there is work; switched only when that changes. */
  #updateRefs() {
    const busy = this.#calls.live.size > 0;
    if (busy === this.#reffed) return;
    this.#reffed = busy;
    this.#workers.setRef(busy);
    this.#scheduler.setRef(busy);
  }

  #breakPool(err) {
    this.#broken = err;
    this.#calls.failAll(err);
  }

  close() {
    if (this.#closing) return this.#closing;
    this.#closing = (async () => {
      if (this.#calls.live.size > 0) await new Promise((resolve) => this.once('idle', resolve));
      await this.#terminateAll();
    })();
    return this.#closing;
  }

  /** Fails every live call the way any failure does (Calls.fail), then ends the workers. */
  async destroy() {
    if (this.#destroyed) return;
    this.#destroyed = true;
    const err = new PoolClosedError('The pool was destroyed before this call finished', { code: 'ERR_SABRE_POOL_DESTROYED' });
    // A call that already failed (an abort) keeps its own error.
    this.#calls.failAll(err);
    this.#workers.cancelRespawns();
    await this.#terminateAll();
  }

  async #terminateAll() {
    this.#scheduler.stop();
    await this.#workers.terminateAll();
  }
}

module.exports = { ThreadPool, gcLock };
