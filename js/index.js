'use strict';
// sabre's public API.
//
//   sabre.kernels.NAME(...args)        direct: synchronous, on this thread
//   new sabre.Pool(options)            a worker_threads pool whose
//   pool.kernels.NAME(...args, opts?)  calls have the same signatures but
//                                      return Promises and fan out
//   sabre.shared.float32(n) ...        typed arrays on a SharedArrayBuffer
//   new sabre.Cluster({ connection })  the same calls on BullMQ workers
//                                      elsewhere (js/cluster/)

const { EventEmitter } = require('node:events');
const { Engine } = require('./engine');
const { kernels } = require('./kernels');
const { runSync } = require('./executor');
const { ThreadPool } = require('./pool');
const { kmeans } = require('./kernels/kmeans');
const { defineKernels, checkDefinition, specsOf, qualifiedName } = require('./custom');
const { readCallOptions, directOptions } = require('./options');
const shared = require('./shared');
const errors = require('./errors');
const relaxed = require('./relaxed');

let directEngine = null;

/**
 * Runs a call on this thread, chunk by chunk, exactly as the pool splits it
 * (js/executor.js), every pass on the same engine. An in-place kernel
 * returns the caller's own array, not sabre's canonical view of it.
 */
function runDirect(table, kernel, args, engine = (directEngine ??= new Engine()), inPlace = false) {
  const call = table[kernel].prepare(args, false);
  engine.inPlace = inPlace; // transactional: false (js/declare.js, js/zero-copy.js)
  try {
    return runSync(table, kernel, call, (spec, c, s, t) => engine.runChunk(spec, c, s, t), { inPlace });
  } finally {
    engine.inPlace = false;
  }
}

/** `{ name: (...args, options?) => ... }` for each kernel a declaration names. */
function methodsOf(def, invoke) {
  return Object.freeze(
    Object.fromEntries(
      Object.keys(def.kernels).map((name) => [name, { [name]: (...args) => invoke(qualifiedName(def, name), args) }[name]]),
    ),
  );
}

/**
 * A user's own kernels (see defineKernels), called directly on this thread.
 * The declaration is checked against its wasm module first.
 */
function load(def) {
  const { engine } = checkDefinition(def, Engine);
  const specs = specsOf(def);
  return methodsOf(def, (name, args) => {
    const n = specs[name].params.length;
    const { inPlace, fused } = directOptions(args[n]);
    return runDirect(specs, relaxed.variantOf(specs, name, fused), args.slice(0, n), engine, inPlace);
  });
}

/** Public kernels only: names starting with '_' are internal passes. */
const publicEntries = (table) => Object.entries(table).filter(([name]) => !name.startsWith('_'));

const direct = Object.freeze(
  Object.fromEntries(
    publicEntries(kernels).map(([name, spec]) => [
      name,
      {
        [name]: (...args) => {
          const n = spec.params.length;
          // The options ({ transactional, fused }) are read before the arguments are checked.
          const { inPlace, fused } = directOptions(args[n]);
          const kernel = relaxed.variantOf(kernels, name, fused);
          // The fused variant runs on this thread's engine on the fused module.
          const engine = relaxed.needsRelaxed(kernels[kernel]) ? relaxed.relaxedEngine() : undefined;
          return runDirect(kernels, kernel, args.slice(0, n), engine, inPlace);
        },
      }[name],
    ]),
  ),
);

/**
 * A pool of worker threads, each with its own instance of sabre's wasm. The
 * public face of ThreadPool: the engine stays private.
 */
class Pool extends EventEmitter {
  #pool;

  constructor(options = {}) {
    super();
    this.#pool = new ThreadPool(options);
    const pool = this.#pool;
    for (const event of ['workerExit', 'workerError', 'idle', 'drain']) {
      pool.on(event, (...args) => this.emit(event, ...args));
    }
    this.kernels = Object.freeze(
      Object.fromEntries(
        publicEntries(pool.kernels).map(([name, spec]) => [
          name,
          {
            [name]: (...args) => pool.submit(name, args.slice(0, spec.params.length), args[spec.params.length]),
          }[name],
        ]),
      ),
    );
  }

  /**
   * k-means to convergence: kmeansStep iterations on this pool, from
   * k-means++ (or `options.init`) seeds. `callOptions` (signal, timeout,
   * onProgress) apply to each iteration.
   */
  async kmeans(points, dims, k, options = {}, callOptions = undefined) {
    const perStep = readCallOptions(callOptions); // read once, not once per iteration
    return kmeans((...args) => this.#pool.submit('kmeansStep', args, perStep), points, dims, k, options);
  }

  /**
   * A user's own kernels (see defineKernels) on this pool: the same methods
   * as `sabre.load(definition)` gives, returning Promises. The declaration is
   * checked against its wasm module first, on this thread.
   */
  load(definition) {
    const pool = this.#pool;
    pool.load(definition);
    return methodsOf(definition, (name, args) => {
      const n = pool.kernels[name].params.length;
      return pool.submit(name, args.slice(0, n), args[n]);
    });
  }

  /**
   * Ends one busy worker abruptly, as a crash would: its chunk goes back to
   * the queue and runs on a fresh worker. For resilience tests and demos.
   * Returns the worker's threadId, or null if no worker was busy.
   */
  simulateCrash() {
    return this.#pool.simulateCrash();
  }

  /** Number of worker threads. */
  get threads() {
    return this.#pool.threads;
  }

  /** Calls waiting for their first chunk to start. */
  get queueSize() {
    return this.#pool.queueSize;
  }

  /** True while the queue is full (maxQueue); 'drain' fires when it has room. */
  get needsDrain() {
    return this.#pool.needsDrain;
  }

  /**
   * Per kernel: calls, failed, chunks, run-time and wait-time percentiles
   * (ms), and worker utilization, since the pool started and over the last
   * 60 s.
   */
  stats() {
    return { threads: this.threads, queueSize: this.queueSize, ...this.#pool.stats.snapshot(this.threads) };
  }

  /** Stops accepting calls, lets queued calls finish, then ends the workers. */
  close() {
    return this.#pool.close();
  }

  /** Rejects every pending call and ends the workers now. */
  destroy() {
    return this.#pool.destroy();
  }

  [Symbol.asyncDispose]() {
    return this.close();
  }
}

/** k-means to convergence on this thread (kmeansStep iterations). */
function kmeansDirect(points, dims, k, options = {}) {
  return kmeans(direct.kmeansStep, points, dims, k, options);
}

module.exports = {
  kernels: direct,
  kmeans: kmeansDirect,
  defineKernels,
  load,
  Pool,
  Cluster: require('./cluster').Cluster,
  shared,
  /** What this runtime supports, detected when sabre loads: `relaxedSimd` (matmul's `fused` mode). */
  features: Object.freeze({ relaxedSimd: relaxed.supported }),
  SabreError: errors.SabreError,
  KernelError: errors.KernelError,
  WorkerCrashError: errors.WorkerCrashError,
  TimeoutError: errors.TimeoutError,
  QueueFullError: errors.QueueFullError,
  PoolClosedError: errors.PoolClosedError,
  AbortError: errors.AbortError,
};
