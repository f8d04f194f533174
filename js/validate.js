'use strict';
// Argument checks shared by the kernels. Each throws a TypeError or
// RangeError naming the argument, before anything is modified.

const { invalidArgType, outOfRange } = require('./errors');

const FLOATS = [Float32Array, Float64Array];
const BYTES = [Uint8Array, Uint8ClampedArray];

function typeNames(types) {
  const names = types.map((t) => t.name);
  return names.length === 1 ? `a ${names[0]}` : `a ${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/**
 * `value` must be an instance of one of `types`; with `shared`, it must also
 * be backed by a SharedArrayBuffer (what the pool's workers can write into).
 */
function typedArray(name, value, types, shared) {
  if (!types.some((T) => value instanceof T)) {
    throw invalidArgType(name, typeNames(types), value);
  }
  if (shared && !(value.buffer instanceof SharedArrayBuffer)) {
    throw invalidArgType(
      name,
      `${typeNames(types)} backed by a SharedArrayBuffer (allocate it with sabre.shared.*, or copy it with sabre.shared.from())`,
      value,
      `a ${value.constructor.name} on a plain ArrayBuffer`,
    );
  }
  return value;
}

/** `b` must have the same class as `a`. */
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
  if (a.buffer !== b.buffer) return;
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
  if (a.buffer !== b.buffer || a.byteLength === 0 || b.byteLength === 0) return;
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

function object(name, value) {
  if (value === null || typeof value !== 'object') throw invalidArgType(name, 'of type object', value);
  return value;
}

module.exports = {
  FLOATS,
  BYTES,
  typedArray,
  sameType,
  sameLength,
  noPartialOverlap,
  noOverlap,
  number,
  finite,
  integer,
  object,
};
