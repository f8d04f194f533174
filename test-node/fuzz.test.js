'use strict';
// sabre's own adversarial suite (issue 9): seeded random argument lists
// against every public kernel, directly and on one shared Pool, against
// users' kernels (test-node/fixtures/user-faults.js, loaded both ways), the
// kmeans helper, per-call options and the Pool constructor's options.
//
// Each case builds a valid call, then breaks it in zero to three ways: wrong
// types and element types, hostile scalars, lengths off by one, overlapping
// and identical views of one buffer, detached and out-of-bounds buffers,
// empty arrays, non-shared arrays on the pool, Proxies, typed-array
// subclasses that lie, fake typed arrays, arrays of another realm, option
// objects with throwing getters, Proxies, inherited or extra keys, missing
// and extra arguments, hostile AbortSignals and callbacks. The outcome must
// be one of:
//   - success, and only if nothing made the call invalid;
//   - a TypeError or RangeError with a string `code` whose message names,
//     in quotes, a parameter (or a path under it: `x.length`, `view.width`,
//     `options.timeout`) that the case broke;
//   - a documented error the case allows: AbortError for a signal that
//     aborts, TimeoutError for a tiny timeout, KernelError from the user
//     kernel that recurses, or the very value the caller's onProgress threw.
// Anything else fails the case: a V8 message ("Cannot convert a Symbol value
// to a string"), a plain Error, a hang, a refusal that changed a byte of any
// buffer reachable from the arguments, a call that wrote outside the arrays
// it writes, code of the argument's own that sabre ran (valueOf, a trap of a
// Proxy around a typed array, a lying subclass's getter), an option property
// read twice, an unhandled rejection; and afterwards the pool must still
// answer, show sane stats and close in time.
//
// SABRE_FUZZ_SEED (default 9) and SABRE_FUZZ_ITERATIONS (cases per target
// and backend, default 400: about 20 s on a 2-core VM) override the run.
// Every case has its own random stream, so a failure's replay line,
// SABRE_FUZZ_SEED=s SABRE_FUZZ_CASE=backend:target:index, runs it alone;
// `node test-node/fuzz.test.js` (not --test) shows what it did.
// SABRE_FUZZ_SHOW=n prints n failures (default 12), SABRE_FUZZ_TRACE=1 every
// Pool-constructor case as it starts.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const vm = require('node:vm');
const { types: utilTypes } = require('node:util');
const { sabre, rng } = require('./helpers');

const envInt = (name, fallback) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return n;
};
const SEED = envInt('SABRE_FUZZ_SEED', 9);
const ITERATIONS = envInt('SABRE_FUZZ_ITERATIONS', 400);
const POOL_OPTION_CASES = ITERATIONS;
const ONLY = process.env.SABRE_FUZZ_CASE; // e.g. "pool:mandelbrot:17"
const SHOW = envInt('SABRE_FUZZ_SHOW', 12); // failures printed
const TRACE = process.env.SABRE_FUZZ_TRACE === '1'; // every case to stderr, before it runs
const IN_FLIGHT = 6; // pool cases started together (different targets)
const HANG_MS = 15_000; // a pool call not settled by then has hung
const userFaults = path.join(__dirname, 'fixtures', 'user-faults.js');

/** FNV-1a, so each case has its own stream and replays alone. */
function hash(text) {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

// ---------------------------------------------------------------------------
// Catalogues

const F = [Float32Array, Float64Array];
const B = [Uint8Array, Uint8ClampedArray];
const SORTABLE = [Float64Array, Float32Array, Int32Array, Uint32Array];
const ALL_CLASSES = [
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
  ...(typeof Float16Array === 'function' ? [Float16Array] : []), // eslint-disable-line no-undef
];
const otherRealm = vm.runInNewContext(
  `({ ${ALL_CLASSES.map((T) => T.name).join(', ')}, ArrayBuffer, SharedArrayBuffer, Object })`,
);

/** Numbers a scalar parameter may get: boundaries, specials, huge, fractional, past 2^53. */
const HOSTILE_NUMBERS = [
  NaN, Infinity, -Infinity, -0, 0, 1, -1, 0.5, -0.5, 1.5, 2, 3, 4, 7, 100, 101, 255, 256, 257, -255, -256,
  2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e300,
  Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON, -(2 ** 53), 1e-300,
];

/** Values that are not numbers. `c` records any code of theirs that runs. */
function nonNumbers(c, label) {
  return [
    '1', '', 'NaN', '0x10', true, false, null, undefined, 1n, -1n, 2n ** 64n, Symbol('s'), Symbol.iterator,
    {}, [], [1], [1, 2], () => 1, new Number(1), new String('1'), new Date(0), /1/,
    Object.create(null), c.tattle(label), c.tattle(label, true), c.throwingPrimitive(label),
    new Proxy({}, c.strictHandler(`${label} (Proxy)`)),
  ];
}

/** What a hostile getter or trap throws: not always an Error, sometimes worse. */
function thrownValues() {
  return [
    new Error('thrown by a getter'),
    new TypeError('a TypeError from the caller'),
    null,
    undefined,
    42,
    'a string',
    Symbol('thrown'),
    Object.create(null),
    new Proxy({}, { get() { throw new Error('a Proxy thrown, whose message throws'); } }),
    { get message() { throw new Error('message getter'); } },
    Object.assign(Object.create(null), { message: Symbol('message') }),
  ];
}

const ABSENT = Symbol('absent'); // an option field not set at all
const SLOTS = new WeakSet(); // option-object slots (nested ones are field values)

// The built-in typed-array getters, so that the suite itself never runs a
// lying array's own code while it looks at one.
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const intrinsic = (key) => {
  const get = Object.getOwnPropertyDescriptor(TypedArrayPrototype, key).get;
  return (v) => {
    try {
      return Reflect.apply(get, v, []);
    } catch {
      return undefined;
    }
  };
};
const taKind = intrinsic(Symbol.toStringTag);
const taLength = intrinsic('length');

// ---------------------------------------------------------------------------
// One case: its random stream, the arguments' slots and what they allow.

class Case {
  constructor(backend, target, index) {
    this.backend = backend;
    this.target = target;
    this.index = index;
    this.onPool = backend === 'pool';
    this.random = rng(hash(`${SEED}:${backend}:${target}:${index}`));
    this.buffers = []; // every ArrayBuffer / SharedArrayBuffer reachable from the arguments
    this.mayDetach = new Set(); // buffers our own hostile getters detach
    this.notes = []; // what was broken
    this.misuse = []; // code of the arguments' own that sabre ran
    this.reads = new Map(); // option property -> times read
    this.marks = new Map(); // what is broken, per argument (or option field): its latest mutation
    this.allow = { abort: false, mustAbort: false, timeout: false, kernel: false, thrown: [] };
    this.later = []; // promises of calls our own callbacks started
  }

  r() {
    return this.random();
  }
  int(n) {
    return Math.floor(this.r() * n);
  }
  pick(list) {
    return list[this.int(list.length)];
  }
  chance(p) {
    return this.r() < p;
  }

  /** Array lengths: mostly short, some empty, a few across a chunk boundary. */
  len({ big = false, max = Infinity } = {}) {
    const r = this.r();
    let n;
    if (r < 0.08) n = 0;
    else if (r < 0.6) n = 1 + this.int(16);
    else if (r < 0.9) n = this.int(300);
    else if (r < 0.99 || !big) n = this.int(3000);
    else n = 2 ** 18 - 1 + this.int(3);
    return Math.min(n, max);
  }

  /** A number any numeric scalar accepts (all of them, NaN and infinities too). */
  anyNumber() {
    return this.chance(0.8) ? (this.r() - 0.5) * 20 : this.pick(HOSTILE_NUMBERS);
  }

  /** Fills `view` (a `T` over some buffer) with values, some of them special. */
  fill(view, T, n) {
    const special = [NaN, -0, Infinity, -Infinity, 1e308, 5e-324, -1e-310];
    for (let i = 0; i < n; i++) {
      const r = this.r();
      if (T === BigInt64Array || T === BigUint64Array) view[i] = BigInt(Math.floor(r * 1e6));
      else if (T === Float32Array || T === Float64Array) view[i] = r < 0.9 ? (this.r() - 0.5) * 200 : this.pick(special);
      else view[i] = Math.floor(r * 2 ** 32) - 2 ** 31;
    }
  }

  /** A new buffer of `bytes`, its bytes random, recorded as reachable. */
  buffer(bytes, { shared, realm = globalThis, resizable = false } = {}) {
    const Buf = shared ? realm.SharedArrayBuffer : realm.ArrayBuffer;
    const buf = resizable ? new Buf(bytes, { maxByteLength: 2 * bytes + 16 }) : new Buf(bytes);
    const u8 = new Uint8Array(buf);
    for (let i = 0; i < u8.length; i++) u8[i] = this.int(256);
    this.buffers.push(buf);
    return buf;
  }

  /**
   * A plain `T` of `n` elements, sometimes between guard elements of its
   * buffer (which must never change). Returns { value, region }.
   */
  typed(T, n, { shared = this.onPool, realm = globalThis, guards = true } = {}) {
    const bpe = T.BYTES_PER_ELEMENT;
    const lead = guards && this.chance(0.3) ? 1 + this.int(3) : 0;
    const tail = guards && this.chance(0.3) ? 1 + this.int(3) : 0;
    const buf = this.buffer((lead + n + tail) * bpe, { shared, realm });
    const RealmT = realm === globalThis ? T : realm[T.name];
    const value = new RealmT(buf, lead * bpe, n);
    this.fill(new T(buf, lead * bpe, n), T, n);
    return { value, region: { buf, start: lead * bpe, end: (lead + n) * bpe } };
  }

  /** An object whose conversions to a primitive are recorded (and maybe throw). */
  tattle(label, throws = false) {
    const note = (what) => {
      this.misuse.push(`${label}: sabre ran the value's ${what}`);
      if (throws) throw new Error(`${what} of ${label}`);
    };
    return {
      valueOf() {
        note('valueOf');
        return 1;
      },
      toString() {
        note('toString');
        return '1';
      },
      toJSON() {
        note('toJSON');
        return 1;
      },
    };
  }

  /** An object whose Symbol.toPrimitive records that it ran, then throws. */
  throwingPrimitive(label) {
    return {
      [Symbol.toPrimitive]: (hint) => {
        this.misuse.push(`${label}: sabre ran the value's Symbol.toPrimitive (${hint})`);
        throw new Error('Symbol.toPrimitive');
      },
    };
  }

  /** Proxy traps that must never run (a Proxy around a typed array, or as a number). */
  strictHandler(label, throwing = false) {
    const handler = {};
    for (const trap of Object.getOwnPropertyNames(Reflect)) {
      handler[trap] = (...a) => {
        this.misuse.push(`${label}: sabre ran its Proxy "${trap}" trap`);
        if (throwing) throw new Error(`${trap} trap`);
        return Reflect[trap](...a);
      };
    }
    return handler;
  }

  /**
   * Marks what one mutation of `key` (an argument, `view.width`, `options#`
   * for the object itself) did; a later mutation of the same key replaces it.
   */
  broke(key, note, { blame = key, refuses = false, neutral = false }) {
    this.notes.push(note);
    this.marks.set(key, { blame: [].concat(blame), refuses, neutral });
  }

  /** The marks that still apply: an object replaced by a non-object, or whose fields are not own, drops its field marks' certainty. */
  get live() {
    const out = [];
    for (const [key, m] of this.marks) {
      const base = key.endsWith('#') ? key.slice(0, -1) : key;
      const owners = base.split('.').map((_, i, parts) => this.marks.get(`${parts.slice(0, i).join('.')}#`)).slice(1);
      if (owners.some((w) => w?.replaced && w !== m)) continue;
      out.push(owners.some((w) => w?.hidesFields && w !== m) ? { ...m, refuses: false } : m);
    }
    return out;
  }
  get invalid() {
    return this.live.some((m) => !m.neutral);
  }
  get mustRefuse() {
    return this.live.some((m) => m.refuses);
  }
  get blame() {
    return new Set(this.live.filter((m) => !m.neutral).flatMap((m) => m.blame));
  }

  /** Reads of an option property, counted (each must be read at most once). */
  read(key) {
    this.reads.set(key, (this.reads.get(key) ?? 0) + 1);
  }
}

// ---------------------------------------------------------------------------
// Slots: one per parameter, built valid, then maybe broken.

/** A typed-array parameter. */
function arraySlot(c, name, types, T, n, { writes = false, mustShare = c.onPool, align = 1 } = {}) {
  const { value, region } = c.typed(T, n);
  return { kind: 'array', name, types, T, n, align, writes, mustShare, value, region, desc: `${T.name}(${n})${region.start ? ` @${region.start}` : ''}${c.onPool ? ' shared' : ''}` };
}

/** A number parameter. */
function numberSlot(name, value) {
  return { kind: 'number', name, value, desc: describeValue(value) };
}

/** A parameter that takes any value (the user kernel addOne's `options`). */
function anySlot(name, value) {
  return { kind: 'any', name, value, desc: describeValue(value) };
}

/**
 * An options object: `fields` (values, ABSENT, or nested object slots),
 * `schema` (the kind of each known field), materialized when the call is made.
 */
function objectSlot(name, fields, schema, { required = [], strict = false, key = name, accepts } = {}) {
  // `key` names its marks: a pool's call options are "options" in messages,
  // like the kmeans helper's and addOne's own parameter, but marked apart.
  // `accepts(v)`: whether a non-object in its place is valid too (a Pool's
  // `threads` may be a count).
  const slot = { kind: 'object', name, key, fields, schema, required, strict, accepts, style: 'plain', replaced: undefined };
  SLOTS.add(slot);
  return slot;
}

/** A Pool's `threads` as a count (js/options.js): an integer from 1 to 1024. */
const threadCount = (v) => Number.isInteger(v) && v >= 1 && v <= 1024;
/** A Pool's `threads` as `{ min, max }`; a count in its place is valid too. */
const threadsSlot = (name, fields, opts = {}) => objectSlot(name, fields, { min: 'count', max: 'count' }, { ...opts, accepts: threadCount });

/** A short, side-effect-free description of a value for failure reports. */
function describeValue(v) {
  if (v === ABSENT) return '(absent)';
  if (typeof v === 'symbol') return v.toString();
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'a function';
  if (v === null || typeof v !== 'object') return Object.is(v, -0) ? '-0' : String(v);
  if (utilTypes.isProxy(v)) return 'a Proxy';
  if (SLOTS.has(v)) return `{${Object.entries(v.fields).map(([k, x]) => `${k}: ${describeValue(x)}`).join(', ')}}`;
  const kind = taKind(v);
  if (kind !== undefined) return `a ${kind}(${taLength(v)})`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v instanceof AbortSignal) return 'an AbortSignal';
  if (utilTypes.isArrayBuffer(v) || utilTypes.isSharedArrayBuffer(v)) return `a ${utilTypes.isSharedArrayBuffer(v) ? 'SharedArrayBuffer' : 'ArrayBuffer'}`;
  return 'an object';
}

