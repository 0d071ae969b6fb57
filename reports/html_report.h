// The report as one self-contained HTML page: the document (report.h)
// embedded as JSON data, drawn by the page's own script with the chart
// libraries inlined, so it opens offline, from a file, years later.
//
// Safety: every string in the document came from a model, a dataset, a
// recipe or a plan. The JSON is embedded in a non-executable
// <script type="application/json"> with '<', '>', '&', U+2028 and U+2029
// escaped, so no content can close the element; the page script builds the
// DOM with textContent only. A Content-Security-Policy <meta> allows exactly
// the page's inline scripts (by SHA-256), no eval, no network
// (default-src 'none': no connect-src, no remote script-src).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace moebench::reports {

// JSON text safe inside a <script> element (see above).
std::string script_safe_json(const nlohmann::ordered_json& document);
// HTML text escaping (& < > " ').
std::string html_escape(std::string_view text);
// "'sha256-<base64>'" of an inline script's exact text, for the CSP.
std::string csp_hash(std::string_view script);

std::string render_html(const nlohmann::ordered_json& report);

}  // namespace moebench::reports
