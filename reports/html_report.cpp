#include "reports/html_report.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <vector>

#include "harness/util/sha256.h"
#include "harness/util/text.h"
#include "reports/report_assets.h"

namespace moebench::reports {
namespace {

// Scripts inlined in this order: the chart libraries, then the page.
constexpr const char* kScripts[] = {"vega.js", "vega-lite.js", "vega-embed.js",
                                    "vega-interpreter.js", "report.js"};

std::string base64(const std::string& bytes) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += abc[(v >> s) & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = uint8_t(bytes[i]) << 16;
    out += abc[(v >> 18) & 63];
    out += abc[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += abc[(v >> 18) & 63];
    out += abc[(v >> 12) & 63];
    out += abc[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string hex_to_bytes(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

// An inline script must not contain what would end or re-mode its element.
void check_inlinable(std::string_view name, std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.find("</script") != std::string::npos || lower.find("<!--") != std::string::npos) {
    throw std::logic_error("report asset " + std::string(name) +
                           " contains '</script' or '<!--' and cannot be inlined");
  }
}

}  // namespace

std::string script_safe_json(const nlohmann::ordered_json& document) {
  const std::string text = document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else if (c == '\xE2' && i + 2 < text.size() && text[i + 1] == '\x80' &&
             (text[i + 2] == '\xA8' || text[i + 2] == '\xA9')) {
      out += text[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";  // line separators end JS lines
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string csp_hash(std::string_view script) {
  return "'sha256-" + base64(hex_to_bytes(sha256_hex(script))) + "'";
}

std::string render_html(const nlohmann::ordered_json& report) {
  std::vector<std::string_view> scripts;
  std::string hashes;
  for (const char* name : kScripts) {
    const std::string_view text = report_asset(name);
    check_inlinable(name, text);
    scripts.push_back(text);
    hashes += " " + csp_hash(text);
  }
  const std::string run_key = report["run"].value("run_key", "");
  std::string html;
  html.reserve(2 << 20);
  html += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  html += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src" +
          hashes + "; style-src 'unsafe-inline'; img-src data: blob:\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<meta name=\"generator\" content=\"moebench report format " +
          std::to_string(report.value("format", 1)) + "\">\n";
  html += "<title>moebench report — " + html_escape(sanitize_utf8(run_key)) + "</title>\n";
  html += "<style>";
  html += report_asset("report.css");
  html += "</style></head><body>\n";
  html += "<noscript>This report is drawn by its embedded script; enable JavaScript to read it. "
          "The same content is in the report's JSON (moebench report --json).</noscript>\n";
  html += "<script type=\"application/json\" id=\"report-data\">";
  html += script_safe_json(report);
  html += "</script>\n";
  for (const auto& s : scripts) {
    html += "<script>";
    html += s;
    html += "</script>\n";
  }
  html += "</body></html>\n";
  return html;
}

}  // namespace moebench::reports
