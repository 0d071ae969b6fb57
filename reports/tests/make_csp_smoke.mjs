// Writes a small report-like page under the report's Content-Security-Policy:
// the embedded chart libraries inline (hash-allowed), one bar chart with a
// calculated field and tooltips, and the data-check markers browser_check.mjs
// collects. The smoke test for the embedded assets and the checker together.
//
// Usage: node make_csp_smoke.mjs ASSET_DIR OUT.html [--eval]
//   ASSET_DIR  holds vega.js, vega-lite.js, vega-embed.js, vega-interpreter.js
//              (the build's report_assets/ folder: what report_asset() returns)
//   --eval     embed without the interpreter: the page then needs eval, which
//              the CSP forbids, so the checker must report a violation
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

const [assetDir, out, ...flags] = process.argv.slice(2);
if (!assetDir || !out) {
  console.error('usage: node make_csp_smoke.mjs ASSET_DIR OUT.html [--eval]');
  process.exit(2);
}
const useEval = flags.includes('--eval');

const spec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  data: { values: [{ expert: 'math', share: 0.41 }, { expert: 'code', share: 0.33 },
                   { expert: 'chat', share: 0.26 }] },
  transform: [{ calculate: 'round(datum.share * 1000) / 10', as: 'percent' }],
  mark: { type: 'bar', tooltip: true },
  encoding: {
    x: { field: 'expert', type: 'nominal', sort: '-y' },
    y: { field: 'percent', type: 'quantitative', title: 'tokens routed (%)' },
  },
};
const options = useEval ? '{actions: false}'
                        : '{ast: true, expr: vega.expressionInterpreter, actions: false}';
const main = `
vegaEmbed('#chart-routing', ${JSON.stringify(spec)}, ${options})
  .catch((err) => { console.error('chart failed: ' + err); })
  .finally(() => { document.body.dataset.rendered = '1'; });
`;
const scripts = ['vega.js', 'vega-lite.js', 'vega-embed.js', 'vega-interpreter.js']
  .map((name) => readFileSync(join(assetDir, name), 'utf8'))
  .concat([main]);
for (const s of scripts) {
  if (/<\/script/i.test(s)) throw new Error('a script contains </script');
}
const hash = (s) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
const csp = `default-src 'none'; script-src ${scripts.map(hash).join(' ')}; ` +
            `style-src 'unsafe-inline'; img-src data:`;

writeFileSync(out, `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>moebench CSP smoke test</title>
</head>
<body>
<h1 data-check="title">CSP smoke test</h1>
<section id="routing">
<h2>Routing</h2>
<div id="chart-routing"></div>
<table data-check="shares">
<tr><th>expert</th><th>share</th></tr>
<tr><td>math</td><td>0.41</td></tr>
<tr><td>code</td><td> 0.33 </td></tr>
</table>
</section>
${scripts.map((s) => `<script>${s}</script>`).join('\n')}
</body>
</html>
`);