// ---------------------------------------------------------------------------
// Mutations

const classesNotIn = (types) => ALL_CLASSES.filter((T) => !types.some((t) => t.name === T.name));

/** Replaces an array slot's value (and region) with something else. */
function mutateArray(c, slot, slots) {
  const { name, T, n, types } = slot;
  const self = { blame: name };
  const kind = c.pick([
    'notArray', 'notArray', 'wrongClass', 'wrongClass', 'otherAccepted', 'length', 'length', 'empty', 'detached',
    'detached', 'buffer', 'buffer', 'proxy', 'proxy', 'liar', 'liar', 'realm', 'fake', 'outOfBounds', 'growable',
    'alias', 'alias', 'decorated',
  ]);
  const replace = (value, region, desc) => {
    slot.value = value;
    slot.region = region;
    slot.desc = desc;
  };
  switch (kind) {
    case 'notArray': {
      const r = c.typed(T, n, { guards: false });
      const values = [
        ...nonNumbers(c, name),
        0, 5, NaN,
        Array.from({ length: n }, () => 1),
        r.region.buf, // the buffer itself
        new DataView(r.region.buf),
        Object.create(T.prototype),
        new (class extends Array {})(),
      ];
      const v = c.pick(values);
      replace(v, null, `not a typed array: ${describeValue(v)}`);
      c.broke(name, `${name}: ${slot.desc}`, { ...self, refuses: true });
      return;
    }
    case 'wrongClass': {
      const W = c.pick([...classesNotIn(types), DataView]);
      const bpe = W === DataView ? 1 : W.BYTES_PER_ELEMENT;
      const buf = c.buffer(Math.max(n, 1) * bpe, { shared: c.onPool });
      const v = W === DataView ? new DataView(buf) : new W(buf);
      replace(v, { buf, start: 0, end: buf.byteLength }, `${W.name}(${n}) (not accepted)`);
      c.broke(name, `${name}: ${slot.desc}`, { ...self, refuses: true });
      return;
    }
    case 'otherAccepted': {
      const others = types.filter((t) => t !== T);
      if (others.length === 0) return mutateArray(c, slot, slots);
      const W = c.pick(others);
      const r = c.typed(W, n);
      replace(r.value, r.region, `${W.name}(${n}) (another accepted class)`);
      c.broke(name, `${name}: ${slot.desc}`, { blame: '*' });
      return;
    }
    case 'length':
    case 'empty': {
      const a = slot.align;
      const m = kind === 'empty' ? 0 : c.pick([n + 1, n - 1, n + a, n - a, 2 * n + 1, n + 4, 1].filter((x) => x >= 0 && x !== n));
      if (m === undefined || m === n) return mutateArray(c, slot, slots);
      const r = c.typed(T, m);
      replace(r.value, r.region, `${T.name}(${m}) (length ${n} needed)`);
      c.broke(name, `${name}: ${slot.desc}`, { blame: '*' });
      return;
    }
    case 'detached': {
      const r = c.typed(T, n, { shared: false, guards: false });
      structuredClone(r.region.buf, { transfer: [r.region.buf] });
      replace(r.value, null, `${T.name}(${n}) on a detached ArrayBuffer`);
      c.broke(name, `${name}: ${slot.desc}`, { ...self, refuses: true });
      return;
    }
    case 'buffer': {
      // The other kind of buffer: plain on the pool, shared on the direct path.
      const shared = !c.onPool;
      const r = c.typed(T, n, { shared });
      replace(r.value, r.region, `${T.name}(${n}) on a ${shared ? 'SharedArrayBuffer' : 'plain ArrayBuffer'}`);
      const refuses = c.onPool && slot.mustShare;
      c.broke(name, `${name}: ${slot.desc}`, { ...self, refuses, neutral: !refuses });
      return;
    }
    case 'proxy': {
      const r = c.typed(T, n);
      const throwing = c.chance(0.5);
      const v = new Proxy(r.value, c.strictHandler(`${name} (Proxy around a ${T.name})`, throwing));
      replace(v, r.region, `a Proxy around ${T.name}(${n})${throwing ? ', every trap throwing' : ''}`);
      c.broke(name, `${name}: ${slot.desc}`, { ...self, refuses: true });
      return;
    }
    case 'liar': {
      const r = c.typed(T, n);
      const v = liar(c, name, T, r);
      replace(v.value, r.region, v.desc);
      c.broke(name, `${name}: ${slot.desc}`, { neutral: true });
      return;
    }
    case 'realm': {
      const r = c.typed(T, n, { realm: otherRealm });
      replace(r.value, r.region, `${T.name}(${n}) of another realm`);
      c.broke(name, `${name}: ${slot.desc}`, { neutral: true });
      return;
    }
    case 'fake': {
      const r = c.typed(T, n);
      const fake = Object.create(T.prototype);
      for (const [key, value] of [['length', n], ['buffer', r.region.buf], ['byteOffset', r.region.start], ['byteLength', n * T.BYTES_PER_ELEMENT], [Symbol.toStringTag, T.name]]) {
        Object.defineProperty(fake, key, {
          get: () => {
            c.misuse.push(`${name}: sabre read ${String(key)} of a fake typed array`);
            return value;
          },
        });
      }
      replace(fake, r.region, `a fake ${T.name} (its prototype, own getters)`);
      c.broke(name, `${name}: ${slot.desc}`, { ...self, refuses: true });
      return;
    }
    case 'outOfBounds': {
      if (c.onPool) return mutateArray(c, slot, slots);
      const bytes = n * T.BYTES_PER_ELEMENT;
      const buf = c.buffer(bytes + T.BYTES_PER_ELEMENT, { shared: false, resizable: true });
      const tracking = c.chance(0.5);
      const v = tracking ? new T(buf) : new T(buf, 0, n);
      buf.resize(c.int(bytes + 1));
      replace(v, { buf, start: 0, end: buf.byteLength }, `${T.name} ${tracking ? 'tracking' : `(${n})`} on a resizable buffer shrunk to ${buf.byteLength} bytes`);
      c.broke(name, `${name}: ${slot.desc}`, { blame: '*' });
      return;
    }
    case 'growable': {
      const bytes = n * T.BYTES_PER_ELEMENT;
      const buf = c.buffer(bytes, { shared: c.onPool, resizable: true });
      c.fill(new T(buf), T, n);
      replace(new T(buf), { buf, start: 0, end: bytes }, `${T.name}(${n}) tracking a ${c.onPool ? 'growable SharedArrayBuffer' : 'resizable ArrayBuffer'}`);
      c.broke(name, `${name}: ${slot.desc}`, { neutral: true });
      return;
    }
    case 'alias': {
      const others = slots.filter((s) => s !== slot && s.kind === 'array' && s.region && !utilTypes.isProxy(s.value) && s.region.buf.byteLength > 0);
      if (others.length === 0) return mutateArray(c, slot, slots);
      const other = c.pick(others);
      const { buf, start } = other.region;
      const bpe = T.BYTES_PER_ELEMENT;
      const shift = c.pick([0, 0, bpe, -bpe, 2 * bpe]);
      const from = Math.min(Math.max(0, start + shift), buf.byteLength);
      const offset = from - (from % bpe);
      const m = Math.max(0, Math.min(n, Math.floor((buf.byteLength - offset) / bpe)));
      const v = new T(buf, offset, m);
      replace(v, { buf, start: offset, end: offset + m * bpe }, `${T.name}(${m}) @${offset} in the buffer of "${other.name}" (@${start})`);
      c.broke(name, `${name}: ${slot.desc}`, { blame: '*' });
      return;
    }
    case 'decorated': {
      const r = c.typed(T, n);
      const v = r.value;
      for (const key of ['length', 'buffer', 'byteOffset', 'constructor', Symbol.toStringTag]) {
        Object.defineProperty(v, key, {
          get: () => {
            c.misuse.push(`${name}: sabre read the array's own ${String(key)} property`);
            return 7;
          },
        });
      }
      if (c.chance(0.5)) Object.preventExtensions(v);
      replace(v, r.region, `${T.name}(${n}) with own length/buffer/constructor getters`);
      c.broke(name, `${name}: ${slot.desc}`, { neutral: true });
      return;
    }
    default:
      throw new Error(kind);
  }
}

