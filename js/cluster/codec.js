'use strict';
// What crosses Redis for a cluster call, and how: JSON for the small parts
// (scalars, chunk ranges, key names), raw bytes for typed arrays. Job data
// and return values are JSON (BullMQ's), so they never hold binary data: a
// typed array there is a reference (`{ $in: name }` to an input key), and a
// chunk's results travel as one binary frame in a key of their own.
//
// JSON loses -0, NaN and the infinities (a reduction's partial can be any of
// them), so numbers that JSON cannot carry become `{ $n: text }`.

const TYPES = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

const odd = (x) => typeof x === 'number' && (!Number.isFinite(x) || Object.is(x, -0));
const typeOf = (view) => Object.keys(TYPES).find((name) => view instanceof TYPES[name]);

/** JSON text of `value`; each typed array in it becomes what `onArray(view)` returns. */
function toJSON(value, onArray) {
  return JSON.stringify(value, function replacer(key, v) {
    // `this[key]`: the value before any toJSON ran.
    const raw = this[key];
    if (ArrayBuffer.isView(raw)) return onArray(raw);
    if (odd(raw)) return { $n: String(raw) };
    return v;
  });
}

/** The value of `toJSON`'s text; `onRef(ref)` gives back each typed array. */
function fromJSON(text, onRef) {
  return JSON.parse(text, (key, v) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      if (typeof v.$n === 'string' && Object.keys(v).length === 1) return Number(v.$n);
      if (v.$in !== undefined || v.$t !== undefined) return onRef(v);
    }
    return v;
  });
}

/** A typed array of `type` over a copy of `bytes` (on a SharedArrayBuffer with `shared`). */
function arrayFrom(type, bytes, shared) {
  const T = TYPES[type];
  if (!T) throw new TypeError(`sabre cluster: unknown array type ${type}`);
  const buffer = shared ? new SharedArrayBuffer(bytes.byteLength) : new ArrayBuffer(bytes.byteLength);
  new Uint8Array(buffer).set(bytes);
  return new T(buffer);
}

const bytesOf = (view) => new Uint8Array(view.buffer, view.byteOffset, view.byteLength);

/**
 * One binary frame: a 4-byte little-endian header length, the JSON header,
 * then the bytes of every typed array in `value`, in order.
 */
function encodeFrame(value) {
  const parts = [];
  let offset = 0;
  const header = Buffer.from(
    toJSON(value, (view) => {
      const ref = { $t: typeOf(view), o: offset, n: view.byteLength };
      parts.push(bytesOf(view));
      offset += view.byteLength;
      return ref;
    }),
  );
  const head = Buffer.alloc(4);
  head.writeUInt32LE(header.length);
  return Buffer.concat([head, header, ...parts]);
}

/**
 * A job's result: `{ inline: JSON text }` when it holds no typed array (a
 * reduction's partials: it travels in the job's return value), else
 * `{ frame: Buffer }` (binary, for a key of its own).
 */
function encodeResult(value) {
  let binary = false;
  const text = toJSON(value, () => {
    binary = true;
    return null;
  });
  return binary ? { frame: encodeFrame(value) } : { inline: text };
}

function decodeFrame(buf) {
  const n = buf.readUInt32LE(0);
  const tail = buf.subarray(4 + n);
  return fromJSON(buf.toString('utf8', 4, 4 + n), (ref) => arrayFrom(ref.$t, tail.subarray(ref.o, ref.o + ref.n), false));
}

module.exports = { toJSON, fromJSON, arrayFrom, bytesOf, typeOf, encodeFrame, encodeResult, decodeFrame };
