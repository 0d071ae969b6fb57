// Opens a report in headless Chromium through reports/tests/browser_check.mjs
// (no network; console errors, CSP violations, dialogs and planted scripts
// recorded; a screenshot per section) and returns its check.json.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace moebench::reports::testing {

// Empty when node, chromium and reports/node_modules are all there; else why
// not (the caller skips loudly).
std::string browser_unavailable();
// Where a test's screenshots go: <build>/report-artefacts/<name>, emptied first.
std::filesystem::path artefact_dir(const std::string& name);
// Runs the check; `exit_code` gets the checker's status (0: no problem).
// `images` false: the page is rendered and checked, but no screenshot or PDF
// is written.
nlohmann::json browser_check(const std::filesystem::path& html, const std::filesystem::path& out,
                             int* exit_code, std::string* output, bool images = true);

}  // namespace moebench::reports::testing