/** A subclass instance of `T` over the region `r` whose overrides lie, throw and tattle. */
function liar(c, name, T, r) {
  const spy = (what, result) =>
    function () {
      c.misuse.push(`${name}: sabre ran the subclass's ${what}`);
      if (result === 'throw') throw new Error(`${what} of a lying subclass`);
      return result;
    };
  const lies = {
    length: c.pick([0, 2 ** 20, 'throw']),
    byteLength: c.pick([0, 8, 'throw']),
    byteOffset: c.pick([8, 'throw']),
    buffer: c.pick([new ArrayBuffer(8), 'throw']),
  };
  class Liar extends T {
    static get [Symbol.species]() {
      c.misuse.push(`${name}: sabre asked the subclass for Symbol.species`);
      return Array;
    }
  }
  for (const [key, lie] of Object.entries(lies)) Object.defineProperty(Liar.prototype, key, { get: spy(`${key} getter`, lie) });
  for (const method of ['subarray', 'set', 'slice', 'fill', 'at', 'map', 'sort', 'copyWithin']) {
    Object.defineProperty(Liar.prototype, method, { value: spy(`${method}()`, 'throw') });
  }
  Object.defineProperty(Liar.prototype, 'constructor', { get: spy('constructor getter', Float32Array) });
  Object.defineProperty(Liar.prototype, Symbol.iterator, { value: spy('iterator', 'throw') });
  const bpe = T.BYTES_PER_ELEMENT;
  const value = new Liar(r.region.buf, r.region.start, (r.region.end - r.region.start) / bpe);
  return { value, desc: `a lying subclass of ${T.name}(${(r.region.end - r.region.start) / bpe}) (${Object.entries(lies).map(([k, v]) => `${k}: ${typeof v === 'object' ? 'other buffer' : v}`).join(', ')})` };
}

/** Replaces a number slot's value. */
function mutateNumber(c, slot, shape) {
  if (c.chance(0.5)) {
    const v = c.pick(HOSTILE_NUMBERS);
    slot.value = v;
    slot.desc = describeValue(v);
    c.broke(slot.name, `${slot.name}: ${slot.desc}`, { blame: shape ? '*' : slot.name });
  } else {
    const v = c.pick(nonNumbers(c, slot.name));
    slot.value = v;
    slot.desc = `${describeValue(v)} (not a number)`;
    c.broke(slot.name, `${slot.name}: ${slot.desc}`, { refuses: true });
  }
}

/** Replaces an any-value slot (a user kernel's untyped scalar). */
function mutateAny(c, slot) {
  const cloneable = [undefined, null, 0, NaN, 'text', 1n, [1, 2], { a: { b: [1] } }, new Map([[1, 2]]), new Date(0), new Uint8Array(3), c.typed(Float64Array, 2, { shared: true }).value];
  const uncloneable = [() => 1, Symbol('s'), { f() {} }, new Proxy({}, {}), new WeakMap(), c.tattle(slot.name), getterThrowing(c), Object.assign(Object.create(null), { s: Symbol('inner') })];
  if (c.chance(0.5)) {
    slot.value = c.pick(cloneable);
    slot.desc = `${describeValue(slot.value)} (cloneable)`;
    c.broke(slot.name, `${slot.name}: ${slot.desc}`, { neutral: true });
  } else {
    slot.value = c.pick(uncloneable);
    slot.desc = `${describeValue(slot.value)} (not cloneable)`;
    // Only a pool sends it to a worker; the direct path passes it through.
    c.broke(slot.name, `${slot.name}: ${slot.desc}`, { refuses: c.onPool, neutral: !c.onPool });
  }
}

/** An object with one enumerable getter that throws a hostile value. */
function getterThrowing(c) {
  const thrown = c.pick(thrownValues());
  return Object.defineProperty({}, 'field', {
    enumerable: true,
    get() {
      throw thrown;
    },
  });
}

/** Field values that break a field of kind `kind`: { value, refuses, neutral, shape }. */
function hostileField(c, o, key, kind, slots) {
  const label = `${o.name}.${key}`;
  if (c.chance(0.15)) return { value: ABSENT, refuses: o.required.includes(key), neutral: !o.required.includes(key) };
  switch (kind) {
    case 'int':
    case 'finite':
    case 'number':
    case 'ms':
    case 'count':
      if (c.chance(0.5)) return { value: c.pick(HOSTILE_NUMBERS), shape: true };
      return { value: c.pick(nonNumbers(c, label).filter((v) => v !== undefined)), refuses: true };
    case 'bool':
      return { value: c.pick([0, 1, 'true', null, Symbol('b'), c.tattle(label), {}]), refuses: true };
    case 'fn':
      return hostileCallback(c, label);
    case 'signal':
      return hostileSignal(c);
    case 'init':
      return hostileInit(c, slots);
    case 'threads': {
      if (c.chance(0.5)) return { value: c.pick([...HOSTILE_NUMBERS, ...nonNumbers(c, label).filter((v) => typeof v !== 'object' || v === null)]), shape: true };
      const min = c.pick([ABSENT, 0, 1, 2, -1, 0.5, NaN, '1', null, 2000, Symbol('m'), c.tattle(`${label}.min`), 1n]);
      const max = c.pick([ABSENT, 1, 2, 4, 0, -1, 1.5, 1025, Infinity, '2', null, c.tattle(`${label}.max`), 1n]);
      const nested = threadsSlot(label, { min, max });
      return { value: nested, shape: true };
    }
    case 'limits': {
      const fields = {};
      for (const k of LIMIT_KEYS) {
        if (c.chance(0.4)) fields[k] = c.pick([...HOSTILE_NUMBERS, '8', null, Symbol('l'), c.tattle(`${label}.${k}`), 1n]);
      }
      if (c.chance(0.2)) fields[c.pick(['stackSize', 'maxOldSpaceSizeMb', 'foo'])] = 1;
      return { value: objectSlot(label, fields, Object.fromEntries(LIMIT_KEYS.map((k) => [k, 'number'])), { strict: true }), shape: true };
    }
    default:
      throw new Error(kind);
  }
}

const LIMIT_KEYS = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'];

/** onProgress values: callbacks that throw, abort, call back into the pool, or are not callbacks. */
function hostileCallback(c, label) {
  switch (c.int(7)) {
    case 0: {
      const thrown = c.pick(thrownValues());
      c.allow.thrown.push(thrown);
      return {
        value: () => {
          throw thrown;
        },
        neutral: false,
        note: 'throws',
      };
    }
    case 1: {
      // A class: typeof 'function', but calling it throws V8's own TypeError,
      // which is the caller's error, not sabre's.
      c.allow.thrown.push('class');
      return { value: class Progress {}, note: 'a class' };
    }
    case 2:
      return { value: async () => {}, neutral: true };
    case 3:
      // Calls into the same pool from inside a progress report.
      return {
        value: () => {
          if (c.later.length < 2) c.later.push(c.pool.kernels.countPrimes(0, 100));
        },
        neutral: true,
        note: 're-entrant',
      };
    default:
      return { value: c.pick(['progress', 5, null, {}, Symbol('p'), c.tattle(label), []]), refuses: true };
  }
}

