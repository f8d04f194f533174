'use strict';
const { bestAnchor } = require('./report');
// The chart, as a hand-written SVG string (no dependency): for each kernel
// at its largest size measured,
//   1. speed-up over the direct wasm call against threads: sabre's pool,
//      piscina, and native rayon (the hardware's practical limit), with the
//      ideal line (speed-up = threads) dashed;
//   2. time per mode: one bar per mode, as a share of the slowest mode, with
//      its time in ms;
// and, for a memory-bound kernel, its memory-bandwidth floor (bench/bandwidth.js,
// the table's "floor ms": the bytes it must move at this machine's copy
// speed) in both: the speed-up no thread count can pass (a dotted level in
// 1), the time no mode can beat (a dotted mark across the bars in 2);
// and, when the soak ran, its curves against calls: heap used and array
// buffers after GC, RSS, calls/s (soakPanels; soakChart alone for
// bench/soak.js).

const COLORS = { js: '#8c8c8c', wasm: '#7b4fb3', pool: '#1f6fd1', piscina: '#e07b14', native: '#2e9b4f', rayon: '#2e9b4f', anchor: '#c0392b', ideal: '#b8b8b8', floor: '#555555' };
const FLOOR_DASH = '1.5 2.5';
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const n2 = (v) => Number(v.toFixed(2));
const fmtMs = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));

function text(x, y, s, { size = 11, anchor = 'start', color = '#222', weight = 'normal' } = {}) {
  return `<text x="${n2(x)}" y="${n2(y)}" font-size="${size}" text-anchor="${anchor}" fill="${color}" font-weight="${weight}" ${FONT}>${esc(s)}</text>`;
}

/** An axis top of 4 grid steps, each step 1, 2, 2.5 or 5 × a power of ten. */
function niceMax(v) {
  if (!(v > 0)) return 1;
  const raw = v / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return 4 * m * p;
  return 40 * p;
}

function largestRows(results) {
  const order = ['small', 'medium', 'large'];
  const m = new Map();
  for (const r of results) {
    const prev = m.get(r.kernel);
    if (!prev || order.indexOf(r.size) > order.indexOf(prev.size)) m.set(r.kernel, r);
  }
  return [...m.values()];
}

