'use strict';
// The options of a Pool and of one pool call, checked and copied into plain
// objects. Only own properties count (an `Object.prototype.timeout = 1` set
// by other code changes nothing) and each is read once.
//
// The AbortSignal is used through the built-in accessors of AbortSignal and
// EventTarget, so a subclass that overrides `aborted` or `addEventListener`
// cannot lie to the pool; anything that throws on the way is a TypeError
// naming `options.signal`, raised before the call is registered.

const os = require('node:os');
const { isProxy } = require('node:util').types;
const v = require('./validate');
const { invalidArgType, outOfRange, messageOf } = require('./errors');
const { kInternal } = require('./internal'); // sabre's own tests' wiring (js/internal.js)

const POOL_KEYS = ['threads', 'maxQueue', 'idleTimeout', 'atomics', 'resourceLimits'];

/** What other pools call some of sabre's options: named in the error for such a key. */
const OTHER_NAMES = {
  maxThreads: 'threads (a count, or { min, max })',
  minThreads: 'threads (a count, or { min, max })',
  numThreads: 'threads',
  maxWorkers: 'threads',
  idleTimeoutMs: 'idleTimeout',
  abortSignal: 'signal',
  inPlace: 'transactional (false writes in place without an undo copy)',
};

/**
 * Refuses an own key of options object `obj` (argument `name`) that is not
 * in `known`: a misspelt option, or another pool's name for one (piscina's
 * `maxThreads`), would otherwise be ignored without a word and the call run
 * with the defaults. Symbol keys count too. Returns `obj`.
 */
function onlyKnownKeys(name, obj, known) {
  const extra = v.unknownKeys(v.object(name, obj), known);
  if (extra.length === 0) return obj;
  const key = extra[0];
  const instead = typeof key === 'string' && Object.hasOwn(OTHER_NAMES, key) ? `; sabre's option is ${OTHER_NAMES[key]}` : '';
  throw invalidArgType(`${name}.${String(key)}`, `one of ${known.filter((k) => typeof k === 'string').join(', ')}`, undefined, `an unknown option${instead}`);
}

/**
 * Worker resource limits, with the range Node can run (measured on Node 20
 * and 24): a `stackSizeMb` of 0.2 or less aborts the whole process when a
 * worker starts, 0.25 is too small for a worker to boot; huge code ranges or
 * stacks abort it too. `maxOldGenerationSizeMb` below 8 cannot even start a
 * worker (the pool would report it, but the option is plainly wrong).
 */
const RESOURCE_LIMITS = {
  maxOldGenerationSizeMb: [8, 2 ** 20],
  maxYoungGenerationSizeMb: [1, 2 ** 16],
  codeRangeSizeMb: [1, 4096],
  stackSizeMb: [0.5, 4096],
};

function resourceLimits(value) {
  if (value === undefined) return undefined;
  const names = Object.keys(RESOURCE_LIMITS);
  onlyKnownKeys('options.resourceLimits', value, names);
  const given = v.ownProps('options.resourceLimits', value, names);
  const out = {};
  for (const [key, [min, max]] of Object.entries(RESOURCE_LIMITS)) {
    const x = given[key];
    if (x === undefined) continue;
    v.number(`options.resourceLimits.${key}`, x);
    if (!(x >= min && x <= max)) throw outOfRange(`options.resourceLimits.${key}`, `a number of megabytes >= ${min} and <= ${max}`, x);
    out[key] = x;
  }
  return out;
}

const MAX_THREADS = 1024;

