'use strict';
// Argument checks shared by the kernels and the pool. Each throws a TypeError
// or RangeError naming the argument, before anything is modified.
//
// Nothing here trusts what an argument says about itself. A typed array is
// recognised, measured and located with the built-in %TypedArray% getters
// (its internal slots), never its own `length`, `buffer` or `constructor`,
// which a subclass or a Proxy can fake; and it is replaced by a plain view of
// the same memory (`canonical`), so no code of the caller's runs later in the
// call. Option objects are read once each, own properties only, so a getter
// or an inherited `Object.prototype` key cannot change what was checked; and
// a spec reads them before it checks any array, so a getter (the caller's
// last code to run in the call) cannot detach or shrink a checked array.

const { types: utilTypes } = require('node:util');
const { invalidArgType, outOfRange, messageOf } = require('./errors');
const { sameMemory } = require('./shared-memory');

const FLOATS = [Float32Array, Float64Array];
const BYTES = [Uint8Array, Uint8ClampedArray];

const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const intrinsic = (proto, key) => {
  const get = Object.getOwnPropertyDescriptor(proto, key).get;
  return (value) => Reflect.apply(get, value, []);
};
/** The class name of a real typed array ('Float64Array'), else undefined; never throws. */
const kindOf = intrinsic(TypedArrayPrototype, Symbol.toStringTag);
const lengthOf = intrinsic(TypedArrayPrototype, 'length');
const byteOffsetOf = intrinsic(TypedArrayPrototype, 'byteOffset');
const bufferOf = intrinsic(TypedArrayPrototype, 'buffer');
const arrayBufferBytes = intrinsic(ArrayBuffer.prototype, 'byteLength');
const detachedGetter = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'detached')?.get;

/** Whether an ArrayBuffer has been detached (transferred or structured-clone-transferred). */
function isDetached(buffer) {
  if (utilTypes.isSharedArrayBuffer(buffer)) return false;
  if (detachedGetter) return Reflect.apply(detachedGetter, buffer, []);
  // Node 20 has no `detached` getter: a detached buffer reports 0 bytes and
  // cannot be viewed.
  if (arrayBufferBytes(buffer) !== 0) return false;
  try {
    new Uint8Array(buffer); // eslint-disable-line no-new
    return false;
  } catch {
    return true;
  }
}

/** The view sabre works on, once checked: a plain `T` over the same bytes. */
const originals = new WeakMap(); // canonical view -> the caller's array

/** The caller's own object for a canonical view, so in-place kernels return what they were given. */
const original = (value) => (value !== null && typeof value === 'object' && originals.get(value)) || value;

function typeNames(types) {
  const names = types.map((t) => t.name);
  return names.length === 1 ? `a ${names[0]}` : `a ${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/**
 * `value` must be a typed array of one of `types`; with `shared`, backed by a
 * SharedArrayBuffer (what the pool's workers can write into). Returns the
 * canonical view to use instead of `value` from here on.
 */
function typedArray(name, value, types, shared) {
  const kind = kindOf(value);
  const T = kind === undefined ? undefined : types.find((t) => t.name === kind);
  if (!T) throw invalidArgType(name, typeNames(types), value);
  const buffer = bufferOf(value);
  if (isDetached(buffer)) {
    throw invalidArgType(name, `${typeNames(types)} on a usable buffer`, value, `a ${kind} whose ArrayBuffer is detached`);
  }
  if (shared && !utilTypes.isSharedArrayBuffer(buffer)) {
    throw invalidArgType(
      name,
      `${typeNames(types)} backed by a SharedArrayBuffer (allocate it with sabre.shared.*, or copy it with sabre.shared.from())`,
      value,
      `a ${kind} on a plain ArrayBuffer`,
    );
  }
  let view;
  try {
    view = new T(buffer, byteOffsetOf(value), lengthOf(value));
  } catch (err) {
    // Out of bounds: a resizable buffer shrunk under the view.
    throw invalidArgType(name, `${typeNames(types)} within its buffer`, value, `a ${kind} that is out of bounds (${err.message})`);
  }
  originals.set(view, value);
  return view;
}

/** `b` must have the same element type as `a` (both canonical). */
function sameType(name, b, a) {
  if (b.constructor !== a.constructor) {
    throw invalidArgType(name, `a ${a.constructor.name}, like the first array`, b);
  }
}

function sameLength(name, b, a) {
  if (b.length !== a.length) {
    throw outOfRange(`${name}.length`, `equal to ${a.length}, the first array's length`, b.length);
  }
}

/**
 * Two views must not partly overlap: chunks of one would read what chunks of
 * the other already wrote, and the result would depend on timing. The very
 * same range (aliasing, e.g. axpy(y, a, y)) is fine.
 */
function noPartialOverlap(name, b, a) {
  if (!sameMemory(a, b)) return;
  const [a0, a1] = [a.byteOffset, a.byteOffset + a.byteLength];
  const [b0, b1] = [b.byteOffset, b.byteOffset + b.byteLength];
  if (a0 < b1 && b0 < a1 && !(a0 === b0 && a1 === b1)) {
    const err = new RangeError(`The "${name}" argument partly overlaps the first array in memory`);
    err.code = 'ERR_SABRE_OVERLAP';
    throw err;
  }
}

/**
 * `b` must not share a single byte with `a`: an output that is a separate
 * buffer, or an input that chunks would read after others rewrote it.
 */
function noOverlap(name, b, aName, a) {
  if (a.byteLength === 0 || b.byteLength === 0 || !sameMemory(a, b)) return;
  if (a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength) {
    const err = new RangeError(`The "${name}" argument overlaps the "${aName}" array in memory; it must be a separate buffer`);
    err.code = 'ERR_SABRE_OVERLAP';
    throw err;
  }
}

function number(name, value) {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  return value;
}

function finite(name, value) {
  number(name, value);
  if (!Number.isFinite(value)) throw outOfRange(name, 'a finite number', value);
  return value;
}

function integer(name, value, min, max) {
  number(name, value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw outOfRange(name, `an integer >= ${min} and <= ${max}`, value);
  }
  return value;
}

function boolean(name, value) {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

function object(name, value) {
  if (value === null || typeof value !== 'object') throw invalidArgType(name, 'of type object', value);
  return value;
}

/**
 * The own properties `keys` of the object `obj` (argument `name`), each read
 * exactly once; inherited ones are ignored, a getter that throws (or a Proxy
 * trap) becomes a TypeError naming the property. Absent keys are undefined.
 */
function ownProps(name, obj, keys) {
  object(name, obj);
  const out = {};
  for (const key of keys) {
    const label = `${name}.${String(key)}`;
    let d;
    try {
      d = Reflect.getOwnPropertyDescriptor(obj, key);
      out[key] = d === undefined ? undefined : 'value' in d ? d.value : d.get === undefined ? undefined : Reflect.apply(d.get, obj, []);
    } catch (err) {
      const e = invalidArgType(label, 'a readable property', obj, `a property whose read threw: ${messageOf(err)}`);
      e.cause = err;
      throw e;
    }
  }
  return out;
}

/** Own keys of `obj` that are not in `known` (for a strict options object). */
function unknownKeys(obj, known) {
  try {
    return Reflect.ownKeys(obj).filter((k) => !known.includes(k));
  } catch {
    return [];
  }
}

module.exports = {
  FLOATS,
  BYTES,
  kindOf,
  typedArray,
  original,
  sameType,
  sameLength,
  noPartialOverlap,
  noOverlap,
  number,
  finite,
  integer,
  boolean,
  object,
  ownProps,
  unknownKeys,
};
