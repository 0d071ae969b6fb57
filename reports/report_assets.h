// The files a report inlines, compiled into the binary: the Vega, Vega-Lite,
// vega-embed and vega-interpreter browser builds ("vega.js", "vega-lite.js",
// "vega-embed.js", "vega-interpreter.js"), their licences ("vega.LICENSE",
// ...), and every file of reports/assets/ under its own name ("report.js",
// "report.css", ...). Generated at build time by reports/embed_assets.cmake
// from reports/node_modules (pinned by reports/package-lock.json).
//
// In the page, load them in that order as classic scripts; then
//   vegaEmbed(el, spec, {ast: true, expr: vega.expressionInterpreter, actions: false})
// renders without eval, under a CSP with no 'unsafe-eval'.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace moebench::reports {

// The text of the named asset; the view lives as long as the program.
// Throws std::out_of_range naming `name` when there is no such asset.
std::string_view report_asset(std::string_view name);

// Every asset name, sorted.
std::vector<std::string> report_asset_names();

}  // namespace moebench::reports
