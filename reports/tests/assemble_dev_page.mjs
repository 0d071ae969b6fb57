// Builds a report page from a report JSON document the way `moebench report --out`
// does (same markup, same escaping, same Content-Security-Policy hashes), so the
// page's script and style can be developed and checked without the C++ side.
//
// Usage: node reports/tests/assemble_dev_page.mjs REPORT.json OUT.html [--huge]
// --huge plants a 1 MB single-line string in a response, a gate prompt, the
// recipe and, wherever it occurs as a whole value, the name of the second suite
// (kept out of the committed fixture).
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const reports = join(here, '..');
const modules = join(reports, 'node_modules');

const args = process.argv.slice(2);
const huge = args.includes('--huge');
const [jsonPath, outPath] = args.filter((a) => a !== '--huge');
if (!jsonPath || !outPath) {
  console.error('usage: node assemble_dev_page.mjs REPORT.json OUT.html [--huge]');
  process.exit(2);
}

const doc = JSON.parse(readFileSync(jsonPath, 'utf8'));
if (huge) {
  const half = '</script><script>window.__moebench_pwned=4</script>'.padEnd(1 << 19, '0123456789abcdef');
  const line = half + '\u2028\u2029' + half.slice(2);
  const answer = doc.samples?.documents?.[0]?.answers?.[0];
  if (answer) answer.response = line;
  const expert = doc.gates?.[0]?.experts?.[0];
  if (expert) expert.positive_prompts = [...(expert.positive_prompts || []), line];
  const merge = (doc.models || []).find((m) => m.role === 'merge');
  if (merge) merge.recipe = line;
  const suite = doc.suites?.[1]?.name;
  const swap = (v) => {
    if (v === suite) return line;
    if (Array.isArray(v)) return v.map(swap);
    if (v && typeof v === 'object') {
      for (const k of Object.keys(v)) v[k] = swap(v[k]);
    }
    return v;
  };
  if (typeof suite === 'string') swap(doc);
}

// The JSON inside <script type="application/json">: nothing in it can end the
// element or start a comment, and the two line separators JS once rejected are escaped.
const json = JSON.stringify(doc)
  .replace(/</g, '\\u003c')
  .replace(/>/g, '\\u003e')
  .replace(/&/g, '\\u0026')
  .replace(/\u2028/g, '\\u2028')
  .replace(/\u2029/g, '\\u2029');

const read = (p) => readFileSync(join(modules, p), 'utf8');
// Source-map comments would make a browser with developer tools open fetch a file.
const stripMap = (s) => s.replace(/\n?\/\/# sourceMappingURL=\S*\s*$/, '\n');

// vega-interpreter ships only as an ES module importing vega-util; as a classic
// script it takes vega-util's functions from the vega global and sets
// vega.expressionInterpreter (as reports/embed_assets.cmake does).
function interpreterClassic(src) {
  const imp = /^import\s*\{([^}]*)\}\s*from\s*['"]vega-util['"];?\s*$/m;
  const exp = /^export\s*\{\s*expression\s+as\s+expressionInterpreter\s*\};?\s*$/m;
  if (!imp.test(src) || !exp.test(src)) throw new Error('vega-interpreter build has an unexpected shape');
  const body = src
    .replace(imp, (_, names) => `const {${names}} = vega;`)
    .replace(exp, 'vega.expressionInterpreter = expression;');
  return `(function (vega) {\n'use strict';\n${stripMap(body)}\n})(vega);\n`;
}

const scripts = [
  stripMap(read('vega/build/vega.min.js')),
  stripMap(read('vega-lite/build/vega-lite.min.js')),
  stripMap(read('vega-embed/build/vega-embed.min.js')),
  interpreterClassic(read('vega-interpreter/build/vega-interpreter.js')),
  readFileSync(join(reports, 'assets/report.js'), 'utf8'),
];
for (const s of scripts) {
  if (/<\/script|<!--/i.test(s)) throw new Error('an inline script contains </script or <!--');
}
const css = readFileSync(join(reports, 'assets/report.css'), 'utf8');
const hash = (s) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
const csp = `default-src 'none'; script-src ${scripts.map(hash).join(' ')}; style-src 'unsafe-inline'; img-src data: blob:`;
const escText = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escAttr = (s) => escText(s).replace(/"/g, '&quot;');

const page = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">\n' +
  `<meta http-equiv="Content-Security-Policy" content="${escAttr(csp)}">\n` +
  '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
  `<title>moebench report — ${escText(String(doc.run?.run_key ?? ''))}</title>\n` +
  `<style>${css}</style></head><body>\n` +
  '<noscript>This report is drawn by its embedded script; enable JavaScript to read it.</noscript>\n' +
  `<script type="application/json" id="report-data">${json}</script>\n` +
  scripts.map((s) => `<script>${s}</script>`).join('') + '\n' +
  '</body></html>\n';
writeFileSync(outPath, page);
console.log(`${outPath}: ${page.length} bytes`);
