'use strict';
// The benchmark runs: `bench/run.js --quick` on two kernels, in a child
// process, exits 0 and writes results of the expected shape; so does the
// soak alone (bench/soak.js). The quick run includes the cluster section
// (a private Redis and worker processes; a note instead when no
// redis-server can be had). Only the shape
// is checked, never a timing (benchmarks are programs, not tests). With
// cargo on the machine this also builds and runs the native benchmark
// (bench/native), once per machine.

const { test } = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

test('bench/run.js --quick runs every mode and writes JSON and SVG', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sabre-bench-'));
  try {
    const r = spawnSync(
      process.execPath,
      [path.join(root, 'bench', 'run.js'), '--quick', '--kernel', 'sum,countPrimes', '--threads', '1,2', '--out', out],
      { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 },
    );
    assert.strictEqual(r.status, 0, `exit ${r.status}\n${r.stderr}`);
    assert.match(r.stdout, /### sum:/);
    assert.match(r.stdout, /### countPrimes:/);
    assert.match(r.stdout, /### goals/);

    const res = JSON.parse(fs.readFileSync(path.join(out, 'latest-quick.json'), 'utf8'));
    assert.strictEqual(res.meta.quick, true);
    assert.deepStrictEqual(res.meta.threads, [1, 2]);
    assert.deepStrictEqual(res.results.map((r) => `${r.kernel}/${r.size}`), ['sum/small', 'countPrimes/small']);
    const modes = ['js', 'wasm', 'pool:1', 'pool:2', 'piscina:1', 'piscina:2'];
    if (res.meta.native.available) modes.push('native', 'rayon:1', 'rayon:2');
    else assert.strictEqual(typeof res.meta.native.note, 'string');
    for (const row of res.results) {
      assert.ok(row.reference.agrees, `${row.kernel}: plain JS agrees with sabre`);
      for (const m of modes) {
        const mode = row.modes[m];
        assert.ok(mode, `${row.kernel} has mode ${m}`);
        assert.ok(mode.ms > 0 && mode.min <= mode.ms && mode.ms <= mode.max, `${row.kernel} ${m}: median within its range`);
        assert.ok(mode.runs >= 1 && mode.vsJs > 0 && mode.vsWasm > 0);
        if (m.includes(':')) assert.ok(mode.efficiency > 0);
        if (!m.startsWith('native') && !m.startsWith('rayon')) {
          assert.ok(mode.rssMB.peak > 0);
          assert.ok(mode.eventLoopMs === null || mode.eventLoopMs.p99 >= 0);
        }
      }
      if (row.nativeCheck) assert.ok(row.nativeCheck.agrees, `${row.kernel}: native computes what wasm computes`);
    }
    // The anchors: measured beside sabre when their library is there, else a note saying why not.
    const anchors = res.meta.anchors;
    for (const [name, kernel, there] of [
      ['numpy', 'sum', Boolean(anchors.numpy?.numpy)],
      ['primesieve', 'countPrimes', Boolean(anchors.primesieve?.available)],
    ]) {
      const row = res.results.find((r) => r.kernel === kernel);
      if (there) for (const t of [1, 2]) assert.ok(row.modes[`${name}:${t}`]?.ms >= 0, `${kernel} has mode ${name}:${t}`);
      else assert.strictEqual(typeof anchors[name].note, 'string', `${name}: a note when it is missing`);
    }
    assert.match(r.stdout, /vs best anchor/);
    for (const name of ['sabre (atomics on)', 'sabre (atomics off)', 'piscina', 'raw postMessage']) {
      const d = res.dispatch.results[name];
      assert.ok(d.roundTripUs > 0 && d.callsPerSecond > 0, name);
    }
    assert.ok(res.copy.length >= 2 && res.copy.every((c) => c.ms['kernel alone (in wasm memory)'] > 0));
    assert.ok(res.goals.length >= 5 && res.goals.every((g) => g.evaluated === g.met + g.missed));

    // The soak: its shape only. Whether it is flat, and whether every result
    // was right, is what it reports, not what this checks (today's pool
    // keeps settled calls under load, and a timeout that ends a worker can
    // re-run another call's in-place chunk that had already committed).
    const soak = res.soak;
    assert.match(r.stdout, /### soak:/);
    assert.strictEqual(soak.calls, 5000);
    assert.strictEqual(soak.error, null, soak.error);
    assert.ok(soak.done > 0 && soak.done <= soak.calls);
    assert.ok(soak.samples.length >= 3, 'a baseline and samples under load');
    assert.strictEqual(soak.samples[0].calls, 0);
    for (const s of soak.samples) {
      for (const k of ['calls', 's', 'callsPerSecond', 'heapMB', 'arrayBuffersMB', 'rssMB', 'gcMs']) assert.strictEqual(typeof s[k], 'number', `sample.${k}`);
      assert.ok(s.heapMB > 0 && s.rssMB > 0);
      assert.ok(s.liveArrays === null || Number.isInteger(s.liveArrays));
    }
    assert.ok(soak.samples.every((s, i) => i === 0 || s.calls > soak.samples[i - 1].calls), 'samples in call order');
    const o = soak.outcomes;
    assert.strictEqual(o.ok + o.wrong + o.aborted + o.timedOut + o.failed, soak.done);
    assert.ok(o.aborted > 0 && o.timedOut > 0, 'failure paths soaked too');
    assert.ok([true, false, null].includes(soak.verdict.flat) && typeof soak.verdict.why === 'string');
    assert.strictEqual(typeof soak.verdict.heapMB.slopePer10k, 'number');
    assert.ok(soak.drained.rssMB > 0 && soak.closed.rssMB > 0);
    assert.ok(res.goals.some((g) => g.id === 'soak') && res.goals.some((g) => g.id === 'soak-results'));

    // The cluster section: its figures' shape, or the note saying why it was skipped.
    const cl = res.cluster;
    assert.match(r.stdout, /### cluster:/);
    if (cl.skipped) assert.match(cl.skipped, /redis-server/);
    else {
      assert.strictEqual(cl.error, undefined, cl.error);
      for (const m of ['pool:1', 'cluster:1', 'pool:2', 'cluster:2']) assert.ok(cl.compute.modes[m].ms > 0, `cluster compute mode ${m}`);
      assert.strictEqual(cl.compute.sameCount, true, 'the cluster counts what the pool counts');
      for (const k of ['perChunkMs', 'perChunkVsPoolMs', 'perCallMs']) assert.strictEqual(typeof cl.overhead[k], 'number', `overhead.${k}`);
      assert.strictEqual(cl.bytes.calls.length, 3);
      for (const b of cl.bytes.calls) assert.ok(b.inBytes >= b.arrayBytes && b.outBytes >= 0 && b.ms > 0 && b.poolMs > 0, b.what);
      const k = cl.sigkill;
      assert.strictEqual(k.trials, 3);
      assert.strictEqual(k.runs.length, 3);
      for (const key of ['chunksLost', 'chunksDoubled', 'exact', 'killedMidChunk', 'rerun']) assert.ok(Number.isInteger(k[key]), `sigkill.${key}`);
      for (const id of ['cluster-overhead', 'cluster-vs-pool', 'cluster-sigkill']) assert.ok(res.goals.some((g) => g.id === id), `goal ${id}`);
    }

    const svg = fs.readFileSync(path.join(out, 'latest-quick.svg'), 'utf8');
    assert.match(svg, /^<\?xml[^]*<svg [^]*<\/svg>\s*$/);
    assert.match(svg, /Soak: /);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('bench/soak.js runs alone and writes JSON and SVG', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sabre-soak-'));
  try {
    const r = spawnSync(process.execPath, [path.join(root, 'bench', 'soak.js'), '--calls', '400', '--lanes', '8', '--every', '100', '--out', out], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.strictEqual(r.status, 0, `exit ${r.status}\n${r.stderr}`);
    assert.match(r.stdout, /### soak: 400 of 400 mixed calls, 8 lanes/);
    const { meta, soak } = JSON.parse(fs.readFileSync(path.join(out, 'latest-soak.json'), 'utf8'));
    assert.strictEqual(meta.node, process.version);
    assert.strictEqual(soak.lanes, 8);
    assert.deepStrictEqual(soak.samples.map((s) => s.calls).slice(0, 2), [0, 100]);
    assert.match(fs.readFileSync(path.join(out, 'latest-soak.svg'), 'utf8'), /^<\?xml[^]*<\/svg>\s*$/);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