function threadCounts(threads) {
  // Each count is checked before it is used in any arithmetic: Math.max on a
  // Symbol throws, and on an object runs its valueOf.
  const count = (name, x, min) => v.integer(name, x, min, MAX_THREADS);
  if (threads === undefined) {
    const n = os.availableParallelism();
    return { minThreads: n, maxThreads: n };
  }
  if (typeof threads === 'object' && threads !== null) {
    const { min, max } = v.ownProps('options.threads', onlyKnownKeys('options.threads', threads, ['min', 'max']), ['min', 'max']);
    if (min !== undefined) count('options.threads.min', min, 0);
    const maxThreads = max === undefined ? Math.max(os.availableParallelism(), min ?? 1) : count('options.threads.max', max, 1);
    const minThreads = min === undefined ? Math.min(1, maxThreads) : min;
    if (minThreads > maxThreads) {
      throw outOfRange('options.threads.min', `an integer >= 0 and <= threads.max (${maxThreads})`, minThreads);
    }
    return { minThreads, maxThreads };
  }
  if (typeof threads !== 'number') throw invalidArgType('options.threads', 'a number or an object { min, max }', threads);
  const n = count('options.threads', threads, 1);
  return { minThreads: n, maxThreads: n };
}

/** A Pool's options. `internal` (test builds only) comes from js/internal.js. */
function poolOptions(options, internal = {}) {
  const o = v.ownProps('options', onlyKnownKeys('options', options, [...POOL_KEYS, kInternal]), POOL_KEYS);
  const { threads, maxQueue = Infinity, idleTimeout = 30_000, atomics = true } = o;
  v.boolean('options.atomics', atomics);
  v.number('options.idleTimeout', idleTimeout);
  if (!(idleTimeout >= 0 && idleTimeout <= 2 ** 31 - 1)) {
    throw outOfRange('options.idleTimeout', 'a number of milliseconds >= 0 and <= 2^31 - 1', idleTimeout);
  }
  v.number('options.maxQueue', maxQueue);
  if (maxQueue !== Infinity && (!Number.isInteger(maxQueue) || maxQueue < 0)) {
    throw outOfRange('options.maxQueue', 'a non-negative integer or Infinity', maxQueue);
  }
  return {
    ...threadCounts(threads),
    atomics,
    idleTimeout,
    maxQueue,
    resourceLimits: resourceLimits(o.resourceLimits),
    gluePath: internal.gluePath,
    kernelsModule: internal.kernelsModule,
    batchChunks: internal.batchChunks, // a fixed batch size, for tests (js/pool/scheduler.js)
  };
}

const intrinsicGet = (proto, key) => Object.getOwnPropertyDescriptor(proto, key).get;
const abortedGetter = intrinsicGet(AbortSignal.prototype, 'aborted');
const reasonGetter = intrinsicGet(AbortSignal.prototype, 'reason');
const { addEventListener, removeEventListener } = EventTarget.prototype;

function signalError(value, err) {
  const e = invalidArgType('options.signal', 'an AbortSignal', value, `an object that fails as one (${messageOf(err)})`);
  e.cause = err;
  return e;
}

/** An AbortSignal, used only through the built-in accessors. */
class Signal {
  constructor(signal) {
    // A Proxy is refused outright: Node's AbortSignal and EventTarget
    // accessors check their receiver by reading its own symbol-keyed
    // fields, which a Proxy's traps answer, so through a Proxy even the
    // built-in accessors would run the caller's code and could be lied to.
    if (isProxy(signal)) throw invalidArgType('options.signal', 'an AbortSignal (not a Proxy)', signal);
    let isSignal = false;
    try {
      isSignal = signal instanceof AbortSignal;
    } catch {
      // not one
    }
    if (!isSignal) throw invalidArgType('options.signal', 'an AbortSignal', signal);
    this.signal = signal;
    try {
      Reflect.apply(abortedGetter, signal, []); // brand check: throws on a fake
    } catch (err) {
      throw signalError(signal, err);
    }
    this.listener = null;
  }

  get aborted() {
    try {
      return Reflect.apply(abortedGetter, this.signal, []);
    } catch (err) {
      throw signalError(this.signal, err);
    }
  }

  /** The abort reason, or the error reading it threw. */
  get reason() {
    try {
      return Reflect.apply(reasonGetter, this.signal, []);
    } catch (err) {
      return err;
    }
  }

