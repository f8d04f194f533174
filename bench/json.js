'use strict';
// How the benchmark's results are written: JSON that reads well and stays
// small (bench/run.js, bench/soak.js).

/**
 * Indented JSON in which any object or array that fits in 100 characters
 * (run times, event-loop figures, a mode's speed-ups ...) stays on one line,
 * so that a run's file reads well and stays small. Non-finite numbers become
 * strings.
 */
function toJson(value) {
  // Timings to 5 significant digits: the machine's noise is far above that.
  const fix = (k, v) => (typeof v !== 'number' ? v : !Number.isFinite(v) ? String(v) : Number.isInteger(v) ? v : Number(v.toPrecision(5)));
  const plain = JSON.parse(JSON.stringify(value, fix));
  const fmt = (v, indent) => {
    const one = JSON.stringify(v);
    if (v === null || typeof v !== 'object' || one.length + indent.length <= 100) return one.replace(/,(?=["[{\d-])/g, ', ').replace(/":/g, '": ');
    const inner = `${indent}  `;
    if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) {
      // A long list of numbers: as many per line as fit.
      const lines = [];
      let line = '';
      for (const x of v.map((y) => JSON.stringify(y))) {
        if (line && inner.length + line.length + x.length + 2 > 100) {
          lines.push(line);
          line = '';
        }
        line += line ? `, ${x}` : x;
      }
      lines.push(line);
      return `[\n${lines.map((l) => inner + l).join(',\n')}\n${indent}]`;
    }
    if (Array.isArray(v)) return `[\n${v.map((x) => inner + fmt(x, inner)).join(',\n')}\n${indent}]`;
    return `{\n${Object.entries(v).map(([k, x]) => `${inner}${JSON.stringify(k)}: ${fmt(x, inner)}`).join(',\n')}\n${indent}}`;
  };
  return `${fmt(plain, '')}\n`;
}

module.exports = { toJson };