function scalingPanel(r, threads, x0, y0, w, h) {
  const pad = { l: 30, r: 8, t: 18, b: 22 };
  const pw = w - pad.l - pad.r;
  const ph = h - pad.t - pad.b;
  const T = Math.max(...threads);
  const base = r.modes.wasm.ms;
  const series = {
    pool: threads.map((t) => [t, r.modes[`pool:${t}`]]).filter(([, m]) => m).map(([t, m]) => [t, base / m.ms]),
    piscina: threads.map((t) => [t, r.modes[`piscina:${t}`]]).filter(([, m]) => m).map(([t, m]) => [t, base / m.ms]),
    rayon: threads.map((t) => [t, r.modes[`rayon:${t}`]]).filter(([, m]) => m).map(([t, m]) => [t, base / m.ms]),
    // The best library a user could call instead (numpy, primesieve), at each thread count.
    anchor: threads.map((t) => [t, bestAnchor(r, t)?.[1]]).filter(([, m]) => m).map(([t, m]) => [t, base / m.ms]),
  };
  // The bandwidth floor as a speed-up: direct time over the floor's time.
  const floor = r.floorMs > 0 ? base / r.floorMs : undefined;
  const all = [T, ...(floor !== undefined ? [floor] : []), ...Object.values(series).flat().map(([, v]) => v)];
  const ymax = niceMax(Math.max(...all));
  const xs = (t) => x0 + pad.l + (T === 1 ? pw / 2 : ((t - 1) / (T - 1)) * pw);
  const ys = (v) => y0 + pad.t + ph - (v / ymax) * ph;
  const out = [];
  out.push(`<rect x="${x0 + 0.5}" y="${y0 + 0.5}" width="${w - 1}" height="${h - 1}" fill="#fff" stroke="#e3e3e3"/>`);
  out.push(text(x0 + pad.l, y0 + 13, `${r.kernel} (${r.size})`, { size: 11, weight: 'bold' }));
  // Axes and grid.
  for (let i = 0; i <= 4; i++) {
    const v = (ymax * i) / 4;
    out.push(`<line x1="${x0 + pad.l}" x2="${x0 + pad.l + pw}" y1="${n2(ys(v))}" y2="${n2(ys(v))}" stroke="${i ? '#f0f0f0' : '#999'}"/>`);
    out.push(text(x0 + pad.l - 3, ys(v) + 3, Number(v.toPrecision(3)), { size: 8, anchor: 'end', color: '#666' }));
  }
  for (const t of threads) out.push(text(xs(t), y0 + h - 10, t, { size: 8, anchor: 'middle', color: '#666' }));
  out.push(text(x0 + pad.l + pw, y0 + h - 2, 'threads', { size: 8, anchor: 'end', color: '#999' }));
  // Ideal scaling: speed-up = threads.
  if (T > 1) out.push(`<line x1="${n2(xs(1))}" y1="${n2(ys(1))}" x2="${n2(xs(T))}" y2="${n2(ys(T))}" stroke="${COLORS.ideal}" stroke-dasharray="4 3"/>`);
  if (floor !== undefined) {
    out.push(`<line x1="${x0 + pad.l}" x2="${x0 + pad.l + pw}" y1="${n2(ys(floor))}" y2="${n2(ys(floor))}" stroke="${COLORS.floor}" stroke-width="1.2" stroke-dasharray="${FLOOR_DASH}"/>`);
    out.push(text(x0 + pad.l + pw, ys(floor) - 2, 'bandwidth floor', { size: 8, anchor: 'end', color: COLORS.floor }));
  }
  for (const [kind, pts] of Object.entries(series)) {
    if (!pts.length) continue;
    const d = pts.map(([t, v], i) => `${i ? 'L' : 'M'}${n2(xs(t))},${n2(ys(v))}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${COLORS[kind]}" stroke-width="2"${kind === 'rayon' ? ' stroke-dasharray="1 0"' : ''}/>`);
    for (const [t, v] of pts) out.push(`<circle cx="${n2(xs(t))}" cy="${n2(ys(v))}" r="2.5" fill="${COLORS[kind]}"/>`);
  }
  if (r.modes.native) {
    const v = base / r.modes.native.ms;
    out.push(`<rect x="${n2(xs(1) - 3)}" y="${n2(ys(v) - 3)}" width="6" height="6" fill="none" stroke="${COLORS.native}" stroke-width="1.5"/>`);
  }
  return out.join('\n');
}

function barsPanel(r, threads, x0, y0, w) {
  const order = ['js', 'wasm', ...threads.map((t) => `pool:${t}`), ...threads.map((t) => `piscina:${t}`), 'native', ...threads.map((t) => `rayon:${t}`)];
  const modes = order.filter((m) => r.modes[m]);
  const bh = 10;
  const gap = 3;
  const labelW = 62;
  const valueW = 46;
  const top = 18;
  const h = top + modes.length * (bh + gap) + 6;
  const slowest = Math.max(...modes.map((m) => r.modes[m].ms));
  const bw = w - labelW - valueW - 10;
  const floorLen = r.floorMs > 0 ? Math.min(1, r.floorMs / slowest) * bw : undefined;
  const out = [];
  out.push(`<rect x="${x0 + 0.5}" y="${y0 + 0.5}" width="${w - 1}" height="${h - 1}" fill="#fff" stroke="#e3e3e3"/>`);
  out.push(text(x0 + 6, y0 + 13, `${r.kernel} (${r.size}), ms`, { size: 11, weight: 'bold' }));
  modes.forEach((m, i) => {
    const y = y0 + top + i * (bh + gap);
    const len = Math.max(1, (r.modes[m].ms / slowest) * bw);
    const kind = m.split(':')[0];
    out.push(text(x0 + labelW, y + bh - 1.5, m.replace(':', '×'), { size: 9, anchor: 'end', color: '#444' }));
    out.push(`<rect x="${x0 + labelW + 4}" y="${n2(y)}" width="${n2(len)}" height="${bh}" fill="${COLORS[kind]}"/>`);
    out.push(text(x0 + labelW + 8 + len, y + bh - 1.5, fmtMs(r.modes[m].ms), { size: 9, color: '#444' }));
  });
  if (floorLen !== undefined) {
    const fx = n2(x0 + labelW + 4 + floorLen);
    out.push(`<line x1="${fx}" x2="${fx}" y1="${y0 + top - 3}" y2="${y0 + h - 4}" stroke="${COLORS.floor}" stroke-width="1.2" stroke-dasharray="${FLOOR_DASH}"/>`);
    out.push(text(x0 + w - 6, y0 + 13, `floor ${fmtMs(r.floorMs)}`, { size: 9, anchor: 'end', color: COLORS.floor }));
  }
  return { svg: out.join('\n'), h };
}

