'use strict';
// Helpers to allocate typed arrays on a SharedArrayBuffer, the memory that
// workers can read and write in place without a copy through postMessage.

const { invalidArgType, outOfRange } = require('./errors');

function isShared(view) {
  return ArrayBuffer.isView(view) && view.buffer instanceof SharedArrayBuffer;
}

function alloc(Type, length) {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw outOfRange('length', 'a non-negative integer', length);
  }
  return new Type(new SharedArrayBuffer(length * Type.BYTES_PER_ELEMENT));
}

/**
 * A shared copy of `source` (a typed array or an array of numbers), as `Type`
 * (default: the source's own typed-array class).
 */
function from(source, Type) {
  if (Type === undefined) {
    if (!ArrayBuffer.isView(source) || source instanceof DataView) {
      throw invalidArgType('Type', 'a typed-array class when source is not a typed array', Type);
    }
    Type = source.constructor;
  }
  if (typeof source?.length !== 'number') {
    throw invalidArgType('source', 'a typed array or an array of numbers', source);
  }
  const out = alloc(Type, source.length);
  out.set(source);
  return out;
}

const make = (Type) => (length) => alloc(Type, length);

module.exports = {
  isShared,
  from,
  float32: make(Float32Array),
  float64: make(Float64Array),
  int32: make(Int32Array),
  uint32: make(Uint32Array),
  uint8: make(Uint8Array),
  uint8Clamped: make(Uint8ClampedArray),
};