  /** Throws a TypeError naming options.signal if it cannot be listened to. */
  listen(fn) {
    try {
      Reflect.apply(addEventListener, this.signal, ['abort', fn, { once: true }]);
    } catch (err) {
      throw signalError(this.signal, err);
    }
    this.listener = fn;
  }

  unlisten() {
    if (this.listener === null) return;
    try {
      Reflect.apply(removeEventListener, this.signal, ['abort', this.listener]);
    } catch {
      // Nothing more can be done; the listener checks that its call is live.
    }
    this.listener = null;
  }
}

/** One call's options: `{ signal?: Signal, timeout?, onProgress?, inPlace, fused }`. */
function callOptions(opts) {
  if (opts === undefined) return NO_CALL_OPTIONS;
  const { signal, timeout, onProgress, transactional, fused } = v.ownProps('options', onlyKnownKeys('options', opts, CALL_OPTIONS), CALL_OPTIONS);
  if (timeout !== undefined && !(v.number('options.timeout', timeout) > 0 && timeout <= 2 ** 31 - 1)) {
    throw outOfRange('options.timeout', 'a number of milliseconds > 0 and <= 2^31 - 1', timeout);
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw invalidArgType('options.onProgress', 'a function', onProgress);
  }
  return { signal: signal === undefined ? undefined : new Signal(signal), timeout, onProgress, inPlace: inPlaceOf(transactional), fused: fusedOf(fused) };
}

const CALL_OPTIONS = ['signal', 'timeout', 'onProgress', 'transactional', 'fused'];
/** A call without options: one frozen object for all of them. */
const NO_CALL_OPTIONS = Object.freeze({ signal: undefined, timeout: undefined, onProgress: undefined, inPlace: false, fused: false });

/**
 * `transactional: false` (default true): an in-place kernel on arrays that
 * sabre.shared allocated writes straight into them, without the undo copy
 * that lets a chunk be put back (see README, "Shared arrays").
 */
function inPlaceOf(transactional) {
  if (transactional !== undefined && typeof transactional !== 'boolean') {
    throw invalidArgType('options.transactional', 'a boolean', transactional);
  }
  return transactional === false;
}

/**
 * `fused: true` (default false): matmul's fused mode, `f32x4.relaxed_madd`,
 * not bit-identical to the naive loop (js/relaxed.js says where it runs).
 */
function fusedOf(fused) {
  if (fused !== undefined && typeof fused !== 'boolean') throw invalidArgType('options.fused', 'a boolean', fused);
  return fused === true;
}

/**
 * A direct call's options: `{ inPlace, fused }` from `transactional` and
 * `fused`. The pool's other call options are accepted and mean nothing on
 * this thread (the call is synchronous: nothing to abort or time out), so
 * one options object serves both paths; any other key is refused.
 */
function directOptions(opts) {
  if (opts === undefined) return { inPlace: false, fused: false };
  const { transactional, fused } = v.ownProps('options', onlyKnownKeys('options', opts, CALL_OPTIONS), ['transactional', 'fused']);
  return { inPlace: inPlaceOf(transactional), fused: fusedOf(fused) };
}

/**
 * The own `signal`, `timeout` and `onProgress` of call options, each read
 * once, as a plain object: for a helper that makes many calls with the same
 * options (pool.kmeans), so a getter runs once, not once per call. Checked
 * by callOptions at each call.
 */
function readCallOptions(opts) {
  if (opts === undefined) return undefined;
  const { signal, timeout, onProgress, transactional, fused } = v.ownProps('options', onlyKnownKeys('options', opts, CALL_OPTIONS), CALL_OPTIONS);
  return { signal, timeout, onProgress, transactional, fused };
}

module.exports = { poolOptions, callOptions, readCallOptions, directOptions, onlyKnownKeys, CALL_OPTIONS };
