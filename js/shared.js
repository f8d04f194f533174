'use strict';
// sabre.shared: typed arrays in sabre's shared WebAssembly.Memory (see
// js/shared-memory.js), where kernels read and write them in place, on this
// thread and on every pool worker, with no copy. Their .buffer is a
// SharedArrayBuffer like any other, so they are ordinary typed arrays to
// everything else.
//
// Release is explicit: free(array), or `using x = sabre.shared.float64(n)`
// (Symbol.dispose). An array dropped without either is freed when the
// collector finds it dead (a FinalizationRegistry backstop; sabre also runs
// a full collection every 128 MiB allocated so that dropped arrays come back
// before the memory grows). Arrays derived from one (subarray(), a view over
// its .buffer) do not keep it alive; they work with every kernel, through the
// copy path.
//
// The memory is made on first use, one per thread, up to wasm32's 4 GiB.

const { invalidArgType, outOfRange } = require('./errors');
const { createSharedMemory, ownerOf } = require('./shared-memory');

/** wasm32's limit: 65536 pages of 64 KiB. */
const MAXIMUM_PAGES = 65536;
let memory;
/** This thread's shared memory, made on first use. */
const sharedMemory = () => (memory ??= createSharedMemory({ maximum: MAXIMUM_PAGES }));

function isShared(view) {
  return ArrayBuffer.isView(view) && view.buffer instanceof SharedArrayBuffer;
}

function alloc(Type, length) {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw outOfRange('length', 'a non-negative integer', length);
  }
  return sharedMemory().alloc(Type, length);
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

/**
 * Returns `view`'s bytes to the memory. Freeing twice is ERR_SABRE_FREED,
 * an array sabre.shared did not allocate ERR_SABRE_NOT_SHARED, one a pool
 * call is still running on ERR_SABRE_IN_USE.
 */
function free(view) {
  if (memory === undefined) {
    const err = new TypeError('"view" is not an array that sabre.shared allocated');
    err.code = 'ERR_SABRE_NOT_SHARED';
    throw err;
  }
  memory.free(view);
}

/** Whether `view` is an array sabre.shared allocated and has not freed (kernels run on it without copies). */
const isAllocated = (view) => memory !== undefined && ownerOf(view) === memory;

/** `{ arrays, liveBytes, grownBytes, maximumBytes }` of this thread's shared memory. */
const usage = () => (memory ? memory.usage() : { arrays: 0, liveBytes: 0, grownBytes: 0, maximumBytes: MAXIMUM_PAGES * 65536 });

const make = (Type) => (length) => alloc(Type, length);

module.exports = {
  isShared,
  isAllocated,
  from,
  free,
  usage,
  float32: make(Float32Array),
  float64: make(Float64Array),
  int32: make(Int32Array),
  uint32: make(Uint32Array),
  uint8: make(Uint8Array),
  uint8Clamped: make(Uint8ClampedArray),
};