function legend(x, y) {
  const items = [
    ['pool', "sabre's pool"],
    ['piscina', 'piscina, split by hand'],
    ['rayon', 'native rayon (□ native, 1 thread)'],
    ['anchor', 'best library (numpy, primesieve)'],
    ['ideal', 'ideal: speed-up = threads'],
    ['floor', 'memory-bandwidth floor'],
  ];
  let cx = x;
  const out = [];
  for (const [k, label] of items) {
    const dash = k === 'ideal' ? ' stroke-dasharray="4 3"' : k === 'floor' ? ` stroke-dasharray="${FLOOR_DASH}"` : '';
    out.push(`<line x1="${cx}" x2="${cx + 18}" y1="${y - 4}" y2="${y - 4}" stroke="${COLORS[k]}" stroke-width="2"${dash}/>`);
    out.push(text(cx + 22, y, label, { size: 11 }));
    cx += 34 + label.length * 6;
  }
  return out.join('\n');
}

/**
 * Curves against calls, from 0 to a nice max: a soak panel. `series`:
 * [{ points: [[calls, v]], color, label }]; `limit`, if given, a dashed
 * horizontal line.
 */
function linePanel(series, { title, x0, y0, w, h, xmax, limit }) {
  const pad = { l: 38, r: 10, t: 18, b: 22 };
  const pw = w - pad.l - pad.r;
  const ph = h - pad.t - pad.b;
  const ymax = niceMax(Math.max(0, limit ?? 0, ...series.flatMap(({ points }) => points.map(([, v]) => v))));
  const xs = (c) => x0 + pad.l + (xmax > 0 ? (c / xmax) * pw : 0);
  const ys = (v) => y0 + pad.t + ph - (v / ymax) * ph;
  const out = [];
  out.push(`<rect x="${x0 + 0.5}" y="${y0 + 0.5}" width="${w - 1}" height="${h - 1}" fill="#fff" stroke="#e3e3e3"/>`);
  out.push(text(x0 + pad.l, y0 + 13, title, { size: 11, weight: 'bold' }));
  for (let i = 0; i <= 4; i++) {
    const v = (ymax * i) / 4;
    out.push(`<line x1="${x0 + pad.l}" x2="${x0 + pad.l + pw}" y1="${n2(ys(v))}" y2="${n2(ys(v))}" stroke="${i ? '#f0f0f0' : '#999'}"/>`);
    out.push(text(x0 + pad.l - 3, ys(v) + 3, Number(v.toPrecision(3)).toLocaleString('en'), { size: 8, anchor: 'end', color: '#666' }));
  }
  for (const c of [0, xmax / 2, xmax]) {
    out.push(text(xs(c), y0 + h - 10, Math.round(c).toLocaleString('en'), { size: 8, anchor: c === 0 ? 'start' : c === xmax ? 'end' : 'middle', color: '#666' }));
  }
  out.push(text(x0 + pad.l + pw, y0 + h - 2, 'calls', { size: 8, anchor: 'end', color: '#999' }));
  if (limit !== undefined) {
    out.push(`<line x1="${x0 + pad.l}" x2="${x0 + pad.l + pw}" y1="${n2(ys(limit))}" y2="${n2(ys(limit))}" stroke="${COLORS.ideal}" stroke-dasharray="4 3"/>`);
  }
  series.forEach(({ points, color, label }, i) => {
    if (points.length) {
      const d = points.map(([c, v], j) => `${j ? 'L' : 'M'}${n2(xs(c))},${n2(ys(v))}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8"/>`);
    }
    // A white halo keeps the label readable over the curves.
    if (label) out.push(text(x0 + pad.l + pw, y0 + 27 + 10 * i, label, { size: 9, anchor: 'end', color }).replace('<text ', '<text stroke="#fff" stroke-width="3" paint-order="stroke" '));
  });
  return out.join('\n');
}