/** A fresh AbortSignal, or one that aborts, or something that only looks like one. */
function hostileSignal(c) {
  const ac = new AbortController();
  switch (c.int(10)) {
    case 0:
      ac.abort(c.pick(thrownValues()));
      c.allow.abort = true;
      c.allow.mustAbort = true;
      return { value: ac.signal, note: 'already aborted' };
    case 1:
      setImmediate(() => ac.abort());
      c.allow.abort = true;
      return { value: ac.signal, note: 'aborts soon' };
    case 2:
      c.allow.abort = true;
      return { value: AbortSignal.timeout(1), note: 'AbortSignal.timeout(1)' };
    case 3: {
      // Overrides on a real signal are never used (the built-in accessors are).
      const s = ac.signal;
      for (const key of ['aborted', 'reason', 'addEventListener', 'removeEventListener', 'throwIfAborted']) {
        Object.defineProperty(s, key, {
          get: () => {
            c.misuse.push(`options.signal: sabre read the signal's own ${key}`);
            return true;
          },
        });
      }
      return { value: s, neutral: true, note: 'own overrides' };
    }
    case 4:
      return { value: new Proxy(ac.signal, { getPrototypeOf: () => AbortSignal.prototype }), refuses: true, note: 'a Proxy' };
    case 5: {
      const thrown = c.pick(thrownValues());
      const trap = () => {
        throw thrown;
      };
      return { value: new Proxy(ac.signal, { getPrototypeOf: trap, get: trap, has: trap }), refuses: true, note: 'a Proxy whose traps throw' };
    }
    case 6:
      return { value: Object.create(AbortSignal.prototype), refuses: true, note: 'Object.create(AbortSignal.prototype)' };
    case 7:
      return { value: new EventTarget(), refuses: true, note: 'an EventTarget' };
    case 8:
      return { value: { aborted: false, reason: undefined, addEventListener() {}, removeEventListener() {} }, refuses: true, note: 'a look-alike' };
    default:
      return { value: c.pick([null, 'signal', 5, true, c.tattle('options.signal'), () => {}]), refuses: true };
  }
}

/** kmeans `init` values that are not 'kmeans++', 'random' or k * dims Float32 centroids. */
function hostileInit(c, slots) {
  const k = slots.find((s) => s.name === 'k')?.value;
  const dims = slots.find((s) => s.name === 'dims')?.value;
  const want = Number.isInteger(k) && Number.isInteger(dims) && k * dims >= 0 && k * dims <= 4096 ? k * dims : 4;
  switch (c.int(5)) {
    case 0:
      return { value: c.pick(['kmeans', '', 'KMEANS++', 5, null, Symbol('i'), c.tattle('options.init'), {}]), refuses: true };
    case 1:
      return { value: c.typed(Float32Array, Math.max(0, want + c.pick([1, -1, 3])) || 1, { shared: false }).value, shape: true };
    case 2:
      return { value: c.typed(c.pick([Float64Array, Int32Array, Uint8Array]), want).value, refuses: true };
    case 3: {
      const r = c.typed(Float32Array, want, { shared: false, guards: false });
      structuredClone(r.region.buf, { transfer: [r.region.buf] });
      return { value: r.value, refuses: true, note: 'detached' };
    }
    default:
      return { value: new Proxy(c.typed(Float32Array, want).value, c.strictHandler('options.init (Proxy)')), refuses: true };
  }
}

/** Breaks one field of an options object, or the object itself. */
function mutateObject(c, o, slots) {
  if (o.replaced) return;
  const keys = Object.keys(o.schema);
  const nested = keys.filter((k) => SLOTS.has(o.fields[k]));
  if (nested.length > 0 && c.chance(0.3)) return mutateObject(c, o.fields[c.pick(nested)], slots);
  const r = c.r();
  const present = keys.filter((k) => o.fields[k] !== ABSENT && o.fields[k] !== undefined);
  if (r < 0.5) {
    const key = c.pick(keys);
    const h = hostileField(c, o, key, o.schema[key], slots);
    // A nested options object replaced: what was broken inside it is gone.
    if (SLOTS.has(o.fields[key])) {
      const inner = o.fields[key].key;
      for (const k of [...c.marks.keys()]) if (k.startsWith(`${inner}.`) || k === `${inner}#`) c.marks.delete(k);
    }
    if (key === o.throwKey) {
      // The field the hostile getter stood on is replaced: a plain getter now.
      o.style = 'getters';
      c.marks.delete(`${o.key}#`);
    }
    o.fields[key] = h.value;
    const note = `${o.name}.${key}: ${h.note ? `${h.note} ` : ''}${describeValue(h.value)}`;
    c.broke(`${o.key}.${key}`, note, { blame: h.shape ? '*' : o.name, refuses: h.refuses, neutral: h.neutral });
  } else if (r < 0.62) {
    const v = c.pick([null, 5, 'options', true, Symbol('o'), 1n, () => {}]);
    o.replaced = { value: v };
    const valid = o.accepts?.(v) === true;
    c.broke(`${o.key}#`, `${o.name}: ${describeValue(v)} (not an object${valid ? ', and valid' : ''})`, { blame: o.name, refuses: !valid, neutral: valid });
    c.marks.get(`${o.key}#`).replaced = true;
  } else if (r < 0.72 && present.length > 0) {
    o.style = 'throwingGetter';
    o.throwKey = c.pick(present);
    o.thrown = c.pick(thrownValues());
    c.broke(`${o.key}#`, `${o.name}.${o.throwKey}: a getter that throws ${describeValue(o.thrown)}`, { blame: o.name, refuses: true });
  } else if (r < 0.78 && present.length > 0) {
    // A getter that detaches the plain buffer of another argument, then returns the value.
    const victims = slots.filter((s) => s.kind === 'array' && s.region && !utilTypes.isSharedArrayBuffer(s.region.buf) && !s.region.buf.resizable && s.region.buf.byteLength > 0);
    if (victims.length === 0) return mutateObject(c, o, slots);
    const victim = c.pick(victims);
    o.style = 'detachingGetter';
    o.throwKey = c.pick(present);
    o.victim = victim;
    o.victimBuf = victim.region.buf;
    c.mayDetach.add(victim.region.buf);
    c.broke(`${o.key}#`, `${o.name}.${o.throwKey}: a getter that detaches the buffer of "${victim.name}"`, { blame: [o.name, victim.name], refuses: true });
  } else if (r < 0.84) {
    o.style = c.pick(['proxyThrowing', 'proxyThrowingKeys']);
    o.thrown = c.pick(thrownValues());
    const refuses = o.style === 'proxyThrowing';
    c.broke(`${o.key}#`, `${o.name}: a Proxy whose ${refuses ? 'getOwnPropertyDescriptor' : 'ownKeys'} trap throws ${describeValue(o.thrown)}`, { blame: o.name, refuses, neutral: !refuses && !o.strict });
  } else {
    // Shapes that change nothing: only own properties count, each read once.
    o.style = c.pick(['nullProto', 'frozen', 'getters', 'proxy', 'inherited', 'extraKeys', 'array', 'accessorClass']);
    const missing = o.required.length > 0 && ['inherited', 'accessorClass'].includes(o.style);
    const extra = o.strict && ['extraKeys', 'array'].includes(o.style); // an array has an own length
    c.broke(`${o.key}#`, `${o.name}: ${o.style}`, { blame: o.name, refuses: missing || extra, neutral: !missing && !extra });
    if (['inherited', 'accessorClass'].includes(o.style)) c.marks.get(`${o.key}#`).hidesFields = true;
  }
}

/** The object an object slot stands for, built now (getters count their reads). */
function materialize(c, o) {
  if (o.replaced) return o.replaced.value;
  const plain = {};
  for (const [k, v] of Object.entries(o.fields)) {
    if (v === ABSENT) continue;
    plain[k] = SLOTS.has(v) ? materialize(c, v) : v;
  }
  const extra = { unknownOption: c.tattle(`${o.name}.unknownOption`), [Symbol('extra')]: 1 };
  const counted = (target, entries) => {
    for (const [k, v] of entries) {
      Object.defineProperty(target, k, {
        enumerable: true,
        configurable: true,
        get: () => {
          c.read(`${o.name}.${k}`);
          if (o.style === 'throwingGetter' && k === o.throwKey) throw o.thrown;
          if (o.style === 'detachingGetter' && k === o.throwKey) {
            const buf = o.victimBuf;
            if (buf.byteLength > 0) structuredClone(buf, { transfer: [buf] });
          }
          return v;
        },
      });
    }
    return target;
  };
  const proxyOf = (target, throwKeys) =>
    new Proxy(target, {
      getOwnPropertyDescriptor(t, k) {
        c.read(`${o.name}.${String(k)}`);
        if (o.style === 'proxyThrowing') throw o.thrown;
        return Reflect.getOwnPropertyDescriptor(t, k);
      },
      get(t, k, r) {
        c.read(`${o.name}.${String(k)}`);
        return Reflect.get(t, k, r);
      },
      ownKeys(t) {
        c.read(`${o.key} (ownKeys)`); // by key: the kmeans helper has two objects named options
        if (throwKeys) throw o.thrown;
        return Reflect.ownKeys(t);
      },
    });
  switch (o.style) {
    case 'plain':
      return plain;
    case 'nullProto':
      return Object.assign(Object.create(null), plain);
    case 'frozen':
      return Object.freeze(plain);
    case 'getters':
    case 'throwingGetter':
    case 'detachingGetter':
      return counted({}, Object.entries(plain));
    case 'proxy':
    case 'proxyThrowing':
      return proxyOf(plain, false);
    case 'proxyThrowingKeys':
      return proxyOf(plain, true);
    case 'inherited':
      return Object.create(plain);
    case 'extraKeys':
      return Object.assign(plain, extra);
    case 'array':
      return Object.assign([], plain);
    case 'accessorClass': {
      const proto = counted({}, Object.entries(plain)); // on the prototype: not own, never read
      return Object.create(proto);
    }
    default:
      throw new Error(o.style);
  }
}

// ---------------------------------------------------------------------------
// The targets: every public kernel, the kmeans helper and the user kernels.
// `make` returns the valid slots; `writes` the arrays a call may change;
// `returns` the argument an in-place call returns; `tame` keeps a valid call
// that a mutation made huge down to a few milliseconds; `check` looks at a
// success.

