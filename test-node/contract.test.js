'use strict';
// The kernel contract, checked by code: the JS kernel declarations, the
// wasm's exports and their `sabre_contract` entries (src/bindings, export!),
// and the public types in index.d.ts must agree. A mismatch fails here, not
// only in an end-to-end test of the kernel it breaks.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
const { kernels } = require(path.join(dist, 'kernels'));
const { contractOf } = require(path.join(dist, 'contract'));
const { compileModule } = require(path.join(dist, 'engine'));

const module_ = compileModule();
const contract = contractOf(module_);
const wasmExports = new Set(WebAssembly.Module.exports(module_).map((e) => e.name));
const publicNames = Object.keys(kernels).filter((n) => !n.startsWith('_'));
const relaxed = require(path.join(dist, 'relaxed'));
/** The specs that run on the default module; the fused variants (spec.wasm 'relaxed') have a test of their own. */
const defaultSpecs = Object.entries(kernels).filter(([, spec]) => !relaxed.needsRelaxed(spec));

/** The glue: what JS calls (its functions are named by each export's js_name). */
const glue = require(path.join(dist, 'wasm', 'sabre.js'));

describe('the kernel contract', () => {
  it('the wasm carries a contract entry for every kernel export, and each is exported', () => {
    assert.ok(contract.size >= 40, `contract entries: ${contract.size}`);
    for (const name of contract.keys()) {
      assert.equal(typeof glue[name], 'function', `${name}: in the contract but not exported by the glue`);
      assert.ok(wasmExports.has(name), `${name}: not a wasm export`);
    }
  });

  it('every export a JS kernel calls is in the contract, and every contract entry is called by a kernel', () => {
    const used = new Set();
    for (const [name, spec] of defaultSpecs) {
      assert.ok(spec.contract && Array.isArray(spec.contract.exports), `${name}: declares no contract.exports`);
      for (const e of spec.contract.exports) {
        assert.ok(contract.has(e), `${name} calls ${e}, which the wasm's contract does not declare`);
        used.add(e);
      }
    }
    const orphans = [...contract.keys()].filter((e) => !used.has(e));
    assert.deepEqual(orphans, [], 'exports no kernel calls');
  });

  // The fused module compiles only where relaxed SIMD does (Node 24 in npm test).
  it('the fused module: its exports are those the fused variants call, each with the slots and arguments of the exact export', { skip: !relaxed.supported && 'this runtime has no relaxed SIMD' }, () => {
    const fusedModule = relaxed.relaxedModule();
    const fused = contractOf(fusedModule);
    const variants = Object.entries(kernels).filter(([, spec]) => relaxed.needsRelaxed(spec));
    assert.deepEqual(variants.map(([name]) => name), ['_matmulFused']);
    const used = new Set(variants.flatMap(([, spec]) => spec.contract.exports));
    assert.deepEqual([...fused.keys()].sort(), [...used].sort(), 'the fused module exports what its variants call, nothing else');
    const exports = new Set(WebAssembly.Module.exports(fusedModule).map((e) => e.name));
    for (const e of used) assert.ok(exports.has(e), `${e}: not exported by the fused module`);
    for (const [name, spec] of Object.entries(kernels)) {
      if (spec.fused === undefined) continue;
      const exact = contract.get('matmulF32');
      assert.deepEqual({ ...fused.get('matmulFusedF32'), name: undefined }, { ...exact, name: undefined }, `${name}: the fused export takes what the exact one takes`);
      assert.equal(kernels[spec.fused].displayName, name);
    }
  });

  it('each declared kernel passes the slots and arguments its Rust export takes, by name', () => {
    let declared = 0;
    for (const [name, spec] of Object.entries(kernels)) {
      if (!spec.contract.slots) continue; // a hand-written run: checked by BoundExport at run time
      declared++;
      for (const e of spec.contract.exports) {
        const entry = contract.get(e);
        assert.deepEqual([...entry.slots].sort(), [...spec.contract.slots].sort(), `${name} -> ${e}: slots`);
        assert.deepEqual(
          entry.args.map((a) => a.name),
          spec.contract.args,
          `${name} -> ${e}: arguments (Rust ${entry.args.map((a) => `${a.name}: ${a.type}`).join(', ')})`,
        );
      }
    }
    assert.ok(declared >= 15, `declared kernels: ${declared}`);
  });

  it('a suffixed export takes scalars of its element type (f32 kernels get f32 scalars)', () => {
    for (const [name, entry] of contract) {
      const m = /(F32|F64)$/.exec(name);
      if (!m) continue;
      const t = m[1].toLowerCase();
      for (const a of entry.args) {
        if (a.type === 'f32' || a.type === 'f64') assert.equal(a.type, t, `${name}(${a.name}: ${a.type})`);
      }
    }
  });

  it('the shared-memory build has an entry of the same slots, arguments and return for every export a declared kernel calls, and no other', () => {
    const { sharedModule } = require(path.join(dist, 'shared-memory.js'));
    const sharedModule_ = sharedModule();
    const shared = contractOf(sharedModule_);
    const sharedExports = new Set(WebAssembly.Module.exports(sharedModule_).map((e) => e.name));
    const declaredExports = Object.values(kernels)
      .filter((spec) => spec.contract.slots)
      .flatMap((spec) => spec.contract.exports);
    for (const e of declaredExports) {
      const a = contract.get(e);
      const b = shared.get(e);
      assert.ok(b, `${e}: no entry in the shared-memory build`);
      assert.ok(sharedExports.has(e), `${e}: not exported by the shared-memory build`);
      assert.deepEqual({ ...b, fields: undefined }, { ...a, fields: undefined }, `${e}: the two builds' entries`);
      assert.equal(b.fields !== undefined, a.returns.startsWith('serde '), `${e}: a struct result names its fields`);
    }
    // xorKey (a hand-written run) comes with bytes.rs; nothing else.
    const extra = [...shared.keys()].filter((e) => !declaredExports.includes(e));
    assert.deepEqual(extra, ['xorKey']);
    assert.equal(shared.get('sumF64').fields.join(), 'sum,comp');
  });

  it('index.d.ts declares exactly the public kernels, with the parameter names of their specs', () => {
    const dts = fs.readFileSync(path.join(dist, 'index.d.ts'), 'utf8');
    const body = dts.slice(dts.indexOf('export interface DirectKernels'));
    const block = body.slice(0, body.indexOf('\n}\n'));
    const methods = new Map();
    for (const m of block.matchAll(/^ {2}(\w+)(?:<[^(]*>)?\(([^)]*)\)/gm)) {
      if (methods.has(m[1])) continue; // overloads: the first one
      const params = m[2]
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p && !p.startsWith('...'))
        .map((p) => p.split(/[?:]/)[0].trim());
      methods.set(m[1], params);
    }
    assert.deepEqual([...methods.keys()].sort(), [...publicNames].sort(), 'DirectKernels methods vs kernels');
    for (const name of publicNames) assert.deepEqual(methods.get(name), kernels[name].params, `${name}: parameters`);
    assert.match(dts, /interface PoolKernels extends DirectKernels<'pool'>/, 'PoolKernels derives from DirectKernels');
  });
});