/** The soak's curves, a row of four panels at (0, y) across width W; returns { svg, h }. */
function soakPanels(soak, y, W) {
  const v = soak.verdict;
  const flat = v.flat === null ? 'not judged' : v.flat ? 'flat' : 'NOT flat';
  const slope = Number(v.heapMB.slopePer10k);
  const detail = `heap after GC ${slope >= 0 ? '+' : ''}${slope.toFixed(2)} MB per 10k calls over the last half, caller arrays alive at most ${v.liveArrays.lastHalfMax} (in flight: at most ${v.inFlightArrays})`;
  const parts = [
    text(12, y + 14, `Soak: ${soak.done.toLocaleString('en')} mixed calls, ${soak.lanes} lanes, pool×${soak.threads}: ${flat} (${soak.stopped ? `stopped: ${soak.stopped.reason}` : detail})`, { size: 12 }),
  ];
  const ss = soak.samples;
  const pts = (key, from = ss) => from.filter((s) => typeof s[key] === 'number').map((s) => [s.calls, s[key]]);
  const xmax = Math.max(soak.done, 1);
  const pw = W / 4;
  const h = 150;
  const panels = [
    ['heap used after GC, MB', [{ points: pts('heapMB'), color: COLORS.pool }]],
    ['caller arrays alive after GC', [{ points: pts('liveArrays'), color: COLORS.piscina, label: 'dashed: the most the calls in flight hold' }], v.inFlightArrays],
    [
      'memory, MB',
      [
        { points: pts('rssMB'), color: COLORS.wasm, label: 'RSS' },
        { points: pts('arrayBuffersMB'), color: COLORS.js, label: 'array buffers after GC' },
      ],
    ],
    ['calls/s', [{ points: pts('callsPerSecond', ss.filter((s) => s.calls > 0)), color: COLORS.native }]],
  ];
  panels.forEach(([title, series, limit], i) => parts.push(linePanel(series, { title, x0: i * pw, y0: y + 22, w: pw, h, xmax, limit })));
  return { svg: parts.join('\n'), h: 22 + h };
}

/** A document of the soak's curves alone (bench/soak.js). */
function soakChart(soak, meta) {
  const W = 1200;
  const head = text(12, 24, `sabre soak: ${meta.cpu}, ${meta.cores} cores, Node ${meta.node}, ${meta.date.slice(0, 10)}`, { size: 15, weight: 'bold' });
  const { svg, h } = soakPanels(soak, 34, W);
  const H = Math.ceil(34 + h + 10);
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">
<rect width="${W}" height="${H}" fill="#fafafa"/>
${head}
${svg}
</svg>
`;
}

/** The whole SVG document. */
function chart({ meta, results, soak }) {
  const rows = largestRows(results).filter((r) => r.modes.wasm);
  const threads = meta.threads;
  const W = 1200;
  const cols = 6;
  const pw = W / cols;
  const ph = 150;
  const parts = [];
  let y = 0;
  parts.push(text(12, 24, `sabre benchmark${meta.quick ? ' (quick)' : ''}: ${meta.cpu}, ${meta.cores} cores, Node ${meta.node}, ${meta.date.slice(0, 10)}`, { size: 15, weight: 'bold' }));
  parts.push(text(12, 44, 'Speed-up over the direct wasm call (one thread, main thread) against threads, at each kernel\'s largest size', { size: 12 }));
  parts.push(legend(12, 64));
  y = 74;
  rows.forEach((r, i) => {
    parts.push(scalingPanel(r, threads, (i % cols) * pw, y + Math.floor(i / cols) * ph, pw, ph));
  });
  y += Math.ceil(rows.length / cols) * ph + 30;
  parts.push(text(12, y, 'Time per mode (bars: share of the slowest mode; labels: median ms)', { size: 12 }));
  y += 10;
  const bcols = 4;
  const bw = W / bcols;
  let rowH = 0;
  rows.forEach((r, i) => {
    const { svg, h } = barsPanel(r, threads, (i % bcols) * bw, y, bw);
    parts.push(svg);
    rowH = Math.max(rowH, h);
    if (i % bcols === bcols - 1 || i === rows.length - 1) {
      y += rowH;
      rowH = 0;
    }
  });
  y += 10;
  if (soak?.samples.length) {
    const p = soakPanels(soak, y + 10, W);
    parts.push(p.svg);
    y += 10 + p.h + 10;
  }
  const H = Math.ceil(y);
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">
<rect width="${W}" height="${H}" fill="#fafafa"/>
${parts.join('\n')}
</svg>
`;
}

module.exports = { chart, soakChart };