const floatX = (c, name = 'x', opts) => arraySlot(c, name, F, c.pick(F), c.len({ big: true }), opts);
const floatPair = (c, a, b, opts = {}, min = 0) => {
  const T = c.pick(F);
  const n = Math.max(min, c.len({ big: true }));
  return [arraySlot(c, a, F, T, n, opts.a), arraySlot(c, b, F, T, n, opts.b)];
};
const byteArr = (c, name, n, opts) => arraySlot(c, name, B, c.pick(B), n, opts);
const intIn = (c, lo, hi) => lo + c.int(hi - lo + 1);

const reduction = { make: (c) => [floatX(c)] };
const TARGETS = {
  scale: { writes: ['x'], returns: 'x', make: (c) => [floatX(c, 'x', { writes: true }), numberSlot('a', c.anyNumber())] },
  axpy: {
    writes: ['y'],
    returns: 'y',
    make(c) {
      const [y, x] = floatPair(c, 'y', 'x', { a: { writes: true } });
      return [y, numberSlot('a', c.anyNumber()), x];
    },
  },
  axpby: {
    writes: ['y'],
    returns: 'y',
    make(c) {
      const [y, x] = floatPair(c, 'y', 'x', { a: { writes: true } });
      return [y, numberSlot('a', c.anyNumber()), x, numberSlot('b', c.anyNumber())];
    },
  },
  clamp: {
    writes: ['x'],
    returns: 'x',
    shape: ['lo', 'hi'],
    make(c) {
      const [lo, hi] = [c.pick([-Infinity, -1, 0, (c.r() - 0.5) * 100]), c.pick([Infinity, 1, 0, (c.r() - 0.5) * 100])].sort((p, q) => p - q);
      return [floatX(c, 'x', { writes: true }), numberSlot('lo', lo), numberSlot('hi', hi)];
    },
  },
  abs: { writes: ['x'], returns: 'x', make: (c) => [floatX(c, 'x', { writes: true })] },
  invert: { writes: ['bytes'], returns: 'bytes', make: (c) => [byteArr(c, 'bytes', c.len({ big: true }), { writes: true })] },
  grayscale: { writes: ['rgba'], returns: 'rgba', make: (c) => [byteArr(c, 'rgba', 4 * c.len({ max: 2000 }), { writes: true, align: 4 })] },
  brightnessContrast: {
    writes: ['rgba'],
    returns: 'rgba',
    make: (c) => [byteArr(c, 'rgba', 4 * c.len({ max: 2000 }), { writes: true, align: 4 }), numberSlot('brightness', intIn(c, -255, 255)), numberSlot('contrast', c.r() * c.pick([1, 2, 256]))],
  },
  threshold: { writes: ['bytes'], returns: 'bytes', make: (c) => [byteArr(c, 'bytes', c.len({ big: true }), { writes: true }), numberSlot('t', intIn(c, 0, 256))] },
  xorKey: {
    writes: ['bytes'],
    returns: 'bytes',
    make: (c) => [byteArr(c, 'bytes', c.len({ big: true }), { writes: true }), byteArr(c, 'key', 1 + c.len({ max: 600 }), { mustShare: false })],
  },
  sum: reduction,
  min: reduction,
  max: reduction,
  meanVariance: {
    make: reduction.make,
    check: (c, s, result) => assertSane(Number.isInteger(result?.n) && result.n === plainLength(s.x), 'meanVariance n'),
  },
  dot: { make: (c) => floatPair(c, 'x', 'y') },
  linearRegression: { make: (c) => floatPair(c, 'x', 'y', {}, 2) },
  histogram: {
    make: (c) => [byteArr(c, 'bytes', c.len({ big: true }))],
    check: (c, s, result) => assertSane(result instanceof Float64Array && result.length === 256 && result.reduce((p, q) => p + q, 0) === plainLength(s.bytes), 'histogram counts'),
  },
  countPrimes: {
    shape: ['lo', 'hi'],
    make(c) {
      const top = c.pick([100, 1e4, 1e6, 2 ** 32, 2 ** 53]);
      const hi = top - c.int(100);
      return [numberSlot('lo', Math.max(0, hi - c.int(5000))), numberSlot('hi', hi)];
    },
    tame(c, s) {
      const { lo, hi } = { lo: s.lo.value, hi: s.hi.value };
      if (Number.isInteger(lo) && Number.isInteger(hi) && lo >= 0 && hi <= 2 ** 53 + 1 && hi - lo > 2 ** 20) {
        s.lo.value = hi - c.int(1000);
        c.notes.push(`(lo moved to ${s.lo.value}: a valid range that long takes seconds)`);
      }
    },
    check: (c, s, result) => assertSane(Number.isInteger(result) && result >= 0 && result <= Math.max(0, s.hi.value - s.lo.value), 'countPrimes count'),
  },
  markPrimes: {
    writes: ['out'],
    shape: ['lo'],
    make(c) {
      const n = c.len();
      return [arraySlot(c, 'out', [Uint8Array], Uint8Array, n, { writes: true }), numberSlot('lo', c.pick([0, c.int(1e6), 2 ** 32, 2 ** 53 - n - c.int(100)]))];
    },
    check: (c, s, result) => assertSane(Number.isInteger(result) && result >= 0 && result <= plainLength(s.out), 'markPrimes count'),
  },
  mandelbrot: {
    writes: ['out'],
    returns: 'out',
    make(c) {
      const width = c.chance(0.1) ? 0 : c.int(40);
      const height = c.chance(0.1) ? 0 : c.int(40);
      const fields = { width, height, xMin: ABSENT, xMax: ABSENT, yMin: ABSENT, yMax: ABSENT, maxIter: ABSENT };
      if (c.chance(0.5)) Object.assign(fields, { xMin: -2 + c.r(), xMax: 1 + c.r(), yMin: -1.5, yMax: 1.5 });
      if (c.chance(0.5)) fields.maxIter = 1 + c.int(300);
      const schema = { width: 'int', height: 'int', xMin: 'finite', xMax: 'finite', yMin: 'finite', yMax: 'finite', maxIter: 'int' };
      return [arraySlot(c, 'out', [Uint8Array], Uint8Array, width * height, { writes: true }), objectSlot('view', fields, schema, { required: ['width', 'height'] })];
    },
    tame(c, s) {
      const f = s.view.fields;
      const pixels = typeof f.width === 'number' && typeof f.height === 'number' ? f.width * f.height : 0;
      if (Number.isInteger(f.maxIter) && f.maxIter > 1000 && pixels > 0) {
        Object.assign(f, { xMin: 2, xMax: 3, yMin: 2, yMax: 3 }); // every point escapes at once
        // Whatever was broken in those four fields is gone with them.
        for (const k of ['xMin', 'xMax', 'yMin', 'yMax']) c.marks.delete(`${s.view.key}.${k}`);
        c.notes.push('(view moved outside the set: maxIter that high takes seconds; its bounds replaced)');
      }
    },
  },
  gaussianBlur: {
    writes: ['out'],
    returns: 'out',
    shape: ['width', 'height', 'sigma'],
    make(c) {
      const width = c.chance(0.1) ? 0 : c.int(24);
      const height = c.chance(0.1) ? 0 : c.int(24);
      const T = c.pick(B);
      return [
        arraySlot(c, 'out', B, T, 4 * width * height, { writes: true, align: 4 }),
        arraySlot(c, 'input', B, c.pick(B), 4 * width * height, { align: 4 }),
        numberSlot('width', width),
        numberSlot('height', height),
        numberSlot('sigma', c.chance(0.1) ? 100 : c.r() * 5),
      ];
    },
  },
  matmul: {
    writes: ['c'],
    returns: 'c',
    shape: ['m', 'k', 'n'],
    make(c) {
      const [m, k, n] = [c.int(13), c.int(13), c.int(13)];
      const f = (name, len, writes) => arraySlot(c, name, [Float32Array], Float32Array, len, { writes });
      return [f('c', m * n, true), f('a', m * k), f('b', k * n), numberSlot('m', m), numberSlot('k', k), numberSlot('n', n)];
    },
  },
  nbodyStep: {
    writes: ['pos', 'vel'],
    returns: 'pos',
    shape: ['dt', 'softening'],
    make(c) {
      const bodies = c.int(30);
      const f = (name, len, writes) => arraySlot(c, name, [Float64Array], Float64Array, len, { writes, align: name === 'mass' ? 1 : 3 });
      return [f('pos', 3 * bodies, true), f('vel', 3 * bodies, true), f('mass', bodies), numberSlot('dt', c.r() * 0.1), numberSlot('softening', c.pick([0, 0.01, c.r()]))];
    },
  },
  kmeansStep: {
    writes: ['centroids', 'labels'],
    shape: ['dims'],
    make(c) {
      const dims = 1 + c.int(6);
      const points = c.int(50);
      const k = 1 + c.int(5);
      return [
        arraySlot(c, 'points', [Float32Array], Float32Array, points * dims, { align: dims }),
        numberSlot('dims', dims),
        arraySlot(c, 'centroids', [Float32Array], Float32Array, k * dims, { writes: true, align: dims }),
        arraySlot(c, 'labels', [Int32Array, Uint32Array], c.pick([Int32Array, Uint32Array]), points, { writes: true }),
      ];
    },
    check: (c, s, result) => assertSane(result && Number.isInteger(result.changed) && result.changed <= plainLength(s.labels) && Number.isInteger(result.empty), 'kmeansStep counts'),
  },
  sort: {
    writes: ['x'],
    returns: 'x',
    make: (c) => [arraySlot(c, 'x', SORTABLE, c.pick(SORTABLE), c.len({ big: true }), { writes: true })],
    check(c, s, result, before) {
      // A permutation of what was there, in x.sort() order.
      const { buf, start, end } = s.x.region ?? {};
      if (!buf || !before.has(buf)) return;
      const T = SORTABLE.find((t) => t.name === taKind(s.x.value)) ?? null;
      if (!T) return;
      const want = new T(before.get(buf).buffer.slice(start, end)).sort();
      const got = new T(buf, start, (end - start) / T.BYTES_PER_ELEMENT);
      for (let i = 0; i < want.length; i++) if (!Object.is(want[i], got[i])) return assertSane(false, `sorted order at ${i}: ${got[i]} vs ${want[i]}`);
    },
  },
  kmeans: {
    helper: true,
    shape: ['dims', 'k'],
    make(c) {
      const dims = 1 + c.int(4);
      const points = 1 + c.int(40);
      const k = 1 + c.int(Math.min(points, 5));
      const fields = { maxIter: ABSENT, tol: ABSENT, seed: ABSENT, init: ABSENT };
      if (c.chance(0.6)) fields.maxIter = 1 + c.int(10);
      if (c.chance(0.3)) fields.tol = c.pick([0, 1e-4, 0.5]);
      if (c.chance(0.3)) fields.seed = c.int(1000);
      if (c.chance(0.4)) fields.init = c.pick(['kmeans++', 'random', c.typed(Float32Array, k * dims, { shared: false }).value]);
      const schema = { maxIter: 'int', tol: 'number', seed: 'int', init: 'init' };
      return [arraySlot(c, 'points', [Float32Array], Float32Array, points * dims, { align: dims }), numberSlot('dims', dims), numberSlot('k', k), objectSlot('options', fields, schema, { strict: true })];
    },
    tame(c, s) {
      const m = s.options.fields?.maxIter;
      if (typeof m === 'number' && m > 20 && !s.options.replaced) {
        s.options.fields.maxIter = 20;
        c.notes.push('(options.maxIter lowered to 20)');
      }
    },
  },
  'user.scaleInout': {
    user: 'scaleInout',
    writes: ['x'],
    returns: 'x',
    make: (c) => [arraySlot(c, 'x', [Float64Array], Float64Array, c.len({ big: false }), { writes: true }), numberSlot('a', c.anyNumber())],
  },
  'user.addOne': {
    user: 'addOne',
    writes: ['x'],
    make: (c) => [arraySlot(c, 'x', [Float64Array], Float64Array, c.len(), { writes: true }), anySlot('options', c.pick([undefined, 1, 'a', { deep: [1, { x: 2 }] }, null]))],
    check: (c, s, result) => assertSane(result === undefined || Number.isFinite(result), 'addOne count'),
  },
  'user.recurse': {
    user: 'recurse',
    make: (c) => [arraySlot(c, 'x', [Float64Array], Float64Array, c.len()), numberSlot('depth', c.pick([0, 1, 10, c.int(200)]))],
  },
};

