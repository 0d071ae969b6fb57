// moebench report: the results database -> one self-contained HTML page and/or
// the same content as JSON, with the verdict printed on the terminal.
#include <charconv>
#include <iostream>

#include "harness/cli/commands.h"
#include "harness/util/error.h"
#include "reports/report.h"

namespace moebench::cli {

void register_report(CLI::App& app) {
  struct Args {
    std::string db;
    reports::ReportOptions options;
    reports::ReportFiles files;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "report",
      "Write the HTML report of a run: does each merge beat its experts (paired tests), how it "
      "routed, routing vs correctness, gates, token view, ablations, history, samples");
  cmd->add_option("--db", a->db, "Results database written by `moebench run` or `eval --db`")
      ->required();
  cmd->add_option("--run", a->options.run, "Run key to report, or latest (the last started)")
      ->capture_default_str();
  cmd->add_option("--baseline", a->options.baseline,
                  "Run key whose scores stand in for models (experts, base) this run did not "
                  "evaluate");
  cmd->add_option("--model", a->options.models,
                  "Only these models (repeatable); a merge brings its base and experts");
  cmd->add_option("--out", a->files.html, "HTML file to write (self-contained, opens offline)");
  cmd->add_option("--json", a->files.json, "JSON file to write: the same content as data");
  cmd->add_option("--token-view-docs", a->options.token_view_documents,
                  "Token-logged documents shown token by token, per suite")
      ->capture_default_str()
      ->check(CLI::Range(0, 50));
  cmd->add_option("--samples-per-suite", a->options.samples_per_suite,
                  "Documents in the samples section per suite (flagged ones first)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--seed", a->options.seed, "Seed of the paired bootstrap")
      ->capture_default_str()
      ->check([](const std::string& text) -> std::string {  // CLI11 would wrap -1, saturate 1e30
        uint64_t v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        return ec == std::errc() && end == text.data() + text.size()
                   ? ""
                   : "'" + text + "' is not a whole number from 0 to 18446744073709551615";
      });
  cmd->footer(
      "\nThe report reads only the database. The verdict compares each merge with its best "
      "expert per suite on the same documents: McNemar's exact test for 0/1 metrics, a paired "
      "bootstrap (10,000 resamples) otherwise; score ± is the 95% interval (1.96 × stderr).\n"
      "Example: moebench report --db results.sqlite --out report.html --json report.json");
  cmd->callback([a] {
    const auto lines = reports::write_report(a->db, a->options, a->files);
    for (const auto& line : lines) std::cout << line << "\n";
    if (!a->files.html.empty()) std::cout << "report: " << a->files.html << "\n";
    if (!a->files.json.empty()) std::cout << "json: " << a->files.json << "\n";
    if (a->files.html.empty() && a->files.json.empty()) {
      std::cout << "(give --out report.html and/or --json report.json to write the report)\n";
    }
  });
}

}  // namespace moebench::cli
