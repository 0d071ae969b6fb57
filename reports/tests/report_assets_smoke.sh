#!/bin/sh
# The embedded chart libraries render a chart in headless Chromium under the
# report's Content-Security-Policy (no eval: vega-interpreter), and
# browser_check.mjs sees no problem; without the interpreter the same page
# needs eval, and the checker must catch the CSP violation.
# Usage: report_assets_smoke.sh NODE CHROMIUM ASSET_DIR WORK_DIR
# NODE or CHROMIUM empty or missing: skipped (exit 77).
set -eu
node=$1 chromium=$2 assets=$3 work=$4
here=$(dirname "$0")
if [ -z "$node" ] || [ ! -x "$node" ]; then
  echo "skipped: node not found (bash .ci/setup installs nodejs)"; exit 77
fi
if [ -z "$chromium" ] || [ ! -x "$chromium" ]; then
  echo "skipped: chromium not found (bash .ci/setup installs it)"; exit 77
fi
export MOEBENCH_CHROMIUM="$chromium"
rm -rf "$work"
mkdir -p "$work"

"$node" "$here/make_csp_smoke.mjs" "$assets" "$work/smoke.html"
"$node" "$here/browser_check.mjs" "$work/smoke.html" "$work/interpreter"

"$node" "$here/make_csp_smoke.mjs" "$assets" "$work/eval.html" --eval
if "$node" "$here/browser_check.mjs" "$work/eval.html" "$work/eval" 2>"$work/eval.err"; then
  echo "browser_check passed a page that evaluates code under a CSP without 'unsafe-eval'"
  exit 1
fi
if ! grep -q "CSP violation: script-src blocked eval" "$work/eval.err"; then
  cat "$work/eval.err"
  echo "browser_check failed the eval page but did not report the CSP violation"
  exit 1
fi
echo "ok: charts render without eval; the checker catches eval under the CSP"