/** The length sabre sees: the array's real one (its internal slot). */
const plainLength = (slot) => taLength(slot.value);

class Insane extends Error {}
function assertSane(ok, what) {
  if (!ok) throw new Insane(`an implausible result (${what})`);
}

// ---------------------------------------------------------------------------
// Building a case

/** Per-call options for a pool call (an extra last argument), valid or not. */
function callOptionsSlot(c, slots) {
  const fields = { signal: ABSENT, timeout: ABSENT, onProgress: ABSENT };
  if (c.chance(0.3)) fields.signal = new AbortController().signal;
  if (c.chance(0.3)) fields.timeout = c.pick([60_000, 2 ** 31 - 1, 1e7]);
  if (c.chance(0.3)) {
    let reports = 0;
    fields.onProgress = (p) => {
      reports++;
      if (!(p && p.done <= p.total && p.chunksDone >= 1 && p.chunksDone <= p.chunks)) c.misuse.push(`onProgress got ${JSON.stringify(p)} as report ${reports}`);
    };
  }
  const o = objectSlot('options', fields, { signal: 'signal', timeout: 'ms', onProgress: 'fn' }, { key: 'call options', strict: true });
  if (c.chance(0.45)) mutateObject(c, o, slots);
  const t = o.fields.timeout;
  if (typeof t === 'number' && t > 0 && t < 50) c.allow.timeout = true;
  return o;
}

function buildCase(backend, targetName, index, ctx) {
  const c = new Case(backend, targetName, index);
  c.pool = ctx.pool;
  const target = TARGETS[targetName];
  const slots = target.make(c);
  const byName = Object.fromEntries(slots.map((s) => [s.name, s]));
  const shape = new Set(target.shape ?? []);
  const mutations = c.pick([0, 1, 1, 1, 1, 1, 2, 2, 3]);
  for (let m = 0; m < mutations; m++) {
    const slot = c.pick(slots);
    if (slot.kind === 'array') mutateArray(c, slot, slots);
    else if (slot.kind === 'number') mutateNumber(c, slot, shape.has(slot.name));
    else if (slot.kind === 'any') mutateAny(c, slot);
    else mutateObject(c, slot, slots);
  }
  target.tame?.(c, byName);
  // A getter set to detach an argument that a later mutation replaced detaches nothing it uses.
  for (const o of slots) {
    if (o.kind === 'object' && o.style === 'detachingGetter' && o.victim.region?.buf !== o.victimBuf) c.marks.get(`${o.key}#`).refuses = false;
  }
  if (targetName === 'user.recurse') c.allow.kernel = true; // a deep (or NaN) depth overflows the stack

  // The argument list: maybe too short, maybe too long, maybe with call options.
  let args = slots;
  let options;
  const arity = c.r();
  if (arity < 0.06 && slots.length > 0) {
    const keep = c.int(slots.length);
    args = slots.slice(0, keep);
    // What was broken in the arguments left out is not passed at all.
    for (const s of slots.slice(keep)) for (const key of [...c.marks.keys()]) if (key === s.name || key.startsWith(`${s.key ?? s.name}.`) || key === `${s.key ?? s.name}#`) c.marks.delete(key);
    const dropped = slots.slice(keep).filter((s) => !(s.kind === 'any' || (s.kind === 'object' && s.name === 'options')));
    c.broke('#arguments', `arguments: only the first ${keep}`, { blame: dropped.length ? dropped.map((s) => s.name) : '*', refuses: dropped.length > 0, neutral: dropped.length === 0 });
  } else if (c.onPool && c.chance(0.7)) {
    options = callOptionsSlot(c, slots);
  }
  const extras = [];
  if (arity > 0.94) {
    const v = c.pick([undefined, 1, 'extra', null, {}, [], c.tattle('an extra argument'), Symbol('x'), () => {}]);
    extras.push(v);
    if ((c.onPool || targetName !== 'kmeans') && !options) {
      // The first argument past a kernel's own is the call options (on the
      // direct path `{ transactional }` only; the kmeans helper's are its own).
      // Options objects are strict: an object with an own key that is not an option is refused.
      const ok = v === undefined || (typeof v === 'object' && v !== null && Reflect.ownKeys(v).length === 0);
      c.broke('#extra', `an extra argument ${describeValue(v)} (read as options)`, { blame: 'options', refuses: !ok, neutral: ok });
    } else {
      c.notes.push(`an extra argument ${describeValue(v)} (ignored)`);
    }
  }
  return { c, target, slots, byName, args, options, extras };
}

/** The argument values, built now (option objects with their getters). */
function argumentValues(kase) {
  const { c, args, options, extras } = kase;
  const values = args.map((s) => (s.kind === 'object' ? materialize(c, s) : s.value));
  if (options) values.push(materialize(c, options));
  return [...values, ...extras];
}

function describeCase(kase) {
  const { c, args, options, extras } = kase;
  const parts = args.map((s) => `${s.name}=${s.kind === 'object' ? (s.replaced ? describeValue(s.replaced.value) : `${s.style} ${describeValue(s)}`) : s.desc}`);
  if (options) parts.push(`options=${options.replaced ? describeValue(options.replaced.value) : `${options.style} ${describeValue(options)}`}`);
  for (const e of extras) parts.push(`extra=${describeValue(e)}`);
  return `${c.backend} ${c.target} #${c.index} (SABRE_FUZZ_SEED=${SEED} SABRE_FUZZ_CASE=${c.backend}:${c.target}:${c.index})\n    args: ${parts.join(', ')}\n    broken: ${c.notes.join('; ') || 'nothing'}`;
}

// ---------------------------------------------------------------------------
// Running and judging

const bytesOf = (buf) => {
  try {
    return new Uint8Array(buf).slice();
  } catch {
    return null; // detached
  }
};

function snapshot(c) {
  const m = new Map();
  for (const buf of c.buffers) if (!m.has(buf)) m.set(buf, bytesOf(buf));
  return m;
}

/** Bytes changed outside `writable` ranges ([buf, start, end]); every byte when refused. */
function changedBytes(c, before, writable) {
  const problems = [];
  for (const [buf, old] of before) {
    if (old === null || c.mayDetach.has(buf)) continue;
    const now = bytesOf(buf);
    if (now === null) {
      problems.push('a buffer of the arguments was detached');
      continue;
    }
    if (now.length !== old.length) {
      problems.push(`a buffer was resized from ${old.length} to ${now.length} bytes`);
      continue;
    }
    const ranges = writable.filter((w) => w.buf === buf);
    for (let i = 0; i < old.length; i++) {
      if (old[i] !== now[i] && !ranges.some((w) => i >= w.start && i < w.end)) {
        problems.push(`byte ${i} of a ${old.length}-byte buffer changed (${old[i]} -> ${now[i]})${ranges.length ? ' outside the arrays the kernel writes' : ''}`);
        break;
      }
    }
  }
  return problems;
}

/** Whether breaking `broken` may be reported as `named` (`view` -> `view.width`, `options.threads.min` -> `options.threads`). */
const blames = (broken, named) => named === broken || named.startsWith(`${broken}.`) || broken.startsWith(`${named}.`);

/** Names a refusal may quote for this target. */
function allowedNames(kase) {
  const { target, slots, c } = kase;
  const names = new Set();
  for (const s of slots) {
    names.add(s.name);
    if (s.kind === 'array') names.add(`${s.name}.length`);
    if (s.kind === 'object') for (const k of Object.keys(s.schema)) names.add(`${s.name}.${k}`);
  }
  if (target.helper) for (const n of ['options.init.length', 'options.init']) names.add(n);
  if (c.onPool) for (const n of ['options', 'options.signal', 'options.timeout', 'options.onProgress', 'options.transactional']) names.add(n);
  else if (!target.helper) for (const n of ['options', 'options.transactional']) names.add(n);
  return names;
}

/**
 * Whether `name` is an unknown key of a strict options object of the call
 * (`options.<key>`: the call options, on both paths, or a strict object
 * slot): refused by name, as a misspelt option is.
 */
