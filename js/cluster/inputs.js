'use strict';
// What a cluster worker holds of the inputs of the calls it runs jobs of
// (js/cluster/worker.js), and how it fetches only what a job reads.

const { fromJSON } = require('./codec');
const { keyOf } = require('./connect');

const CACHED_CALLS = 2;

/** Byte ranges `[from, to)`, sorted and disjoint: what of a key this worker holds. */
class Ranges {
  list = [];

  /** The parts of `[from, to)` not held. */
  missing(from, to) {
    const out = [];
    let at = from;
    for (const [s, e] of this.list) {
      if (e <= at) continue;
      if (s >= to) break;
      if (s > at) out.push([at, s]);
      at = Math.max(at, e);
      if (at >= to) break;
    }
    if (at < to) out.push([at, to]);
    return out;
  }

  add(from, to) {
    if (from >= to) return;
    const out = [];
    for (const [s, e] of this.list) {
      if (e < from || s > to) out.push([s, e]);
      else [from, to] = [Math.min(from, s), Math.max(to, e)]; // touching: merged into the new one
    }
    out.push([from, to]);
    this.list = out.sort((a, b) => a[0] - b[0]);
  }

  drop(from, to) {
    if (from >= to) return;
    const out = [];
    for (const [s, e] of this.list) {
      if (e <= from || s >= to) out.push([s, e]);
      else {
        if (s < from) out.push([s, from]);
        if (e > to) out.push([to, e]);
      }
    }
    this.list = out;
  }
}

/**
 * The bytes of a job's ref `r` that its chunks read: a split array's slice
 * for the job's units (`align` elements a unit, js/declare.js `slices`),
 * none of a written-only one, all of anything else; offsets in its key.
 */
function rangeOf(r, d) {
  if (r.read === false) return null;
  if (r.align === undefined) return [r.byteOffset, r.byteOffset + r.byteLength];
  const unit = r.align * globalThis[r.type].BYTES_PER_ELEMENT;
  const from = Math.min(d.units, d.first * d.grain);
  const to = Math.min(d.units, d.end * d.grain);
  return [r.byteOffset + from * unit, r.byteOffset + to * unit];
}

/**
 * The inputs of the calls this worker runs jobs of. Each input key is one
 * SharedArrayBuffer of the key's length (so aliasing views stay aliased;
 * pages never fetched are never touched), filled range by range as jobs
 * need them: a job fetches only its slices (GETRANGE) of what it reads, in
 * one MULTI with the call's `live` key (a settled call's job does nothing).
 * A job's chunks write into these copies: what it wrote is dropped from
 * what the worker holds, so a chunk run again (a retried job) reads the
 * pass's input from Redis, never its own output.
 */
class Inputs {
  #calls = new Map(); // call id -> { keys: Map(key -> { buffer, held: Ranges }), passes: Map(pass -> args), lock }
  #redis;

  constructor(redis) {
    this.#redis = redis;
  }

  #call(id) {
    let c = this.#calls.get(id);
    if (!c) {
      this.#calls.set(id, (c = { keys: new Map(), passes: new Map(), lock: Promise.resolve() }));
      if (this.#calls.size > CACHED_CALLS) this.#calls.delete(this.#calls.keys().next().value);
    }
    return c;
  }

  /** `{ args, read }` of job data `d` (read: bytes fetched for it), or null when its call has settled. */
  of(d) {
    const c = this.#call(d.call);
    // One job of a call fetches at a time: a second one needing the same
    // bytes finds them held.
    const result = c.lock.then(() => this.#load(c, d));
    c.lock = result.catch(() => {});
    return result;
  }

  async #load(c, d) {
    const refs = Object.values(d.inputs);
    const wanted = new Set(refs.map((r) => r.key));
    for (const key of c.keys.keys()) if (!wanted.has(key)) c.keys.delete(key);
    for (const p of c.passes.keys()) if (p !== d.pass) c.passes.delete(p);
    for (const r of refs) {
      if (!c.keys.has(r.key)) c.keys.set(r.key, { buffer: new SharedArrayBuffer(r.keyBytes), held: new Ranges() });
    }
    const fetches = [];
    for (const r of refs) {
      const range = rangeOf(r, d);
      if (!range) continue;
      for (const [from, to] of c.keys.get(r.key).held.missing(...range)) {
        // Two refs into one key may ask for the same bytes.
        if (!fetches.some((f) => f.key === r.key && f.from <= from && f.to >= to)) fetches.push({ key: r.key, from, to });
      }
    }
    let read = 0;
    if (fetches.length || d.pass === 0) {
      const multi = this.#redis.multi().exists(keyOf(d.call, 'live'));
      for (const f of fetches) multi.getrangeBuffer(f.key, f.from, f.to - 1); // GETRANGE's end is inclusive
      const replies = await multi.exec();
      if (!replies) throw new Error('sabre worker: a MULTI to Redis was discarded');
      for (const [err] of replies) if (err) throw err;
      if (replies[0][1] !== 1) return null;
      fetches.forEach((f, i) => {
        const buf = replies[i + 1][1];
        if (buf.byteLength !== f.to - f.from) throw new Error(`sabre worker: input ${f.key} is missing from Redis`);
        const held = c.keys.get(f.key);
        new Uint8Array(held.buffer, f.from, f.to - f.from).set(buf);
        held.held.add(f.from, f.to);
        read += buf.byteLength;
      });
    }
    let args = c.passes.get(d.pass);
    if (!args) {
      args = fromJSON(d.args, ({ $in }) => {
        const r = d.inputs[$in];
        const T = globalThis[r.type];
        return new T(c.keys.get(r.key).buffer, r.byteOffset, r.byteLength / T.BYTES_PER_ELEMENT);
      });
      c.passes.set(d.pass, args);
    }
    return { args, read };
  }

  /** After job `d` wrote `writes` (`[name, from, to]` elements of its args): those bytes are no longer the input's. */
  wrote(d, writes) {
    const c = this.#calls.get(d.call);
    if (!c) return;
    for (const [name, from, to] of writes) {
      const r = d.inputs[name];
      const held = r && c.keys.get(r.key);
      if (!held) continue;
      const size = globalThis[r.type].BYTES_PER_ELEMENT;
      held.held.drop(r.byteOffset + from * size, r.byteOffset + to * size);
    }
  }

  /** A job of call `id` failed: what its chunks wrote is unknown, so nothing of the call is held. */
  forget(id) {
    this.#calls.delete(id);
  }
}

module.exports = { Inputs, Ranges, rangeOf };
