// moebench report: renders the report document embedded in #report-data
// (reports/REPORT_JSON.md) into the page. Every string of the document is data:
// it reaches the page through textContent, setAttribute with constant names, or
// Vega data values, never as markup, URL, style rule or expression.
(function () {
  'use strict';

  var TEXT_CAP = 2000;       // characters of a long string shown before "show all"
  var PAGE_SIZE = 50;        // documents per page in the samples section
  var CELL_CAP = 300;        // characters of a table cell or heading shown before "show all"
  var CHART_LABEL_CAP = 120; // characters of a string used as a chart label
  var FALLBACK_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948',
    '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
  var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

  var charts = [];

  // ---------------------------------------------------------------- helpers

  function isNum(v) { return typeof v === 'number' && isFinite(v); }
  function str(v) { return v === null || v === undefined ? '' : String(v); }
  function arr(v) { return Array.isArray(v) ? v : []; }
  function obj(v) { return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {}; }
  function f4(v) { return isNum(v) ? v.toFixed(4) : '—'; }
  function f2(v) { return isNum(v) ? v.toFixed(2) : '—'; }
  function signed4(v) { return isNum(v) ? (v >= 0 ? '+' : '') + v.toFixed(4) : '—'; }
  function pct(v) { return isNum(v) ? (100 * v).toFixed(1) + '%' : '—'; }
  function scoreText(value, ci) {
    if (!isNum(value)) return '—';
    return isNum(ci) ? value.toFixed(4) + ' ± ' + ci.toFixed(4) : value.toFixed(4);
  }
  function testText(t) {
    t = obj(t);
    if (!isNum(t.p)) return '—';
    return (t.test === 'mcnemar' ? 'McNemar' : 'bootstrap') + ' p=' + t.p.toFixed(4);
  }
  function chartLabel(s) {
    s = str(s);
    return s.length > CHART_LABEL_CAP ? s.slice(0, CHART_LABEL_CAP) + '…' : s;
  }
  function safeColour(c, fallback) {
    return typeof c === 'string' && /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(c) ? c : (fallback || '#888888');
  }
  function tint(hex, alpha) {
    hex = safeColour(hex);
    if (hex.length === 4) hex = '#' + hex[1] + hex[1] + hex[2] + hex[2] + hex[3] + hex[3];
    var r = parseInt(hex.slice(1, 3), 16), g = parseInt(hex.slice(3, 5), 16), b = parseInt(hex.slice(5, 7), 16);
    return 'rgba(' + r + ', ' + g + ', ' + b + ', ' + alpha + ')';
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      parent.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    }
    return parent;
  }
  function note(text) { return el('p', 'note', text); }

  // A string that may be very long: the first TEXT_CAP characters, and a button
  // that shows (and hides again) the rest.
  function longText(s, tag, cls, cap) {
    s = str(s);
    var CAP = cap || TEXT_CAP;
    var box = el(tag || 'span', 'long' + (cls ? ' ' + cls : ''));
    if (s.length <= CAP) {
      box.textContent = s;
      return box;
    }
    var body = el('span', null, s.slice(0, CAP) + '…');
    var button = el('button', 'show-all', 'show all (' + s.length.toLocaleString('en-US') + ' characters)');
    button.setAttribute('type', 'button');
    var full = false;
    button.addEventListener('click', function () {
      full = !full;
      body.textContent = full ? s : s.slice(0, CAP) + '…';
      button.textContent = full ? 'show less' : 'show all (' + s.length.toLocaleString('en-US') + ' characters)';
    });
    return add(box, body, button);
  }

  // Model names are paths ("org/model-7b"): let a narrow column wrap after a
  // slash, not inside a word (<wbr> adds no text to the cell).
  function breakAfterSlashes(node) {
    var walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    var texts = [];
    while (walker.nextNode()) texts.push(walker.currentNode);
    texts.forEach(function (t) {
      var parts = t.nodeValue.split('/');
      if (parts.length < 2) return;
      var frag = document.createDocumentFragment();
      parts.forEach(function (p, i) {
        frag.appendChild(document.createTextNode(i < parts.length - 1 ? p + '/' : p));
        if (i < parts.length - 1) frag.appendChild(document.createElement('wbr'));
      });
      t.parentNode.replaceChild(frag, t);
    });
  }

  function chip(colour) {
    var c = el('span', 'chip');
    c.style.backgroundColor = safeColour(colour);
    c.setAttribute('aria-hidden', 'true');
    return c;
  }

  function table(cls) {
    var t = el('table', cls || null);
    t.appendChild(el('thead'));
    t.appendChild(el('tbody'));
    return t;
  }
  function headRow(t, cells) {
    var tr = el('tr');
    cells.forEach(function (c) {
      var th = el('th');
      th.setAttribute('scope', 'col');
      if (typeof c === 'object' && c !== null && c.nodeType) th.appendChild(c);
      else if (typeof c === 'object' && c !== null) { cellText(th, c.text); if (c.cls) th.className = c.cls; }
      else cellText(th, c);
      tr.appendChild(th);
    });
    t.tHead.appendChild(tr);
    return tr;
  }
  // A cell's text; a very long one gets the "show all" toggle.
  function labelSpan(text) {
    var span = el('span', 'label');
    cellText(span, text);
    return span;
  }
  function cellText(cell, text) {
    text = str(text);
    if (text.length > CELL_CAP) cell.appendChild(longText(text, 'span', null, CELL_CAP)); else cell.textContent = text;
  }
  // cells: string | {text, cls, title, node}
  function bodyRow(t, cells) {
    var tr = el('tr');
    cells.forEach(function (c) {
      var td = el('td');
      if (c !== null && typeof c === 'object' && !c.nodeType) {
        if (c.node) td.appendChild(c.node); else cellText(td, c.text);
        if (c.cls) td.className = c.cls;
        if (c.title) td.setAttribute('title', c.title);
      } else if (c !== null && typeof c === 'object') {
        td.appendChild(c);
      } else {
        cellText(td, c);
      }
      tr.appendChild(td);
    });
    t.tBodies[0].appendChild(tr);
    return tr;
  }
  function wrapTable(t) { return add(el('div', 'table-wrap'), t); }

  function select(options, onChange, label) {
    var wrap = el('label', 'picker');
    add(wrap, el('span', null, label));
    var s = el('select');
    options.forEach(function (o, i) {
      var opt = el('option', null, chartLabel(o.text));
      opt.value = String(i);
      s.appendChild(opt);
    });
    s.addEventListener('change', function () { onChange(options[Number(s.value)].value); });
    wrap.appendChild(s);
    return wrap;
  }

  // ---------------------------------------------------------------- charts

  function vegaConfig() {
    return {
      font: FONT,
      view: { stroke: '#d9d9d9' },
      axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 600, labelLimit: 160, gridColor: '#eeeeee' },
      legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 220, orient: 'right', symbolOpacity: 1 },
      header: { labelFontSize: 12, labelFontWeight: 600, titleFontSize: 12, labelLimit: 220 },
      title: { fontSize: 12, fontWeight: 600, anchor: 'start', limit: 600 },
      background: null
    };
  }

  // Draws a Vega-Lite spec into a new element; failures are logged, never thrown.
  function chart(spec, cls) {
    var box = el('div', 'chart' + (cls ? ' ' + cls : ''));
    spec.$schema = 'https://vega.github.io/schema/vega-lite/v6.json';
    spec.config = vegaConfig();
    if (typeof window.vegaEmbed !== 'function') {
      box.appendChild(note('Charts are unavailable: the chart library did not load.'));
      charts.push(Promise.reject(new Error('vegaEmbed is missing')).catch(function (e) {
        console.error('moebench report: ' + e.message);
      }));
      return box;
    }
    // The CSP-safe expression interpreter: the page's vega-interpreter script sets
    // vega.expressionInterpreter (vega-embed also carries a copy of its own).
    var interp = (window.vega && window.vega.expressionInterpreter) ||
      (window.vegaInterpreter && window.vegaInterpreter.expressionInterpreter);
    var opts = { actions: false, ast: true, renderer: 'svg', tooltip: false, defaultStyle: false, logLevel: 1 };
    if (interp) opts.expr = interp;
    var p;
    try {
      p = window.vegaEmbed(box, spec, opts);
    } catch (e) {
      p = Promise.reject(e);
    }
    charts.push(Promise.resolve(p).catch(function (e) {
      console.error('moebench report: a chart failed: ' + (e && e.message ? e.message : String(e)));
      box.appendChild(note('This chart could not be drawn.'));
    }));
    return box;
  }

  function uniq(list) {
    var seen = new Set(), out = [];
    list.forEach(function (v) { if (!seen.has(v)) { seen.add(v); out.push(v); } });
    return out;
  }

  // A colour scale whose domain and range come from (name, colour) pairs.
  function colourScale(pairs) {
    var seen = new Set(), domain = [], range = [];
    pairs.forEach(function (p) {
      if (seen.has(p[0])) return;
      seen.add(p[0]);
      domain.push(p[0]);
      range.push(safeColour(p[1], FALLBACK_COLOURS[domain.length % FALLBACK_COLOURS.length]));
    });
    return { domain: domain, range: range };
  }

  // ---------------------------------------------------------------- the document

  var D;
  try {
    D = JSON.parse(document.getElementById('report-data').textContent);
  } catch (e) {
    console.error('moebench report: the embedded report data could not be read: ' + e.message);
    document.body.appendChild(el('p', 'note', 'The embedded report data could not be read.'));
    document.body.dataset.rendered = '1';
    return;
  }
  D = obj(D);

  var models = arr(D.models).map(obj);
  var modelByName = new Map();
  models.forEach(function (m) { if (!modelByName.has(str(m.name))) modelByName.set(str(m.name), m); });
  var expertColour = new Map();
  arr(D.experts).map(obj).forEach(function (e, i) {
    if (!expertColour.has(str(e.label))) {
      expertColour.set(str(e.label), safeColour(e.colour, FALLBACK_COLOURS[i % FALLBACK_COLOURS.length]));
    }
  });
  function colourOfExpert(label) { return expertColour.get(str(label)) || '#888888'; }
  function colourOfModel(name, i) {
    var m = modelByName.get(str(name));
    if (m && m.colour) return safeColour(m.colour);
    if (m && m.role === 'expert' && expertColour.has(str(m.label))) return colourOfExpert(m.label);
    return FALLBACK_COLOURS[(i || 0) % FALLBACK_COLOURS.length];
  }

  // A merge's expert labels by index.
  var MAX_EXPERTS = 1024;
  function okIndex(i) { return isNum(i) && i >= 0 && i < MAX_EXPERTS && Math.floor(i) === i; }
  function expertLabels(merge, n) {
    var labels = [];
    if (!okIndex(n)) n = 0;
    var m = modelByName.get(str(merge));
    arr(m && m.expert_models).map(obj).forEach(function (e, i) {
      var k = okIndex(e.index) ? e.index : i;
      if (k < MAX_EXPERTS) labels[k] = str(e.label);
    });
    arr(D.gates).map(obj).forEach(function (g) {
      if (str(g.merge) !== str(merge)) return;
      arr(g.experts).map(obj).forEach(function (e, i) {
        var k = okIndex(e.index) ? e.index : i;
        if (k < MAX_EXPERTS && labels[k] === undefined) labels[k] = str(e.label);
      });
    });
    for (var i = 0; i < Math.max(n || 0, labels.length); i++) if (labels[i] === undefined) labels[i] = 'expert ' + i;
    return labels;
  }
  function expertLabel(labels, index) {
    return isNum(index) && labels[index] !== undefined ? labels[index] : 'expert ' + str(index);
  }
  function expertTag(labels, index, extra) {
    var label = expertLabel(labels, index);
    var span = el('span', 'expert-tag');
    add(span, chip(colourOfExpert(label)), labelSpan(label));
    if (extra) add(span, el('span', 'muted', extra));
    return span;
  }

  var root = el('div', 'report');
  document.body.appendChild(root);

  // ---------------------------------------------------------------- header

  var run = obj(D.run);
  var header = el('header', 'page-header');
  add(header, el('h1', null, 'moebench report'));
  var runLine = el('p', 'run-key');
  add(runLine, el('span', 'muted', 'run '), longText(run.run_key, 'span', 'mono', CELL_CAP));
  header.appendChild(runLine);
  var facts = el('dl', 'facts');
  function fact(name, value) {
    if (value === null || value === undefined || value === '') return;
    add(facts, el('dt', null, name), add(el('dd'), longText(value, 'span', null, CELL_CAP)));
  }
  fact('Status', run.status);
  fact('Started', run.started_at);
  fact('Finished', run.finished_at);
  fact('Device / dtype', [str(run.device), str(run.dtype)].filter(Boolean).join(' / '));
  fact('Revision', run.git_revision);
  fact('Host', run.host);
  fact('Plan', run.plan);
  fact('Plan hash', run.plan_hash);
  fact('Database', D.database);
  if (D.baseline) fact('Baseline run', obj(D.baseline).run_key);
  fact('Generated', D.generated_at);
  header.appendChild(facts);
  root.appendChild(header);

  var SECTIONS = [
    ['verdict', 'Verdict: does the merge beat its experts?'],
    ['routing', 'Routing'],
    ['routing-correctness', 'Routing and correctness'],
    ['gates', 'Gates'],
    ['token-view', 'Token view'],
    ['ablations', 'Ablations'],
    ['history', 'History'],
    ['samples', 'Samples']
  ];
  var toc = el('nav', 'toc');
  toc.setAttribute('aria-label', 'Contents');
  var tocList = el('ol');
  SECTIONS.forEach(function (s) {
    var a = el('a', null, s[1]);
    a.setAttribute('href', '#' + s[0]);
    add(tocList, add(el('li'), a));
  });
  toc.appendChild(tocList);
  root.appendChild(toc);

  var main = el('main');
  root.appendChild(main);
  function section(id, title) {
    var s = el('section');
    s.setAttribute('id', id);
    add(s, el('h2', null, title));
    main.appendChild(s);
    return s;
  }
  function guarded(id, title, build) {
    var s = section(id, title);
    try {
      build(s);
    } catch (e) {
      console.error('moebench report: section ' + id + ' failed: ' + (e && e.stack ? e.stack : e));
      s.appendChild(note('This section could not be drawn.'));
    }
  }

  // ---------------------------------------------------------------- 1. verdict

  function scoreChart(rowsData, title) {
    // rowsData: [{suite, model, value, ci}] ; colours by model
    var values = [];
    var pairs = [];
    rowsData.forEach(function (r, i) {
      pairs.push([r.model, r.colour || colourOfModel(r.model, i)]);
      if (!isNum(r.value)) return;
      var ci = isNum(r.ci) ? r.ci : 0;
      values.push({ suite: r.suite, model: r.model, value: r.value, lo: r.value - ci, hi: r.value + ci, order: r.order, sorder: r.sorder });
    });
    if (!values.length) return null;
    var scale = colourScale(pairs);
    var suiteCount = uniq(values.map(function (v) { return v.suite; })).length;
    var modelCount = scale.domain.length;
    var width = Math.max(90, Math.min(220, 26 * modelCount));
    var spec = {
      data: { values: values },
      facet: { column: { field: 'suite', type: 'nominal', title: null, sort: { field: 'sorder', op: 'min' },
        header: { labelLimit: width + 40 } } },
      columns: Math.max(1, Math.min(suiteCount, Math.floor(1000 / (width + 60)))),
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: width, height: 180,
        layer: [
          { mark: { type: 'rule', strokeWidth: 2 },
            encoding: {
              x: { field: 'model', type: 'nominal', sort: { field: 'order', op: 'min' }, axis: null },
              y: { field: 'lo', type: 'quantitative', title: 'score ± 95% CI', scale: { zero: false } },
              y2: { field: 'hi' },
              color: { field: 'model', type: 'nominal', scale: scale, title: 'model' }
            } },
          { mark: { type: 'point', filled: true, size: 70 },
            encoding: {
              x: { field: 'model', type: 'nominal', sort: { field: 'order', op: 'min' }, axis: null },
              y: { field: 'value', type: 'quantitative' },
              color: { field: 'model', type: 'nominal', scale: scale, title: 'model',
                legend: { orient: 'bottom', direction: 'horizontal', columns: 3, symbolType: 'circle' } },
              tooltip: [{ field: 'model', type: 'nominal' }, { field: 'value', type: 'quantitative', format: '.4f' },
                { field: 'lo', type: 'quantitative', format: '.4f', title: 'low' }, { field: 'hi', type: 'quantitative', format: '.4f', title: 'high' }]
            } }
        ]
      }
    };
    if (title) spec.title = title;
    return chart(spec);
  }

  guarded('verdict', 'Verdict: does the merge beat its experts?', function (s) {
    var verdicts = arr(D.verdict).map(obj);
    if (!verdicts.length) {
      s.appendChild(note('No merged model with its experts evaluated is in this run, so there is no verdict.'));
      return;
    }
    verdicts.forEach(function (v) {
      var merge = str(v.merge);
      var block = el('div', 'merge-block');
      add(block, add(el('h3'), longText(merge, 'span', null, CELL_CAP)));
      var suites = isNum(v.suites) ? v.suites : 0;
      var beats = isNum(v.beats) ? v.beats : 0;
      var sig = isNum(v.significant) ? v.significant : 0;
      var worse = isNum(v.significantly_worse) ? v.significantly_worse : 0;
      var tone = suites === 0 ? 'neutral' : worse > 0 ? 'bad' : (beats * 2 > suites ? (sig > 0 ? 'good' : 'mixed') : (beats === 0 ? 'bad' : 'mixed'));
      var head = el('div', 'verdict-head ' + tone);
      var badgeText = suites === 0 ? 'no suite with an expert to compare'
        : 'beats best expert on ' + beats + '/' + suites + ' suites, significantly on ' + sig +
          (worse > 0 ? '; significantly worse on ' + worse : '');
      add(head, el('span', 'badge ' + tone, badgeText));
      add(head, add(el('p', 'sentence'), longText(v.sentence, 'span', null, 2 * CELL_CAP)));
      block.appendChild(head);

      var rows = arr(v.rows).map(obj);
      if (!rows.length) {
        block.appendChild(note('No suite has scores for this merge and its experts.'));
        s.appendChild(block);
        return;
      }
      var cols = arr(obj(rows[0]).scores).map(obj);
      var t = table('verdict-table numbers');
      t.setAttribute('data-check', 'verdict-' + merge);
      var headers = [{ text: 'Suite' }, { text: 'Metric' }];
      cols.forEach(function (c) {
        var th = document.createDocumentFragment();
        var name = el('span', 'model-name');
        cellText(name, c.model);
        breakAfterSlashes(name);
        th.appendChild(name);
        th.appendChild(el('small', 'role role-' + (['merge', 'base', 'expert'].indexOf(c.role) >= 0 ? c.role : 'model'), str(c.role)));
        headers.push(th);
      });
      headers.push({ text: 'Δ vs best expert', cls: 'num' }, { text: 'Paired test', cls: 'num' });
      var tr = headRow(t, []);
      headers.forEach(function (h) {
        var th = el('th');
        th.setAttribute('scope', 'col');
        if (h.nodeType) { th.appendChild(h); th.className = 'num model-col'; }
        else { th.textContent = h.text; if (h.cls) th.className = h.cls; }
        tr.appendChild(th);
      });

      var chartRows = [];
      rows.forEach(function (r, ri) {
        var test = r.test ? obj(r.test) : null;
        var significant = !!(test && test.significant);
        var cells = [{ text: r.suite, cls: 'text' }, { text: r.metric, cls: 'text mono' }];
        arr(r.scores).map(obj).forEach(function (sc, si) {
          var cls = 'num';
          if (sc.role === 'merge') cls += ' merge-cell' + (r.better === true ? ' better' : r.better === false ? ' worse' : '');
          if (sc.role === 'expert' && r.best_expert !== null && r.best_expert !== undefined && str(sc.label) === str(r.best_expert)) cls += ' best-expert';
          cells.push({ text: scoreText(sc.value, sc.ci), cls: cls,
            title: str(sc.model) + (isNum(sc.n) ? ' — n=' + sc.n : '') + (isNum(sc.stderr) ? ', stderr ' + sc.stderr.toFixed(4) : '') });
          chartRows.push({ suite: chartLabel(r.suite), model: chartLabel(sc.model), value: sc.value, ci: sc.ci,
            colour: sc.role === 'expert' && sc.label ? colourOfExpert(sc.label) : colourOfModel(sc.model, si), order: si, sorder: ri });
        });
        var dcls = 'num delta' + (r.better === true ? ' better' : r.better === false ? ' worse' : '') + (significant ? ' significant' : '');
        cells.push({ text: signed4(r.diff), cls: dcls,
          title: r.better === true ? 'the merge is better than its best expert' : r.better === false ? 'the merge is not better than its best expert' : '' });
        var ttitle = '';
        if (test) {
          ttitle = 'paired on ' + str(test.n) + ' documents; difference ' + f4(test.diff) + ' [' + f4(test.ci_low) + ', ' + f4(test.ci_high) + ']';
          if (isNum(test.a_only)) ttitle += '; merge only right ' + test.a_only + ', expert only right ' + str(test.b_only);
          ttitle += significant ? '; significant (p < 0.05)' : '; not significant';
        }
        cells.push({ text: testText(test), cls: 'num test' + (significant ? ' significant' : ''), title: ttitle });
        bodyRow(t, cells);
      });
      block.appendChild(wrapTable(t));
      var legend = el('p', 'table-legend');
      add(legend, el('span', 'key merge-key', 'merge'), ' ', el('span', 'key best-key', 'best expert'), ' ',
        el('span', 'key sig-key', 'significant (p < 0.05)'),
        ' Scores are value ± half-width of the 95% interval; Δ is merge − best expert on the metric’s own scale.');
      block.appendChild(legend);
      var c = scoreChart(chartRows, null);
      if (c) block.appendChild(c);
      s.appendChild(block);
    });
  });

  // ---------------------------------------------------------------- 2. routing

  function expertScale(labels) {
    return colourScale(labels.map(function (l) { return [chartLabel(l), colourOfExpert(l)]; }));
  }

  // Heatmap: x expert, y layer, cells in the expert's colour with opacity = share.
  function shareHeatmap(values, labels, facetField, title) {
    var scale = expertScale(labels);
    var inner = {
      width: Math.max(150, 80 * labels.length), height: Math.max(50, 30 * uniq(values.map(function (v) { return v.layer; })).length),
      layer: [
        { mark: { type: 'rect', stroke: '#ffffff', strokeWidth: 1 },
          encoding: {
            x: { field: 'expert', type: 'nominal', scale: { domain: scale.domain }, title: 'expert', axis: { labelAngle: -30, labelLimit: 120 } },
            y: { field: 'layer', type: 'ordinal', title: 'layer' },
            color: { field: 'expert', type: 'nominal', scale: scale, legend: null },
            opacity: { field: 'share', type: 'quantitative', scale: { domain: [0, 1], range: [0.06, 0.9] }, legend: null },
            tooltip: [{ field: 'expert', type: 'nominal' }, { field: 'layer', type: 'ordinal' }, { field: 'share', type: 'quantitative', format: '.3f' }]
          } },
        { mark: { type: 'text', fontSize: 11, color: '#111111' },
          encoding: {
            x: { field: 'expert', type: 'nominal', scale: { domain: scale.domain } },
            y: { field: 'layer', type: 'ordinal' },
            text: { field: 'share', type: 'quantitative', format: '.2f' }
          } }
      ]
    };
    var spec;
    if (facetField) {
      spec = { data: { values: values }, facet: { column: { field: facetField, type: 'nominal', title: null, sort: { field: 'forder', op: 'min' } } }, spec: inner };
    } else {
      spec = inner;
      spec.data = { values: values };
    }
    if (title) spec.title = title;
    return chart(spec);
  }

  function layerMetricsChart(layers) {
    var values = [];
    layers.forEach(function (L) {
      var layer = str(L.layer);
      if (isNum(L.agreement)) values.push({ layer: layer, metric: 'agreement (tick: chance)', morder: 0, value: L.agreement, ref: isNum(L.chance) ? L.chance : null });
      if (isNum(L.same_first_rate)) values.push({ layer: layer, metric: 'same first (tick: uniform)', morder: 1, value: L.same_first_rate, ref: isNum(L.uniform_same_first) ? L.uniform_same_first : null });
      if (isNum(L.same_topk_rate)) values.push({ layer: layer, metric: 'same top-k (tick: uniform)', morder: 2, value: L.same_topk_rate, ref: isNum(L.uniform_same_topk) ? L.uniform_same_topk : null });
      if (isNum(L.entropy_bits)) values.push({ layer: layer, metric: 'entropy, bits (tick: max)', morder: 3, value: L.entropy_bits, ref: isNum(L.max_entropy_bits) ? L.max_entropy_bits : null });
      if (isNum(L.busiest_share)) values.push({ layer: layer, metric: 'busiest share (tick: chance)', morder: 4, value: L.busiest_share, ref: isNum(L.chance) ? L.chance : null });
    });
    if (!values.length) return null;
    var refs = values.filter(function (v) { return v.ref !== null; });
    var layer = [
      { mark: { type: 'bar', color: '#7f8fa6', width: { band: 0.6 } },
        encoding: {
          x: { field: 'layer', type: 'ordinal', title: 'layer', axis: { labelAngle: 0 } },
          y: { field: 'value', type: 'quantitative', title: null },
          tooltip: [{ field: 'layer', type: 'ordinal' }, { field: 'value', type: 'quantitative', format: '.3f' }, { field: 'ref', type: 'quantitative', format: '.3f', title: 'reference' }]
        } }
    ];
    if (refs.length) {
      layer.push({ mark: { type: 'tick', color: '#c0392b', thickness: 2, size: 30 },
        encoding: { x: { field: 'layer', type: 'ordinal' }, y: { field: 'ref', type: 'quantitative' } } });
    }
    return chart({
      data: { values: values },
      facet: { column: { field: 'metric', type: 'nominal', title: null, sort: { field: 'morder', op: 'min' }, header: { labelLimit: 170, labelFontSize: 11 } } },
      resolve: { scale: { y: 'independent' } },
      spec: { width: Math.max(130, 34 * layers.length), height: 110, layer: layer }
    });
  }

  guarded('routing', 'Routing', function (s) {
    var routing = arr(D.routing).map(obj);
    if (!routing.length) {
      s.appendChild(note('No routing was logged in this run (no merged model was evaluated with routing logging).'));
      return;
    }
    routing.forEach(function (r) {
      var merge = str(r.merge);
      var block = el('div', 'merge-block');
      add(block, add(el('h3'), longText(merge, 'span', null, CELL_CAP)));
      var labels = expertLabels(merge, r.num_experts);
      var legend = el('p', 'expert-legend');
      labels.forEach(function (l, i) { add(legend, expertTag(labels, i)); });
      add(legend, el('span', 'muted', (isNum(r.num_experts) ? r.num_experts + ' experts' : '') + (isNum(r.top_k) ? ', top-' + r.top_k + ' routing' : '')));
      block.appendChild(legend);
      var suites = arr(r.suites).map(obj);
      if (!suites.length) block.appendChild(note('No suite of this merge has routing statistics.'));
      suites.forEach(function (su) {
        var sub = el('div', 'suite-block');
        var h = el('h4');
        add(h, longText(su.suite, 'span', null, CELL_CAP));
        if (su.expected_label !== null && su.expected_label !== undefined && su.expected_label !== '') {
          add(h, el('span', 'muted', ' — expected expert '), expertTag(labels, su.expected_index, null));
        } else {
          add(h, el('span', 'muted', ' — no expected expert'));
        }
        sub.appendChild(h);
        var layers = arr(su.layers).map(obj);
        if (!layers.length) { sub.appendChild(note('No routed tokens for this suite.')); block.appendChild(sub); return; }
        var row = el('div', 'chart-row');
        var heat = [];
        layers.forEach(function (L) {
          arr(L.first_choice_share).forEach(function (v, i) {
            if (isNum(v)) heat.push({ layer: str(L.layer), expert: chartLabel(expertLabel(labels, i)), share: v });
          });
        });
        if (heat.length) add(row, shareHeatmap(heat, labels, null, 'first-choice share by layer'));
        var phases = obj(su.phases);
        // A phase with no token is no phase (the document may list it with zero shares).
        var hasTokens = function (ph) { ph = obj(ph); return ph.tokens !== 0 && arr(ph.first_choice_share).length > 0; };
        var pf = hasTokens(phases.prefill) ? obj(phases.prefill) : null, dc = hasTokens(phases.decode) ? obj(phases.decode) : null;
        if (pf && dc) {
          var pv = [];
          [['prefill', pf, 0], ['decode', dc, 1]].forEach(function (ph) {
            var name = ph[0] + (isNum(ph[1].tokens) ? ' (' + ph[1].tokens + ' tokens)' : '');
            arr(ph[1].first_choice_share).forEach(function (byExpert, li) {
              arr(byExpert).forEach(function (v, i) {
                if (isNum(v)) pv.push({ phase: name, forder: ph[2], layer: str(layers[li] && isNum(layers[li].layer) ? layers[li].layer : li), expert: chartLabel(expertLabel(labels, i)), share: v });
              });
            });
          });
          if (pv.length) add(row, shareHeatmap(pv, labels, 'phase', 'first-choice share: prompt (prefill) vs generated (decode) tokens'));
        }
        sub.appendChild(row);
        var lm = layerMetricsChart(layers);
        if (lm) sub.appendChild(lm);
        var t = table('numbers compact');
        headRow(t, ['Layer', { text: 'Tokens', cls: 'num' }, { text: 'Agreement', cls: 'num' }, { text: 'Chance', cls: 'num' },
          { text: 'Same first', cls: 'num' }, { text: 'Uniform', cls: 'num' }, { text: 'Same top-k', cls: 'num' }, { text: 'Uniform', cls: 'num' },
          { text: 'Entropy (bits)', cls: 'num' }, { text: 'Max', cls: 'num' }, { text: 'Busiest share', cls: 'num' }]);
        layers.forEach(function (L) {
          bodyRow(t, [str(L.layer), { text: isNum(L.tokens) ? L.tokens.toLocaleString('en-US') : '—', cls: 'num' },
            { text: f4(L.agreement), cls: 'num' }, { text: f4(L.chance), cls: 'num' },
            { text: f4(L.same_first_rate), cls: 'num' }, { text: f4(L.uniform_same_first), cls: 'num' },
            { text: f4(L.same_topk_rate), cls: 'num' }, { text: f4(L.uniform_same_topk), cls: 'num' },
            { text: f4(L.entropy_bits), cls: 'num' }, { text: f4(L.max_entropy_bits), cls: 'num' }, { text: f4(L.busiest_share), cls: 'num' }]);
        });
        sub.appendChild(wrapTable(t));
        if (!(pf && dc)) sub.appendChild(note(pf || dc ? 'Only one phase (prompt or generated tokens) was token-logged, so there is no prefill/decode comparison.' : 'No token-level routing was logged for this suite, so there is no prefill/decode comparison (run with --routing tokens).'));
        block.appendChild(sub);
      });
      s.appendChild(block);
    });
  });

  // ---------------------------------------------------------------- 3. routing vs correctness

  guarded('routing-correctness', 'Routing and correctness', function (s) {
    var rc = arr(D.routing_correctness).map(obj);
    var any = rc.some(function (r) { return arr(r.suites).length > 0; });
    if (!any) {
      s.appendChild(note('No token-level routing was logged in this run (run with --routing tokens).'));
      return;
    }
    rc.forEach(function (r) {
      var merge = str(r.merge);
      var block = el('div', 'merge-block');
      add(block, add(el('h3'), longText(merge, 'span', null, CELL_CAP)));
      var suites = arr(r.suites).map(obj);
      var labels = expertLabels(merge);
      suites.forEach(function (su) {
        var sub = el('div', 'suite-block');
        add(sub, add(el('h4'), longText(su.suite, 'span', null, CELL_CAP)));
        var g = obj(su.oracle_gap);
        var docs = arr(su.documents).map(obj);
        var maxIndex = -1;
        docs.forEach(function (d) { maxIndex = Math.max(maxIndex, arr(d.share).length - 1); });
        if (labels.length <= maxIndex) labels = expertLabels(merge, Math.min(maxIndex + 1, MAX_EXPERTS));
        var cnt = function (v) { return isNum(v) ? String(v) : '—'; };
        var sentence = isNum(g.documents) && g.documents > 0
          ? 'Oracle gap: the merge was wrong while some expert was right on ' + cnt(g.merge_wrong_expert_right) + ' of the ' + g.documents +
            ' documents scored by the merge and every expert (' + pct(g.rate) + ').'
          : 'No document of this suite was scored by the merge and every expert, so there is no oracle gap.';
        if (isNum(su.logged_documents) && su.logged_documents > 0) {
          sentence += ' Of the ' + su.logged_documents + ' token-logged documents, some expert was right on ' + cnt(g.some_expert_right) +
            ' and the router favoured a right one on ' + cnt(g.router_favoured_right_expert) + ' of them (' + pct(g.router_favoured_right_rate) + ')' +
            (isNum(g.logged_gap_documents)
              ? '; on the ' + g.logged_gap_documents + ' token-logged documents of the gap it favoured a right expert on ' + cnt(g.favoured_right_in_gap) + '.'
              : '; in the gap it favoured a right expert on ' + cnt(g.favoured_right_in_gap) + '.');
        } else {
          sentence += ' No document of this suite was token-logged, so the router’s choices cannot be set against who was right.';
        }
        sub.appendChild(el('p', 'lead', sentence));
        var top = el('div', 'chart-row');
        sub.appendChild(top);
        var t = table('numbers compact kv');
        t.setAttribute('data-check', 'oracle-' + merge + '-' + str(su.suite));
        headRow(t, ['Measure', { text: 'Value', cls: 'num' }]);
        [['Documents in the suite', cnt(su.documents_in_suite)],
          ['Scored by the merge and every expert', cnt(g.documents)], ['Merge wrong, some expert right', cnt(g.merge_wrong_expert_right)],
          ['Oracle gap rate', f4(g.rate)], ['Token-logged documents', cnt(su.logged_documents)], ['Token-logged: some expert right', cnt(g.some_expert_right)],
          ['Token-logged: router favoured a right expert', cnt(g.router_favoured_right_expert)], ['Token-logged: router favoured a right expert, rate', f4(g.router_favoured_right_rate)],
          ['Token-logged documents in the gap', cnt(g.logged_gap_documents)],
          ['Token-logged: router favoured a right expert, in the gap', cnt(g.favoured_right_in_gap)]
        ].forEach(function (kv) { bodyRow(t, [kv[0], { text: kv[1], cls: 'num' }]); });
        top.appendChild(wrapTable(t));

        if (!docs.length) {
          sub.appendChild(note('No token-logged documents for this suite.'));
          block.appendChild(sub);
          return;
        }
        var cols = arr(su.models).map(str);
        var dt = table('numbers compact docs');
        headRow(dt, ['Task', { text: 'Doc', cls: 'num' }, 'Favoured expert', 'Favoured by layer'].concat(cols.map(function (m) {
          return { text: m, cls: 'center model-col' };
        })));
        var chartValues = [];
        var mergeName = merge;
        var oneTask = uniq(docs.map(function (d) { return str(d.task); })).length === 1;
        docs.forEach(function (d, di) {
          var byLayer = el('span', 'by-layer');
          arr(d.favoured_by_layer).forEach(function (ix, li) {
            var tag = expertTag(labels, ix, null);
            tag.setAttribute('title', 'layer ' + li + ': ' + expertLabel(labels, ix));
            add(byLayer, add(el('span', 'layer-fav'), el('span', 'muted', 'L' + li + ' '), tag));
          });
          var cells = [{ text: d.task, cls: 'text' }, { text: str(d.doc_id), cls: 'num' },
            { node: expertTag(labels, d.favoured, isNum(d.favoured_share) ? '\u00a0' + f2(d.favoured_share) : ''), cls: 'fav' }, { node: byLayer, cls: 'fav' }];
          var correct = obj(d.correct);
          cols.forEach(function (m) {
            var has = Object.prototype.hasOwnProperty.call(correct, m);
            var v = has ? correct[m] : null;
            cells.push({ text: v === true ? '✓' : v === false ? '✗' : '—', cls: 'center ' + (v === true ? 'ok' : v === false ? 'bad' : 'muted'),
              title: m + (v === true ? ': right' : v === false ? ': wrong' : ': not scored') });
          });
          bodyRow(dt, cells);
          var mc = Object.prototype.hasOwnProperty.call(correct, mergeName) ? correct[mergeName] : null;
          var group = mc === true ? 'merge right' : mc === false ? 'merge wrong' : 'merge not scored';
          var docName = chartLabel((oneTask ? '' : str(d.task) + ' ') + '#' + str(d.doc_id));
          arr(d.share).forEach(function (v, i) {
            if (isNum(v)) chartValues.push({ doc: docName, dorder: di, group: group, gorder: mc === true ? 0 : mc === false ? 1 : 2,
              expert: chartLabel(expertLabel(labels, i)), eorder: i, share: v });
          });
        });
        if (chartValues.length) {
          var scale = expertScale(labels);
          var ndocs = docs.length;
          top.appendChild(chart({
            title: 'weight share by expert, per document, by whether the merge was right',
            data: { values: chartValues },
            facet: { column: { field: 'group', type: 'nominal', title: null, sort: { field: 'gorder', op: 'min' } } },
            resolve: { scale: { x: 'independent' } },
            spec: {
              width: Math.max(80, Math.min(500, 16 * ndocs / 2)), height: 160,
              mark: { type: 'bar' },
              encoding: {
                x: { field: 'doc', type: 'nominal', title: oneTask ? 'document (' + chartLabel(docs[0].task) + ')' : 'document', sort: { field: 'dorder', op: 'min' }, axis: { labelAngle: -45, labelLimit: 100 } },
                y: { field: 'share', type: 'quantitative', title: 'weight share', stack: 'zero', scale: { domain: [0, 1] } },
                color: { field: 'expert', type: 'nominal', scale: scale, title: 'expert', legend: { orient: 'bottom', direction: 'horizontal' } },
                order: { field: 'eorder', type: 'quantitative' },
                tooltip: [{ field: 'doc', type: 'nominal' }, { field: 'expert', type: 'nominal' }, { field: 'share', type: 'quantitative', format: '.3f' }]
              }
            }
          }));
        }
        sub.appendChild(wrapTable(dt));
        block.appendChild(sub);
      });
      s.appendChild(block);
    });
  });

  // ---------------------------------------------------------------- 4. gates

  function promptList(title, prompts) {
    prompts = arr(prompts);
    var box = el('div', 'prompts');
    add(box, el('span', 'muted', title + ' (' + prompts.length + ')'));
    if (!prompts.length) return box;
    var ul = el('ul');
    prompts.forEach(function (p) { add(ul, add(el('li'), longText(p, 'span', 'pre', 400))); });
    return add(box, ul);
  }

  guarded('gates', 'Gates', function (s) {
    var gates = arr(D.gates).map(obj);
    if (!gates.length) {
      s.appendChild(note('No merged model is in this run, so there are no gates to show.'));
      return;
    }
    gates.forEach(function (g) {
      var merge = str(g.merge);
      var block = el('div', 'merge-block');
      add(block, add(el('h3'), longText(merge, 'span', null, CELL_CAP)));
      var facts2 = el('dl', 'facts');
      add(facts2, el('dt', null, 'Gate mode'), add(el('dd'), longText(g.gate_mode, 'span', null, CELL_CAP)),
        el('dt', null, 'Prompt-set hash'), add(el('dd', 'mono'), longText(g.prompt_set_hash, 'span', null, CELL_CAP)));
      block.appendChild(facts2);
      var experts = arr(g.experts).map(obj);
      var labels = expertLabels(merge, experts.length);
      experts.forEach(function (e, i) { var k = okIndex(e.index) ? e.index : i; if (k < MAX_EXPERTS) labels[k] = str(e.label); });
      var grid = el('div', 'expert-grid');
      experts.forEach(function (e, i) {
        var card = el('div', 'expert-card');
        card.style.borderTopColor = colourOfExpert(e.label);
        var k = okIndex(e.index) ? e.index : i;
        add(card, add(el('div', 'expert-title'), expertTag(labels, k, null), el('span', 'muted', ' #' + k)));
        add(card, promptList('positive prompts', e.positive_prompts), promptList('negative prompts', e.negative_prompts));
        grid.appendChild(card);
      });
      if (experts.length) block.appendChild(grid);
      var layers = arr(g.layers).map(obj);
      if (!layers.length) {
        block.appendChild(note('The database has no gate statistics for this merge (condition numbers and prompt similarities are recorded when the merge is built).'));
        s.appendChild(block);
        return;
      }
      var row = el('div', 'chart-row');
      var cn = layers.filter(function (L) { return isNum(L.condition_number); })
        .map(function (L) { return { layer: str(L.layer), value: L.condition_number }; });
      if (cn.length) {
        row.appendChild(chart({
          title: 'condition number of the gate prompts’ hidden states, by layer',
          data: { values: cn },
          width: Math.max(120, 36 * cn.length), height: 160,
          layer: [
            { mark: { type: 'bar', color: '#7f8fa6', width: { band: 0.6 } },
              encoding: { x: { field: 'layer', type: 'ordinal', title: 'layer', axis: { labelAngle: 0 } },
                y: { field: 'value', type: 'quantitative', title: 'condition number' },
                tooltip: [{ field: 'layer', type: 'ordinal' }, { field: 'value', type: 'quantitative', format: '.3f' }] } },
            { mark: { type: 'text', dy: -6, fontSize: 10 },
              encoding: { x: { field: 'layer', type: 'ordinal' }, y: { field: 'value', type: 'quantitative' },
                text: { field: 'value', type: 'quantitative', format: '.2f' } } }
          ]
        }));
      }
      var cos = [];
      layers.forEach(function (L, li) {
        arr(L.cosine).forEach(function (rowv, a) {
          arr(rowv).forEach(function (v, b) {
            if (isNum(v)) cos.push({ layer: 'layer ' + str(L.layer), lorder: li, a: chartLabel(expertLabel(labels, a)), b: chartLabel(expertLabel(labels, b)), cosine: v });
          });
        });
      });
      if (cos.length) {
        var dom = uniq(labels.map(chartLabel));
        var sz = Math.max(90, 48 * dom.length);
        row.appendChild(chart({
          title: 'cosine similarity of the experts’ prompt vectors',
          data: { values: cos },
          facet: { column: { field: 'layer', type: 'nominal', title: null, sort: { field: 'lorder', op: 'min' } } },
          spec: {
            width: sz, height: sz,
            layer: [
              { mark: { type: 'rect' },
                encoding: {
                  x: { field: 'a', type: 'nominal', title: null, scale: { domain: dom }, axis: { labelAngle: -30, labelLimit: 100 } },
                  y: { field: 'b', type: 'nominal', title: null, scale: { domain: dom }, axis: { labelLimit: 100 } },
                  color: { field: 'cosine', type: 'quantitative', scale: { domain: [-1, 1], scheme: 'blueorange' }, title: 'cosine' },
                  tooltip: [{ field: 'a', type: 'nominal' }, { field: 'b', type: 'nominal' }, { field: 'cosine', type: 'quantitative', format: '.3f' }]
                } },
              { mark: { type: 'text', fontSize: 10, color: '#111111' },
                encoding: { x: { field: 'a', type: 'nominal', scale: { domain: dom } }, y: { field: 'b', type: 'nominal', scale: { domain: dom } },
                  text: { field: 'cosine', type: 'quantitative', format: '.2f' } } }
            ]
          }
        }));
      }
      block.appendChild(row);
      var t = table('numbers compact');
      headRow(t, ['Layer', { text: 'Condition number', cls: 'num' }, { text: 'Max cosine', cls: 'num' }]);
      layers.forEach(function (L) { bodyRow(t, [str(L.layer), { text: f4(L.condition_number), cls: 'num' }, { text: f4(L.max_cosine), cls: 'num' }]); });
      block.appendChild(wrapTable(t));
      s.appendChild(block);
    });
  });

  // ---------------------------------------------------------------- 5. token view

  function pieceText(p) {
    return str(p).replace(/^[\u2581\u0120]/, ' ').replace(/\u010A/g, '\n');
  }

  guarded('token-view', 'Token view', function (s) {
    var tv = arr(D.token_view).map(obj).filter(function (t) { return arr(t.documents).length > 0; });
    if (!tv.length) {
      s.appendChild(note('No token-level routing was logged in this run (run with --routing tokens).'));
      return;
    }
    tv.forEach(function (t) {
      var merge = str(t.merge);
      var block = el('div', 'merge-block');
      add(block, add(el('h3'), longText(merge, 'span', null, CELL_CAP)));
      var layers = arr(t.layers);
      var labels = expertLabels(merge);
      var docs = arr(t.documents).map(obj);
      var spans = []; // [span, doc, tokenIndex]
      var controls = el('div', 'controls');
      var current = 0;
      function paint() {
        spans.forEach(function (x) {
          var span = x[0], d = x[1], i = x[2];
          var choices = arr(arr(arr(d.routing)[current])[i]);
          var first = arr(choices[0]), second = arr(choices[1]);
          if (first.length && isNum(first[0])) {
            var label = expertLabel(labels, first[0]);
            span.style.backgroundColor = tint(colourOfExpert(label), 0.32);
            span.style.borderBottomColor = colourOfExpert(label);
            var tip = 'expert ' + label + ' (w=' + f2(first[1]) + ')';
            if (second.length && isNum(second[0])) tip += ', runner-up ' + expertLabel(labels, second[0]) + ' (w=' + f2(second[1]) + ')';
            span.setAttribute('title', tip);
          } else {
            span.style.backgroundColor = 'transparent';
            span.style.borderBottomColor = 'transparent';
            span.setAttribute('title', 'no routing recorded for this token at this layer');
          }
        });
      }
      if (layers.length) {
        add(controls, select(layers.map(function (L, i) { return { text: 'layer ' + str(L), value: i }; }),
          function (i) { current = i; paint(); }, 'Layer '));
      }
      var legend = el('span', 'expert-legend');
      labels.forEach(function (l, i) { add(legend, expertTag(labels, i)); });
      add(legend, add(el('span', 'tok-key'), el('span', 'tok prompt-tok', 'prompt')), add(el('span', 'tok-key'), el('span', 'tok gen', 'generated')));
      add(controls, legend);
      block.appendChild(controls);
      docs.forEach(function (d) {
        var card = el('div', 'doc-card');
        add(card, add(el('div', 'doc-title'), longText(str(d.suite) + ' · ' + str(d.task) + ' · doc ' + str(d.doc_id), 'span', null, CELL_CAP)));
        var pieces = arr(d.pieces);
        var decode = arr(d.decode);
        var first = isNum(d.first_token) ? d.first_token : 0;
        var n = Math.max(pieces.length, decode.length, arr(arr(d.routing)[0]).length);
        var text = el('div', 'tokens');
        if (first > 0) card.appendChild(note('The document’s last ' + n + ' tokens, from token ' + first + '.'));
        if (pieces.length < n && n) {
          card.appendChild(note(pieces.length ? 'Token text was stored for only some tokens; the others show their index.'
            : 'No token text was stored for this document; token indices are shown instead.'));
        }
        for (var i = 0; i < n; i++) {
          var hasPiece = i < pieces.length;
          var span = el('span', 'tok' + (decode[i] === true ? ' gen' : ' prompt-tok') + (hasPiece ? '' : ' index'),
            hasPiece ? pieceText(pieces[i]) : '#' + (first + i));
          text.appendChild(span);
          if (!hasPiece) text.appendChild(document.createTextNode(' '));
          spans.push([span, d, i]);
        }
        if (!n) card.appendChild(note('No tokens were logged for this document.'));
        card.appendChild(text);
        block.appendChild(card);
      });
      paint();
      s.appendChild(block);
    });
  });

  // ---------------------------------------------------------------- 6. ablations

  guarded('ablations', 'Ablations', function (s) {
    var abl = arr(D.ablations).map(obj);
    if (!abl.length) {
      s.appendChild(note('No ablation variants (the same recipe with another gate or top-k) were evaluated in this run.'));
      return;
    }
    abl.forEach(function (a) {
      var block = el('div', 'merge-block');
      var h = el('h3');
      if (str(a.kind) === 'ablation') add(h, el('span', 'muted', 'ablation of the recipe '), longText(a.recipe, 'span', null, CELL_CAP));
      else if (str(a.kind) === 'same_experts') add(h, el('span', 'muted', 'merges of the same base and experts as '), longText(a.recipe, 'span', null, CELL_CAP));
      else add(h, el('span', 'muted', 'recipe '), longText(a.recipe, 'span', null, CELL_CAP));
      add(h, el('span', 'muted', ' — reference '), longText(a.reference, 'span', null, CELL_CAP));
      block.appendChild(h);
      var variants = arr(a.variants).map(obj);
      var ref = str(a.reference);
      // The reference's own scores, when the verdict has them.
      var refScores = new Map();
      arr(D.verdict).map(obj).forEach(function (v) {
        arr(v.rows).map(obj).forEach(function (r) {
          arr(r.scores).map(obj).forEach(function (sc) {
            if (str(sc.model) === ref && !refScores.has(str(r.suite))) refScores.set(str(r.suite), sc);
          });
        });
      });
      var t = table('numbers compact ablation');
      headRow(t, ['Model', 'Gate', { text: 'k', cls: 'num' }, 'Gates hash', { text: 'Max condition number', cls: 'num' }, { text: 'Max cosine', cls: 'num' },
        'Suite', { text: 'Score', cls: 'num' }, { text: 'Δ vs reference', cls: 'num' }, { text: 'Paired test', cls: 'num' }, { text: 'Agreement', cls: 'num' }]);
      var chartRows = [];
      var suiteOrder = new Map();
      arr(D.suites).map(obj).forEach(function (su, i) { suiteOrder.set(str(su.name), i); });
      var refModel = modelByName.get(ref) || {};
      var usedNames = new Set();
      function chartName(base) {
        var name = chartLabel(base), n = 2;
        while (usedNames.has(name)) name = chartLabel(base) + ' (' + n++ + ')';
        usedNames.add(name);
        return name;
      }
      // Rows of one model: the first carries the model's cells, spanning them all.
      function group(modelCells, rows, cls) {
        rows.forEach(function (cells, i) {
          var tr = bodyRow(t, i === 0 ? modelCells.concat(cells) : cells);
          if (i === 0) {
            for (var k = 0; k < modelCells.length; k++) tr.cells[k].setAttribute('rowspan', String(rows.length));
            tr.className = 'group-start';
          }
          if (cls) tr.className += ' ' + cls;
        });
      }
      // The reference is one of the variants (reference: true); older documents
      // without it fall back to its verdict scores.
      var hasRefVariant = variants.some(function (v) { return v.reference === true; });
      if (refScores.size && !hasRefVariant) {
        var refName = chartName('reference (' + str(refModel.gate_variant || 'as written') + ', k=' + str(refModel.experts_per_token) + ')');
        var refRows = [];
        refScores.forEach(function (sc, suite) {
          refRows.push([{ text: suite, cls: 'text' }, { text: scoreText(sc.value, sc.ci), cls: 'num' }, { text: 'reference', cls: 'num muted' },
            { text: '—', cls: 'num' }, { text: '—', cls: 'num' }]);
          chartRows.push({ suite: chartLabel(suite), model: refName, value: sc.value, ci: sc.ci, colour: colourOfModel(ref, 0), order: 0,
            sorder: suiteOrder.has(suite) ? suiteOrder.get(suite) : 99 });
        });
        group([{ text: ref, cls: 'text' }, { text: str(refModel.gate_variant), cls: 'text' }, { text: str(refModel.experts_per_token), cls: 'num' },
          { text: '—', cls: 'text' }, { text: '—', cls: 'num' }, { text: '—', cls: 'num' }], refRows, 'reference-row');
      }
      variants.sort(function (x, y) { return (y.reference === true) - (x.reference === true); });
      variants.forEach(function (v, vi) {
        var sus = arr(v.suites).map(obj);
        var isRef = v.reference === true;
        var colour = isRef ? colourOfModel(ref, 0) : FALLBACK_COLOURS[(vi + 2) % FALLBACK_COLOURS.length];
        var name = chartName((isRef ? 'reference (' : '') + str(v.gate_variant) + ', k=' + str(v.experts_per_token) + (isRef ? ')' : ''));
        var rows = sus.map(function (su) {
          var test = su.test ? obj(su.test) : null;
          var sig = test && test.significant ? ' significant' : '';
          chartRows.push({ suite: chartLabel(su.suite), model: name, value: su.value, ci: su.ci, colour: colour, order: vi + 1,
            sorder: suiteOrder.has(str(su.suite)) ? suiteOrder.get(str(su.suite)) : 99 });
          if (isRef) {
            return [{ text: su.suite, cls: 'text' }, { text: scoreText(su.value, su.ci), cls: 'num' }, { text: 'reference', cls: 'num muted' },
              { text: '—', cls: 'num' }, { text: f4(su.agreement), cls: 'num' }];
          }
          return [{ text: su.suite, cls: 'text' }, { text: scoreText(su.value, su.ci), cls: 'num' }, { text: signed4(su.diff), cls: 'num' + sig },
            { text: testText(test), cls: 'num' + sig }, { text: f4(su.agreement), cls: 'num' }];
        });
        if (!rows.length) rows = [[{ text: 'no suite scored', cls: 'text muted' }, '', '', '', '']];
        // The gate mode its routers came from (older documents: the variant's label).
        var gate = str(v.gate_mode || v.gate_variant);
        if (v.ablation && str(v.ablation).indexOf('gate-mode=') !== 0) gate += ' · ' + str(v.ablation);
        group([{ text: v.model, cls: 'text' }, { text: gate, cls: 'text' }, { text: str(v.experts_per_token), cls: 'num' },
          { text: str(v.gates_hash).slice(0, 8) || '—', cls: 'text mono', title: str(v.gates_hash) },
          { text: f4(v.max_condition_number), cls: 'num' }, { text: f4(v.max_cosine), cls: 'num' }], rows, isRef ? 'reference-row' : null);
      });
      block.appendChild(wrapTable(t));
      var c = scoreChart(chartRows, null);
      if (c) block.appendChild(c);
      s.appendChild(block);
    });
  });

  // ---------------------------------------------------------------- 7. history

  guarded('history', 'History', function (s) {
    var h = obj(D.history);
    var series = arr(h.series).map(obj);
    var runs = arr(h.runs).map(obj);
    if (!series.length) s.appendChild(note('The database holds no scores to draw a history from.'));
    else if (runs.length < 2) s.appendChild(note('The database holds one run, so each line is a single point.'));
    var bySuite = new Map();
    series.forEach(function (se) {
      var k = str(se.suite);
      if (!bySuite.has(k)) bySuite.set(k, []);
      bySuite.get(k).push(se);
    });
    var grid = el('div', 'chart-grid');
    var mi = 0;
    bySuite.forEach(function (list, suite) {
      var values = [], flagged = [], pairs = [];
      list.forEach(function (se) {
        var model = chartLabel(se.model);
        pairs.push([model, colourOfModel(se.model, mi++)]);
        arr(se.points).map(obj).forEach(function (p) {
          var t = Date.parse(str(p.date));
          if (!isNum(t) || !isNum(p.value)) return;
          var ci = isNum(p.ci) ? p.ci : 0;
          var ch = p.change ? obj(p.change) : null;
          var row = { model: model, date: t, value: p.value, lo: p.value - ci, hi: p.value + ci, run: chartLabel(p.run_key),
            change: ch && isNum(ch.diff) ? ch.diff : null };
          values.push(row);
          if (ch && ch.regression === true) flagged.push(row);
        });
      });
      if (!values.length) return;
      var scale = colourScale(pairs);
      var first = list[0];
      var metric = str(first.metric) + (first.higher_is_better === false ? ' (lower is better)' : '');
      // Runs in the order they started, one step each: nightly runs of one day stay apart.
      var runOrder = uniq(runs.map(function (r) { return chartLabel(r.run_key); }));
      var enc = function (extra) {
        var e = {
          x: { field: 'run', type: 'ordinal', sort: runOrder, title: 'run (oldest first)', axis: { labelAngle: -30, labelLimit: 160 } },
          y: { field: 'value', type: 'quantitative', title: chartLabel(metric), scale: { zero: false } }
        };
        for (var k in extra) e[k] = extra[k];
        return e;
      };
      var tooltip = [{ field: 'model', type: 'nominal' }, { field: 'run', type: 'nominal' }, { field: 'date', type: 'temporal', format: '%Y-%m-%d %H:%M' }, { field: 'value', type: 'quantitative', format: '.4f' },
        { field: 'change', type: 'quantitative', format: '+.4f', title: 'change vs previous' }];
      var layer = [
        { mark: { type: 'line', point: { filled: true, size: 40 } }, encoding: enc({ color: { field: 'model', type: 'nominal', scale: scale, title: 'model',
          legend: { orient: 'bottom', direction: 'horizontal', columns: 2 } }, tooltip: tooltip }) },
        { mark: { type: 'rule', opacity: 0.35 }, encoding: enc({ y: { field: 'lo', type: 'quantitative', title: chartLabel(metric), scale: { zero: false } }, y2: { field: 'hi' },
          color: { field: 'model', type: 'nominal', scale: scale, title: 'model' } }) }
      ];
      if (flagged.length) {
        layer.push({ data: { values: flagged }, mark: { type: 'point', shape: 'diamond', size: 320, fill: '#d62728', stroke: '#ffffff', filled: true, strokeWidth: 1.5, opacity: 1 },
          encoding: enc({ tooltip: tooltip }) });
      }
      var box = el('div', 'history-chart');
      add(box, add(el('h4'), longText(suite, 'span', null, CELL_CAP)));
      box.appendChild(chart({ data: { values: values }, width: 440, height: 180, layer: layer }));
      if (flagged.length) box.appendChild(el('p', 'caption', 'Red diamond: a regression, a significant fall against the run before (paired on the documents both runs scored).'));
      grid.appendChild(box);
    });
    s.appendChild(grid);
    var regs = arr(h.regressions).map(obj);
    var t = table('numbers compact');
    t.setAttribute('data-check', 'regressions');
    headRow(t, ['Model', 'Suite', 'Run', 'Previous run', { text: 'Δ', cls: 'num' }, { text: '95% CI', cls: 'num' }]);
    regs.forEach(function (r) {
      bodyRow(t, [{ text: r.model, cls: 'text' }, { text: r.suite, cls: 'text' }, { text: r.run_key, cls: 'text mono' }, { text: r.previous_run_key, cls: 'text mono' },
        { text: signed4(r.diff), cls: 'num worse' }, { text: isNum(r.half_width) ? '± ' + r.half_width.toFixed(4) : '—', cls: 'num' }]);
    });
    add(s, el('h3', null, 'Regressions'));
    s.appendChild(regs.length ? wrapTable(t) : add(el('div'), note('No regression: no score fell significantly against the run before it.'), t));
    if (!regs.length) t.className += ' empty';
  });

  // ---------------------------------------------------------------- 8. samples

  guarded('samples', 'Samples', function (s) {
    var smp = obj(D.samples);
    var docs = arr(smp.documents).map(obj);
    if (!docs.length) {
      s.appendChild(note('No per-document samples were stored in this run.'));
      return;
    }
    var suiteNames = uniq(docs.map(function (d) { return str(d.suite); }));
    var modelNames = uniq([].concat.apply([], docs.map(function (d) { return arr(d.answers).map(function (a) { return str(obj(a).model); }); })));
    var state = { suite: null, model: null, kind: 'all', page: 0 };
    var filters = el('div', 'controls filters');
    add(filters,
      select([{ text: 'all suites', value: null }].concat(suiteNames.map(function (n) { return { text: n, value: n }; })), function (v) { state.suite = v; state.page = 0; draw(); }, 'Suite '),
      select([{ text: 'all models', value: null }].concat(modelNames.map(function (n) { return { text: n, value: n }; })), function (v) { state.model = v; state.page = 0; draw(); }, 'Model '),
      select([{ text: 'all documents', value: 'all' },
        { text: 'merge wrong where an expert was right', value: 'gap' },
        { text: 'merge right where every expert was wrong', value: 'alone' }], function (v) { state.kind = v; state.page = 0; draw(); }, 'Show '));
    s.appendChild(filters);
    var status = el('p', 'shown');
    s.appendChild(status);
    var list = el('div', 'samples-list');
    s.appendChild(list);
    var pager = el('div', 'pager');
    var prev = el('button', null, '← previous 50'); prev.setAttribute('type', 'button');
    var next = el('button', null, 'next 50 →'); next.setAttribute('type', 'button');
    var pageInfo = el('span', 'muted');
    add(pager, prev, pageInfo, next);
    s.appendChild(pager);
    prev.addEventListener('click', function () { if (state.page > 0) { state.page--; draw(); } });
    next.addEventListener('click', function () { state.page++; draw(); });

    function matches(d) {
      if (state.suite !== null && str(d.suite) !== state.suite) return false;
      if (state.model !== null && !arr(d.answers).some(function (a) { return str(obj(a).model) === state.model; })) return false;
      if (state.kind === 'gap' && !arr(d.merge_wrong_expert_right).length) return false;
      if (state.kind === 'alone' && !arr(d.merge_right_experts_wrong).length) return false;
      return true;
    }
    function card(d) {
      var c = el('article', 'doc-card');
      var title = el('div', 'doc-title');
      add(title, longText(str(d.suite) + ' · ' + str(d.task) + ' · doc ' + str(d.doc_id), 'span', null, CELL_CAP));
      arr(d.merge_wrong_expert_right).forEach(function (m) { add(title, el('span', 'flag bad', 'oracle gap: ' + chartLabel(m))); });
      arr(d.merge_right_experts_wrong).forEach(function (m) { add(title, el('span', 'flag ok', 'merge alone right: ' + chartLabel(m))); });
      c.appendChild(title);
      add(c, el('div', 'field-name', 'prompt'), longText(d.prompt, 'div', 'pre'));
      if (str(d.target) !== '') add(c, el('div', 'field-name', 'target'), longText(d.target, 'div', 'pre'));
      var answers = arr(d.answers).map(obj).filter(function (a) { return state.model === null || str(a.model) === state.model; });
      var t = table('answers');
      answers.forEach(function (a, i) {
        var who = el('span', 'expert-tag');
        add(who, chip(colourOfModel(a.model, i)), labelSpan(a.model));
        bodyRow(t, [{ node: who, cls: 'who' },
          { text: a.correct === true ? '✓' : a.correct === false ? '✗' : '', cls: 'center ' + (a.correct === true ? 'ok' : a.correct === false ? 'bad' : ''),
            title: a.correct === true ? 'right' : a.correct === false ? 'wrong' : '' },
          { text: isNum(a.score) ? String(Math.round(a.score * 10000) / 10000) : '—', cls: 'num' },
          { node: longText(a.response, 'div', 'pre'), cls: 'response' }]);
      });
      c.appendChild(t);
      return c;
    }
    function draw() {
      var matching = docs.filter(matches);
      var pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
      if (state.page >= pages) state.page = pages - 1;
      var from = state.page * PAGE_SIZE;
      var shown = matching.slice(from, from + PAGE_SIZE);
      while (list.firstChild) list.removeChild(list.firstChild);
      shown.forEach(function (d) { list.appendChild(card(d)); });
      if (!shown.length) list.appendChild(note('No document matches these filters.'));
      status.textContent = (matching.length ? 'Showing ' + (from + 1) + '–' + (from + shown.length) : 'Showing 0') + ' of ' + matching.length +
        ' matching documents; ' + docs.length + ' of ' + (isNum(smp.total) ? smp.total : docs.length) + ' documents of the run are included in this report.';
      pageInfo.textContent = 'page ' + (state.page + 1) + ' of ' + pages;
      prev.disabled = state.page === 0;
      next.disabled = state.page >= pages - 1;
    }
    draw();
  });

  // ---------------------------------------------------------------- footer

  var footer = el('footer', 'page-footer');
  add(footer, el('p', null, 'Generated by moebench from ' + str(D.database) + (D.generated_at ? ' at ' + str(D.generated_at) : '') + '.'),
    el('p', null, 'Charts: Vega, Vega-Lite, vega-embed (BSD-3-Clause), embedded in this file.'));
  root.appendChild(footer);

  Promise.allSettled(charts).then(function () {
    document.body.dataset.rendered = '1';
  });
})();