function unknownOption(kase, name) {
  if (/^options\.[^.]+$/.test(name)) return true;
  return kase.slots.some((s) => s.kind === 'object' && s.strict && name.startsWith(`${s.name}.`) && !name.slice(s.name.length + 1).includes('.'));
}

const isSabreError = (err) => err instanceof sabre.SabreError;

/** What went wrong with a case, or [] when the outcome is one it allows. */
function judge(kase, outcome, before) {
  const { c, target, byName } = kase;
  const problems = [];
  if (outcome.hung) return [`did not settle within ${HANG_MS / 1000} s`];
  if (outcome.syncThrow) problems.push(`the pool method threw synchronously instead of rejecting: ${errorText(outcome.error)}`);
  if (outcome.notPromise) problems.push('the pool method did not return a Promise');
  if (outcome.promise) problems.push('the direct call returned a Promise');
  problems.push(...c.misuse);
  for (const [key, n] of c.reads) if (n > 1) problems.push(`read ${key} ${n} times`);

  const writable = [];
  for (const name of target.writes ?? []) if (byName[name]?.region) writable.push(byName[name].region);
  if ('error' in outcome) {
    const err = outcome.error;
    const refusal = err instanceof TypeError || err instanceof RangeError;
    const thrownByCallback = c.allow.thrown.some((t) => t === err || (t === 'class' && err instanceof TypeError && /Class constructor/.test(err.message)));
    if (thrownByCallback) {
      // The caller's own onProgress threw it: passed through as it was.
    } else if (refusal && !isSabreError(err)) {
      problems.push(...judgeRefusal(kase, err));
      problems.push(...changedBytes(c, before, []));
    } else if (err instanceof sabre.AbortError || (err?.name === 'AbortError' && err?.code === 'ABORT_ERR')) {
      if (!c.allow.abort) problems.push(`an AbortError without a signal that aborts: ${errorText(err)}`);
      problems.push(...changedBytes(c, before, writable));
    } else if (err instanceof sabre.TimeoutError) {
      if (!c.allow.timeout) problems.push(`a TimeoutError without a tiny timeout: ${errorText(err)}`);
      problems.push(...changedBytes(c, before, writable));
    } else if (err instanceof sabre.KernelError && c.allow.kernel) {
      problems.push(...changedBytes(c, before, []));
    } else if (err instanceof Insane) {
      problems.push(err.message);
    } else {
      problems.push(`an error that is not a documented refusal: ${errorText(err)}`);
    }
    if (refusal && !c.invalid && !isSabreError(err)) problems.push(`refused a call nothing was wrong with: ${errorText(err)}`);
  } else {
    if (c.mustRefuse) problems.push(`accepted a call that must be refused (returned ${describeValue(outcome.value)})`);
    if (c.allow.mustAbort) problems.push('resolved although its signal was aborted before the call');
    if (target.returns && byName[target.returns] && outcome.value !== byName[target.returns].value) {
      problems.push(`returned ${describeValue(outcome.value)}, not the caller's own "${target.returns}"`);
    }
    problems.push(...changedBytes(c, before, writable));
    if (target.check && !c.invalid) {
      try {
        target.check(c, byName, outcome.value, before);
      } catch (err) {
        problems.push(err.message);
      }
    }
  }
  return problems;
}

function judgeRefusal(kase, err) {
  const { c } = kase;
  const problems = [];
  if (typeof err.code !== 'string') problems.push(`a refusal without a string code: ${errorText(err)}`);
  const message = typeof err.message === 'string' ? err.message : '';
  const quoted = /"([^"]+)"/.exec(message)?.[1];
  if (quoted === undefined) {
    problems.push(`a refusal that names no argument: ${errorText(err)}`);
  } else if (!allowedNames(kase).has(quoted) && !unknownOption(kase, quoted)) {
    problems.push(`a refusal naming "${quoted}", which is no parameter or option of this call: ${errorText(err)}`);
  } else if (c.invalid && !c.blame.has('*') && ![...c.blame].some((b) => blames(b, quoted))) {
    problems.push(`a refusal naming "${quoted}", but what was broken is ${[...c.blame].map((b) => `"${b}"`).join(', ')}: ${errorText(err)}`);
  }
  if (/\[object /.test(message)) problems.push(`a refusal that stringified an object: ${errorText(err)}`);
  return problems;
}

function errorText(err) {
  try {
    if (err instanceof Error) return `${err.constructor?.name ?? 'Error'} (code ${String(err.code)}): ${err.message}`;
    return `a thrown ${describeValue(err)}`;
  } catch {
    return 'an error that cannot be described';
  }
}

/** Calls a case on its backend: { value } | { error } plus what shape the call had. */
function startCall(kase, ctx) {
  const { c, target } = kase;
  const values = argumentValues(kase);
  const name = target.user ?? kase.c.target;
  let fn;
  if (target.user) fn = c.onPool ? ctx.userPool[name] : ctx.userDirect[name];
  else if (target.helper) fn = c.onPool ? (...a) => ctx.pool.kmeans(...a) : sabre.kmeans;
  else fn = c.onPool ? ctx.pool.kernels[name] : sabre.kernels[name];
  if (!c.onPool) {
    const t0 = performance.now();
    try {
      const value = fn(...values);
      const promise = value !== null && typeof value === 'object' && typeof value.then === 'function';
      return { done: { value, promise }, ms: performance.now() - t0 };
    } catch (error) {
      return { done: { error }, ms: performance.now() - t0 };
    }
  }
  let p;
  try {
    p = fn(...values);
  } catch (error) {
    return { done: { error, syncThrow: true } };
  }
  if (!(p instanceof Promise)) return { done: { value: p, notPromise: true } };
  const t0 = performance.now();
  let timer;
  const hang = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ hung: true }), HANG_MS);
  });
  const settled = p.then(
    (value) => ({ value }),
    (error) => ({ error }),
  );
  return {
    pending: Promise.race([settled, hang]).then(async (done) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      // Calls our own callbacks made into the pool must have worked too.
      for (const inner of kase.c.later) {
        let guard;
        const r = await Promise.race([inner.then((v) => v, (e) => e), new Promise((res) => (guard = setTimeout(() => res('hung'), HANG_MS)))]);
        clearTimeout(guard);
        if (r !== 25) kase.c.misuse.push(`a call made from onProgress gave ${r instanceof Error ? errorText(r) : describeValue(r)}, not 25`);
      }
      return { done, ms };
    }),
  };
}

