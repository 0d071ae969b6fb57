// Opens a moebench HTML report in headless Chromium with the network cut off
// and checks that it renders cleanly: no console errors, no uncaught
// exceptions, no requests leaving file:/data:/blob:/about:, no dialogs, no
// Content-Security-Policy violations, and window.__moebench_pwned never set
// (the tests plant markup that sets it if escaping fails).
//
// Usage: node reports/tests/browser_check.mjs REPORT.html OUT_DIR [--no-images]
// Writes OUT_DIR/report.png, section-<id>.png per <section id>, report.pdf and
// check.json (with --no-images only check.json: screenshots of a report with
// thousands of rows take minutes); exits 0 when clean, 1 with one line per
// problem on stderr, 2 on bad usage. MOEBENCH_CHROMIUM overrides the browser
// (default /usr/bin/chromium).
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const RENDER_TIMEOUT_MS = 30_000;
const SCREENSHOT_TIMEOUT_MS = 180_000;
const ALLOWED_SCHEMES = ['file:', 'data:', 'blob:', 'about:'];

const [reportArg, outArg, imagesArg] = process.argv.slice(2);
const images = imagesArg !== '--no-images';
if (!reportArg || !outArg || (imagesArg !== undefined && images)) {
  console.error('usage: node browser_check.mjs REPORT.html OUT_DIR [--no-images]');
  process.exit(2);
}
const reportPath = resolve(reportArg);
const outDir = resolve(outArg);
if (!existsSync(reportPath)) {
  console.error(`browser_check: no such report: ${reportPath}`);
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const result = {
  console: [],
  page_errors: [],
  requests: [],
  dialogs: [],
  csp_violations: [],
  pwned: null,
  tables: {},
  texts: {},
};

const allowed = (url) => ALLOWED_SCHEMES.some((s) => url.startsWith(s));
const blocked = new Set();
const recordRequest = (url) => {
  if (!allowed(url) && !blocked.has(url)) {
    blocked.add(url);
    result.requests.push(url);
  }
};

const browser = await chromium.launch({
  executablePath: process.env.MOEBENCH_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // Every host name resolves to nothing: even a request that slipped past the
  // route below could not reach a server.
  args: ['--host-resolver-rules=MAP * ~NOTFOUND', '--disable-background-networking'],
});
try {
  const context = await browser.newContext({ serviceWorkers: 'block', acceptDownloads: false });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (allowed(url)) return route.continue();
    recordRequest(url);
    return route.abort('blockedbyclient');
  });
  context.on('request', (request) => recordRequest(request.url()));
  context.on('websocket', (ws) => recordRequest(ws.url()));

  // The listener runs before any of the report's scripts; the binding is
  // attached by the browser itself, so it needs nothing the page's CSP forbids.
  await context.exposeBinding('__moebenchCspViolation', (_source, v) => {
    result.csp_violations.push(v);
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__moebenchCspViolation({
        directive: e.effectiveDirective || e.violatedDirective,
        blocked: e.blockedURI,
        source: e.sourceFile,
        line: e.lineNumber,
        sample: e.sample,
      });
    });
  });

  const page = await context.newPage();
  const watch = (p) => {
    p.on('console', (msg) => {
      const type = msg.type();
      if (type !== 'error' && type !== 'warning') return;
      const loc = msg.location();
      result.console.push({ type, text: msg.text(), url: loc.url, line: loc.lineNumber });
    });
    p.on('pageerror', (err) => result.page_errors.push(err.stack || String(err)));
    p.on('dialog', async (dialog) => {
      result.dialogs.push({ type: dialog.type(), message: dialog.message() });
      await dialog.dismiss().catch(() => {});
    });
  };
  watch(page);
  context.on('page', (p) => {
    if (p !== page) {
      result.page_errors.push(`report opened another window: ${p.url()}`);
      watch(p);
    }
  });

  try {
    await page.goto(pathToFileURL(reportPath).href, { waitUntil: 'load', timeout: RENDER_TIMEOUT_MS });
    // Polls with page.evaluate (DevTools evaluation, which the page's CSP does
    // not see) rather than waitForFunction.
    const deadline = Date.now() + RENDER_TIMEOUT_MS;
    for (;;) {
      const done = await page.evaluate(() => document.body?.dataset.rendered === '1');
      if (done) break;
      if (Date.now() > deadline) {
        result.page_errors.push('report never finished rendering');
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    result.page_errors.push(`could not open the report: ${err.message}`);
  }

  if (!page.isClosed()) {
    // Screenshots of a long report (thousands of table rows) take a while on a
    // busy machine: allow more than the default 30 s.
    page.setDefaultTimeout(SCREENSHOT_TIMEOUT_MS);
    if (images) {
      await page.screenshot({ path: join(outDir, 'report.png'), fullPage: true });
      const ids = await page.$$eval('section[id]', (els) => els.map((e) => e.id));
      const used = new Set();
      for (const [i, id] of ids.entries()) {
        let name = id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80) || `section${i}`;
        while (used.has(name)) name += '_';
        used.add(name);
        const section = page.locator('section[id]').nth(i);
        if (await section.isVisible()) {
          await section.screenshot({ path: join(outDir, `section-${name}.png`) });
        }
      }
      await page.pdf({ path: join(outDir, 'report.pdf'), printBackground: true });
    }

    const dom = await page.evaluate(() => {
      const tables = {};
      const texts = {};
      const put = (map, key, value) => {
        let k = key;
        for (let n = 2; k in map; n++) k = `${key}#${n}`;
        map[k] = value;
      };
      for (const el of document.querySelectorAll('[data-check]')) {
        const key = el.getAttribute('data-check');
        if (el.tagName === 'TABLE') {
          const rows = [...el.rows].map((row) =>
            [...row.cells].map((cell) => cell.textContent.trim()));
          put(tables, key, rows);
        } else {
          put(texts, key, el.textContent.trim());
        }
      }
      // JSON-safe: a function or a cyclic object comes back as its String().
      const planted = window.__moebench_pwned;
      let pwned = null;
      if (planted !== undefined) {
        try {
          pwned = JSON.parse(JSON.stringify(planted) ?? 'null') ?? String(planted);
        } catch {
          pwned = String(planted);
        }
      }
      // How much each section shows: text, charts (canvas/svg) and table rows.
      const sections = {};
      for (const el of document.querySelectorAll('section[id]')) {
        sections[el.id] = {
          text_chars: el.textContent.trim().length,
          charts: el.querySelectorAll('canvas, svg').length,
          table_rows: el.querySelectorAll('tr').length,
        };
      }
      return { tables, texts, sections, pwned };
    });
    Object.assign(result, dom);
  }
} finally {
  await browser.close();
}

writeFileSync(join(outDir, 'check.json'), JSON.stringify(result, null, 2) + '\n');

const oneLine = (text) => {
  const line = String(text).replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
};
const problems = [
  ...result.console.filter((m) => m.type === 'error')
    .map((m) => `console error: ${m.text}${m.url ? ` (${m.url}:${m.line})` : ''}`),
  ...result.page_errors.map((e) => `page error: ${e.split('\n')[0]}`),
  ...result.requests.map((u) => `blocked request: ${u}`),
  ...result.dialogs.map((d) => `dialog (${d.type}): ${d.message}`),
  ...result.csp_violations.map((v) => `CSP violation: ${v.directive} blocked ${v.blocked || '(inline)'}` +
    (v.source ? ` at ${v.source}:${v.line}` : '')),
  ...(result.pwned !== null ? [`window.__moebench_pwned = ${JSON.stringify(result.pwned)}`] : []),
].map(oneLine);
for (const p of problems) console.error(`browser_check: ${p}`);
process.exit(problems.length ? 1 : 0);
