'use strict';
// Error classes and factories. Every error sabre raises has a `name` and a
// stable `code`; errors raised inside a worker are serialized with both (and
// any own enumerable fields) and rebuilt as the same class on the main thread.

const { isProxy } = require('node:util').types;

const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag).get;
const typedArrayKind = (value) => Reflect.apply(typedArrayTag, value, []);

class SabreError extends Error {
  constructor(message, { code = 'ERR_SABRE', cause, ...fields } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    Object.assign(this, fields);
  }
  get name() {
    return 'SabreError';
  }
}

/** A SabreError subclass whose `name` is `name` (kept on the prototype). */
function sabreErrorClass(name) {
  const Cls = { [name]: class extends SabreError {} }[name];
  Object.defineProperty(Cls.prototype, 'name', { get: () => name, configurable: true });
  return Cls;
}

/** A kernel panicked or trapped inside wasm. `message` is the panic's. */
const KernelError = sabreErrorClass('KernelError');
/** A worker died (exit, fatal error, OOM) twice on the same chunk. */
const WorkerCrashError = sabreErrorClass('WorkerCrashError');
/** A call ran past its `timeout`. */
const TimeoutError = sabreErrorClass('TimeoutError');
/** The pool's queue is at `maxQueue`. */
const QueueFullError = sabreErrorClass('QueueFullError');
/** The pool is closed or destroyed. */
const PoolClosedError = sabreErrorClass('PoolClosedError');

/** Same shape as Node's own AbortError (name 'AbortError', code 'ABORT_ERR'). */
class AbortError extends Error {
  constructor(message = 'The operation was aborted', options) {
    super(message, options);
    this.code = 'ABORT_ERR';
  }
  get name() {
    return 'AbortError';
  }
}

/** The own data property `key` of a plain object (never a getter, a Proxy trap or an inherited one), or undefined. */
function ownData(obj, key) {
  if (obj === null || typeof obj !== 'object' || isProxy(obj)) return undefined;
  return Object.getOwnPropertyDescriptor(obj, key)?.value;
}

/**
 * What a refused value was, for a message. Runs none of the value's own
 * code: no conversion to a primitive (a Symbol or a null-prototype object
 * has none; an object's toString is the caller's code), no getter, no
 * Proxy trap. An object is named by its prototype's own `constructor` and
 * that function's own `name`, both read as data properties.
 */
function describe(value) {
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return `symbol ${value.description === undefined ? 'Symbol()' : `Symbol(${value.description.slice(0, 40)})`}`;
  if (typeof value === 'bigint') return `bigint ${String(value).slice(0, 40)}n`;
  if (typeof value === 'string') return `string '${value.slice(0, 40)}'`;
  if (typeof value !== 'object') return `${typeof value} ${Object.is(value, -0) ? '-0' : String(value)}`;
  if (isProxy(value)) return 'a Proxy';
  const kind = typedArrayKind(value);
  if (kind !== undefined) return `an instance of ${kind}`;
  const proto = Object.getPrototypeOf(value); // not a Proxy: no trap
  if (proto === null) return 'an object with a null prototype';
  const name = ownData(ownData(proto, 'constructor'), 'name');
  return `an instance of ${typeof name === 'string' && name ? name : 'Object'}`;
}

/**
 * The message of something a caller's getter or trap threw, for the
 * refusal that wraps it: an Error's own string message, else a description
 * of the value. Never throws, whatever was thrown (null, a Symbol, a Proxy,
 * an object whose `message` is a getter that throws).
 */
function messageOf(thrown) {
  if (thrown instanceof Error && !isProxy(thrown)) {
    const own = ownData(thrown, 'message');
    if (typeof own === 'string') return own;
    try {
      // A built-in's message may be an accessor (DOMException's is).
      const message = thrown.message;
      if (typeof message === 'string') return message;
    } catch {
      // described below
    }
  }
  return typeof thrown === 'string' ? thrown : `a thrown ${describe(thrown)}`;
}

/**
 * TypeError for argument `name`, with Node's ERR_INVALID_ARG_TYPE code.
 * `received` overrides the description of `value`.
 */
function invalidArgType(name, expected, value, received = describe(value)) {
  const err = new TypeError(`The "${name}" argument must be ${expected}. Received ${received}`);
  err.code = 'ERR_INVALID_ARG_TYPE';
  return err;
}

/**
 * RangeError for argument `name`, with Node's ERR_OUT_OF_RANGE code. A
 * number is shown as it is; anything else is described (never converted).
 */
function outOfRange(name, expected, value) {
  const received = typeof value === 'number' ? (Object.is(value, -0) ? '-0' : String(value)) : describe(value);
  const err = new RangeError(`The value of "${name}" is out of range. It must be ${expected}. Received ${received}`);
  err.code = 'ERR_OUT_OF_RANGE';
  return err;
}

const classes = {
  Error,
  TypeError,
  RangeError,
  SabreError,
  KernelError,
  WorkerCrashError,
  TimeoutError,
  QueueFullError,
  PoolClosedError,
  AbortError,
};

/** A structured-clone-safe copy of an error, for postMessage. */
function serializeError(err) {
  if (!(err instanceof Error)) {
    return { name: 'Error', message: `non-error thrown: ${String(err)}`, fields: {} };
  }
  const fields = {};
  for (const [k, v] of Object.entries(err)) {
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) fields[k] = v;
  }
  return { name: err.name, message: err.message, stack: err.stack, fields };
}

/** Rebuilds an error of the same class, name, code and fields. */
function deserializeError({ name, message, stack, fields }) {
  const Cls = Object.hasOwn(classes, name) ? classes[name] : Error;
  const err = Cls.prototype instanceof SabreError ? new Cls(message, fields) : new Cls(message);
  Object.assign(err, fields);
  if (!Object.hasOwn(classes, name)) {
    // A JS error class we do not know (e.g. a WebAssembly.RuntimeError):
    // keep its name on a plain Error.
    Object.defineProperty(err, 'name', { value: name, configurable: true, writable: true });
  }
  if (stack) err.stack = `${stack}\n    at (sabre worker thread)`;
  return err;
}

module.exports = {
  SabreError,
  KernelError,
  WorkerCrashError,
  TimeoutError,
  QueueFullError,
  PoolClosedError,
  AbortError,
  describe,
  messageOf,
  invalidArgType,
  outOfRange,
  serializeError,
  deserializeError,
};