/** Rejects if `promise` has not settled within `ms`: a failure guard, not a synchronisation. */
function within(promise, ms, what) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled within ${ms} ms`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** Stats of a run, for the report. */
class Tally {
  constructor() {
    this.cases = 0;
    this.byTarget = new Map();
    this.outcomes = new Map();
    this.failures = [];
    this.slowest = [];
    this.calls = new Map(); // stats label -> { ok, other, later }: what pool.stats() must show
  }
  add(kase, outcome, problems, ms) {
    this.cases++;
    const t = kase.c.target;
    this.byTarget.set(t, (this.byTarget.get(t) ?? 0) + 1);
    const kind = outcome.hung ? 'hang' : 'error' in outcome ? (outcome.error instanceof Error ? outcome.error.constructor.name : 'thrown value') : 'success';
    this.outcomes.set(kind, (this.outcomes.get(kind) ?? 0) + 1);
    const { target } = kase;
    if (target) {
      const label = target.user ? `${target.user} (user-faults.js)` : target.helper ? 'kmeansStep' : t;
      const n = this.calls.get(label) ?? { ok: 0, other: 0 };
      const e = outcome.error;
      const byCallback = kase.c.allow.thrown.length > 0; // the onProgress error, after registration
      const refused = 'error' in outcome && !byCallback && (e instanceof TypeError || e instanceof RangeError);
      if (!('error' in outcome) && !outcome.hung) n.ok++;
      else if (!refused) n.other++; // aborted, timed out, failed: maybe registered
      this.calls.set(label, n);
      const later = this.calls.get('countPrimes') ?? { ok: 0, other: 0 };
      later.later = (later.later ?? 0) + kase.c.later.length; // calls made from onProgress
      this.calls.set('countPrimes', later);
    }
    if (problems.length > 0) this.failures.push(`${describeCase(kase)}\n    outcome: ${'error' in outcome ? errorText(outcome.error) : outcome.hung ? 'hung' : `returned ${describeValue(outcome.value)}`}\n    ${problems.map((p) => `FAIL ${p}`).join('\n    ')}`);
    if (ms !== undefined) {
      this.slowest.push([ms, `${kase.c.backend}:${t}:${kase.c.index}`]);
      this.slowest.sort((a, b) => b[0] - a[0]);
      this.slowest.length = Math.min(this.slowest.length, 3);
    }
  }
  report(t, label, started) {
    const outcomes = [...this.outcomes].map(([k, n]) => `${k} ${n}`).join(', ');
    t.diagnostic(`${label}: ${this.cases} cases over ${this.byTarget.size} targets in ${((performance.now() - started) / 1000).toFixed(1)} s (seed ${SEED}, ${ITERATIONS} per target); ${outcomes}`);
    if (this.slowest.length) t.diagnostic(`${label}: slowest ${this.slowest.map(([ms, id]) => `${id} ${ms.toFixed(0)} ms`).join(', ')}`);
  }
  assertClean(label) {
    if (this.failures.length === 0) return;
    const shown = this.failures.slice(0, SHOW).join('\n\n');
    assert.fail(`${label}: ${this.failures.length} of ${this.cases} cases failed (seed ${SEED}):\n\n${shown}${this.failures.length > SHOW ? `\n\n... and ${this.failures.length - SHOW} more (SABRE_FUZZ_SHOW=n shows n)` : ''}`);
  }
}

/** The case list of a backend: every target, interleaved, so pool batches mix kernels. */
function caseIds(backend) {
  if (ONLY) {
    const [b, target, index] = ONLY.split(':');
    return b === backend ? [[target, Number(index)]] : [];
  }
  const ids = [];
  for (let i = 0; i < ITERATIONS; i++) for (const target of Object.keys(TARGETS)) ids.push([target, i]);
  return ids;
}

// ---------------------------------------------------------------------------
// The Pool constructor

const POOL_SCHEMA = { threads: 'threads', maxQueue: 'count', idleTimeout: 'ms', atomics: 'bool', resourceLimits: 'limits' };

function buildPoolCase(index) {
  const c = new Case('ctor', 'Pool', index);
  const threads = c.pick([
    ABSENT,
    1,
    2,
    () => threadsSlot('options.threads', { min: 0, max: 1 + c.int(3) }, { strict: true }),
    () => threadsSlot('options.threads', { min: ABSENT, max: 1 + c.int(2) }, { strict: true }),
    () => threadsSlot('options.threads', { min: 1, max: 2 }, { strict: true }),
  ]);
  const fields = {
    threads: typeof threads === 'function' ? threads() : threads,
    maxQueue: c.pick([ABSENT, 0, 3, Infinity]),
    idleTimeout: c.pick([ABSENT, 0, 50, 30_000, 2 ** 31 - 1]),
    atomics: c.pick([ABSENT, true, false]),
    resourceLimits: c.chance(0.3) ? objectSlot('options.resourceLimits', { stackSizeMb: c.pick([1, 4]), maxOldGenerationSizeMb: c.pick([64, 256]) }, Object.fromEntries(LIMIT_KEYS.map((k) => [k, 'number'])), { strict: true }) : ABSENT,
  };
  const o = objectSlot('options', fields, POOL_SCHEMA, { strict: true });
  const mutations = c.pick([0, 1, 1, 1, 2, 2, 3]);
  for (let m = 0; m < mutations; m++) mutateObject(c, o, []);
  return { c, o };
}

function poolAllowedNames(name) {
  // Every options object of a Pool is strict: an unknown key is refused by name.
  return name === 'options' || /^options\.[^.]+$/.test(name) || /^options\.threads\.[^.]+$/.test(name) || name.startsWith('options.resourceLimits.');
}

const unhandled = [];
const onUnhandled = (reason) => unhandled.push(reason);

describe(`fuzz (seed ${SEED}, ${ITERATIONS} cases per target and backend)`, () => {
  const ctx = {};
  before(() => {
    process.on('unhandledRejection', onUnhandled);
    ctx.pool = new sabre.Pool({ threads: 2 });
    ctx.userDirect = sabre.load(require(userFaults));
    ctx.userPool = ctx.pool.load(require(userFaults));
  });
  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    await ctx.pool?.destroy();
  });

  it('every public kernel, the kmeans helper and the user kernels, called directly', (t) => {
    const tally = new Tally();
    const started = performance.now();
    for (const [target, index] of caseIds('direct')) {
      const kase = buildCase('direct', target, index, ctx);
      const before = snapshot(kase.c);
      const { done, ms } = startCall(kase, ctx);
      tally.add(kase, done, judge(kase, done, before), ms);
      if (ONLY) console.log(describeCase(kase), '\n    outcome:', 'error' in done ? errorText(done.error) : describeValue(done.value));
    }
    tally.report(t, 'direct', started);
    tally.assertClean('direct');
  });

  it('the same on one shared pool, with per-call options, several calls in flight', async (t) => {
    const tally = new Tally();
    const started = performance.now();
    const ids = caseIds('pool');
    for (let at = 0; at < ids.length; at += IN_FLIGHT) {
      const batch = ids.slice(at, at + IN_FLIGHT).map(([target, index]) => {
        const kase = buildCase('pool', target, index, ctx);
        const before = snapshot(kase.c);
        return { kase, before, run: startCall(kase, ctx) };
      });
      for (const { kase, before, run } of batch) {
        const { done, ms } = run.pending ? await run.pending : run;
        tally.add(kase, done, judge(kase, done, before), ms);
        if (ONLY) console.log(describeCase(kase), '\n    outcome:', 'error' in done ? errorText(done.error) : describeValue(done.value));
      }
    }
    tally.report(t, 'pool', started);
    ctx.poolTally = tally;
    tally.assertClean('pool');
  });

  it('the Pool constructor, with random options', async (t) => {
    const tally = new Tally();
    const started = performance.now();
    let built = 0;
    const ids = ONLY ? (ONLY.startsWith('ctor:') ? [Number(ONLY.split(':')[2])] : []) : Array.from({ length: POOL_OPTION_CASES }, (_, i) => i);
    for (const index of ids) {
      const { c, o } = buildPoolCase(index);
      const kase = { c, args: [o], options: undefined, extras: [] }; // for describeCase and the tally
      const problems = [];
      let done;
      let pool = null;
      if (TRACE) process.stderr.write(`${describeCase(kase)}\n`);
      try {
        pool = new sabre.Pool(materialize(c, o));
        done = { value: pool };
      } catch (error) {
        done = { error };
      }
      problems.push(...c.misuse);
      for (const [key, n] of c.reads) if (n > 1) problems.push(`read ${key} ${n} times`);
      if (pool) {
        built++;
        if (c.mustRefuse) problems.push('accepted options that must be refused');
        try {
          // A pool that started a worker answers a call (its options must
          // work), and so does every fourth of those that start none.
          const started = pool.threads > 0;
          if (started || built % 4 === 1) {
            if (TRACE) process.stderr.write(`    a call (${pool.threads} threads)\n`);
            const n = await within(pool.kernels.countPrimes(0, 100), HANG_MS, 'a call on the new pool');
            if (n !== 25) problems.push(`countPrimes(0, 100) gave ${n} on the new pool`);
          }
          if (pool.threads > 1) {
            // Options whose threads are not own properties start the default
            // two workers: a call of four chunks keeps both busy, and a pause
            // lets the second finish starting before destroy() (see above).
            const n = await within(pool.kernels.countPrimes(0, 2 ** 26), HANG_MS, 'a call of four chunks on the new pool');
            if (n !== 3957809) problems.push(`countPrimes(0, 2^26) gave ${n} on the new pool`);
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        } catch (err) {
          problems.push(`a call on the new pool failed: ${errorText(err)}`);
          if (TRACE) process.stderr.write(`    ${errorText(err)}\n`);
        } finally {
          if (TRACE) process.stderr.write('    destroy()\n');
          await within(pool.destroy(), HANG_MS, 'destroy()').catch((err) => problems.push(errorText(err)));
        }
      } else {
        const err = done.error;
        if (!(err instanceof TypeError || err instanceof RangeError)) {
          problems.push(`an error that is not a documented refusal: ${errorText(err)}`);
        } else {
          if (typeof err.code !== 'string') problems.push(`a refusal without a string code: ${errorText(err)}`);
          const quoted = /"([^"]+)"/.exec(String(err.message))?.[1];
          if (quoted === undefined || !poolAllowedNames(quoted)) problems.push(`a refusal that names no option of a Pool: ${errorText(err)}`);
          else if (!c.invalid) problems.push(`refused options nothing was wrong with: ${errorText(err)}`);
          else if (!c.blame.has('*') && ![...c.blame].some((b) => blames(b, quoted))) {
            problems.push(`a refusal naming "${quoted}", but what was broken is ${[...c.blame].join(', ')}: ${errorText(err)}`);
          }
        }
      }
      tally.add(kase, 'error' in done ? done : { value: 'a Pool' }, problems);
      if (ONLY) console.log(describeCase(kase), '\n    outcome:', 'error' in done ? errorText(done.error) : 'a Pool');
    }
    tally.report(t, `Pool constructor (${built} pools built)`, started);
    tally.assertClean('Pool constructor');
  });

  it('the pool is healthy afterwards: known answers, sane stats, close() in time', async () => {
    const { pool } = ctx;
    assert.equal(await pool.kernels.countPrimes(0, 100), 25);
    const x = sabre.shared.float64(3 * 2 ** 18 + 5).fill(1.5);
    assert.equal(await pool.kernels.scale(x, 2), x);
    assert.ok(x.every((v) => v === 3), 'every element of a fresh shared array scaled once');
    const y = sabre.shared.float64(3000).fill(1);
    assert.equal(await ctx.userPool.scaleInout(y, 4), y);
    assert.ok(y.every((v) => v === 4));
    const stats = pool.stats();
    assert.equal(stats.threads, 2);
    assert.equal(stats.queueSize, 0);
    for (const view of [stats.sinceStart, stats.recent]) {
      assert.ok(view.utilization >= 0 && view.utilization <= 1, `utilization ${view.utilization}`);
      assert.ok(view.busyMs >= 0 && view.elapsedMs > 0);
      for (const [name, k] of Object.entries(view.kernels)) {
        assert.ok(!name.startsWith('_'), `internal pass ${name} in stats`);
        assert.ok(Number.isInteger(k.calls) && Number.isInteger(k.failed) && Number.isInteger(k.chunks), name);
        assert.ok(k.failed >= 0 && k.failed <= k.calls && k.chunks >= 0, `${name}: ${JSON.stringify(k)}`);
        for (const s of [k.runMs, k.waitMs]) {
          if (s.count > 0) assert.ok(s.p50 >= 0 && s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.max, `${name}: ${JSON.stringify(s)}`);
        }
      }
    }
    // Every call that resolved was registered once; a refused one never was
    // (the health checks above add one countPrimes, one scale, one scaleInout).
    const extra = { countPrimes: 1, scale: 1, 'scaleInout (user-faults.js)': 1 };
    for (const [label, n] of ctx.poolTally?.calls ?? []) {
      const k = stats.sinceStart.kernels[label] ?? { calls: 0, failed: 0 };
      const ok = n.ok + (extra[label] ?? 0);
      if (label === 'kmeansStep') {
        assert.ok(k.calls >= ok, `${label}: ${k.calls} calls registered, ${ok} resolved`);
        continue;
      }
      assert.ok(k.calls >= ok && k.calls <= ok + n.other + (n.later ?? 0), `${label}: ${k.calls} calls registered for ${ok} resolved and ${n.other} failed`);
      assert.ok(k.failed <= n.other, `${label}: ${k.failed} failures registered for ${n.other} failed calls`);
    }
    const closed = pool.close();
    let timer;
    await Promise.race([closed, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('close() did not resolve within 10 s')), 10_000)))]);
    clearTimeout(timer);
    ctx.pool = null;
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled.map(errorText), [], 'no unhandled rejection');
  });
});
