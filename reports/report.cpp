#include "reports/report.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <filesystem>
#include <memory>

#include "harness/store/store_clock.h"
#include "harness/util/atomic_path.h"
#include "harness/util/error.h"
#include "harness/util/interrupt.h"
#include "harness/util/output_path.h"
#include "reports/html_report.h"
#include "reports/ablation_section.h"
#include "reports/correctness_section.h"
#include "reports/gates_section.h"
#include "reports/history_section.h"
#include "reports/logged_routing.h"
#include "reports/routing_section.h"
#include "reports/samples_section.h"
#include "reports/verdict.h"

namespace moebench::reports {
namespace {

// Tokens x layers of all token views together: ~21 bytes of JSON each, so
// about 2 MB, which keeps a standard report under 5 MB with the chart libraries.
constexpr int64_t kTokenViewBudget = 100000;

// Between sections: a Ctrl-C (under write_report's InterruptScope) stops here,
// before anything was written.
void stop_if_interrupted() {
  if (InterruptScope::requested())
    throw Interrupted(InterruptScope::signal(), "report interrupted; nothing was written");
}

// --out and --json: files (not directories, devices or the like), never the
// database or its SQLite siblings, never one path for both.
void check_report_outputs(const std::string& db, const ReportFiles& files) {
  const std::pair<const std::string*, const char*> outputs[] = {{&files.html, "--out"},
                                                                {&files.json, "--json"}};
  for (const auto& [path, flag] : outputs) {
    if (path->empty()) continue;
    check_output_file(*path, flag);
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      check_output_apart(*path, flag, db + suffix,
                         *suffix ? fmt::format("the results database's {} file", suffix + 1)
                                 : std::string("the results database (--db)"));
    }
  }
  if (!files.html.empty() && !files.json.empty() &&
      resolved_path(files.html) == resolved_path(files.json)) {
    fail_input("--json", "'{}' is the same file as --out '{}'; give the page and the JSON "
               "different paths", files.json, files.html);
  }
}

// Read-only, as a report never writes the database. SQLite still needs
// <db>-shm beside a WAL-mode database (SQLITE_READONLY when it cannot make
// one), which a bare "attempt to write a readonly database" does not explain.
store::ResultsStore open_read_only(const std::string& db) {
  store::StoreOptions read_only;
  read_only.database.read_only = true;
  try {
    return store::ResultsStore::open(db, read_only);
  } catch (const store::StoreError& e) {
    if ((e.code() & 0xff) != SQLITE_READONLY) throw;
    fail_input(db, "cannot be read in place: SQLite must create {}-shm beside a database in WAL "
               "mode, and cannot write in {} (copy the database to a writable directory)", db,
               std::filesystem::absolute(db).parent_path().string());
  }
}

}  // namespace

nlohmann::ordered_json build_report(store::ResultsStore& store, const ReportOptions& options) {
  store::ReadTransaction snapshot(store.database());
  const ReportScope scope = load_scope(store, options);
  const auto suites = run_suites(store.database(), scope.run.run_id);

  auto experts = nlohmann::ordered_json::array();
  for (const auto& [label, colour] : scope.expert_colours) {
    experts.push_back({{"label", label}, {"colour", colour}});
  }
  auto suites_json = nlohmann::ordered_json::array();
  for (const auto& s : suites) {
    suites_json.push_back({{"name", s.name}, {"alias", s.alias}, {"metric", s.metric},
                           {"higher_is_better", s.higher_is_better}, {"binary", s.binary},
                           {"tasks", s.tasks}});
  }

  // One pass over each merge's token-logged samples feeds sections 2, 3 and 5.
  auto routing = nlohmann::ordered_json::array();
  auto correctness = nlohmann::ordered_json::array();
  auto token_view = nlohmann::ordered_json::array();
  int64_t token_budget = kTokenViewBudget;
  for (const ModelRef* merge : scope.merges()) {
    auto routing_suites = nlohmann::ordered_json::array();
    auto correctness_suites = nlohmann::ordered_json::array();
    auto token_docs = nlohmann::ordered_json::array();
    std::vector<int32_t> layers;
    for (const auto& suite : suites) {
      stop_if_interrupted();
      const auto logged = read_logged_routing(
          scope, *merge, suite, {options.token_view_documents, 128, &token_budget});
      if (layers.empty()) layers = logged.layers;
      auto r = routing_suite_json(scope, *merge, suite, logged);
      if (!r.is_null()) routing_suites.push_back(std::move(r));
      auto c = correctness_suite_json(scope, *merge, suite, logged);
      if (!c.is_null()) correctness_suites.push_back(std::move(c));
      for (auto& d : logged.token_documents) token_docs.push_back(d);
    }
    routing.push_back({{"merge", merge->name}, {"num_experts", merge->num_experts},
                       {"top_k", merge->experts_per_token}, {"suites", routing_suites}});
    correctness.push_back({{"merge", merge->name}, {"suites", correctness_suites}});
    token_view.push_back({{"merge", merge->name}, {"layers", layers},
                          {"top_k", merge->experts_per_token}, {"documents", token_docs}});
  }
  stop_if_interrupted();
  const auto gates = gates_json(scope);

  nlohmann::ordered_json report;
  report["format"] = 1;
  report["generated_at"] = store::iso_timestamp(store::system_now());
  report["database"] = store.file();
  report["run"] = run_json(scope.run);
  report["baseline"] = scope.baseline ? run_json(*scope.baseline) : nlohmann::ordered_json(nullptr);
  report["experts"] = experts;
  report["models"] = models_json(scope);
  report["suites"] = suites_json;
  report["verdict"] = verdict_json(scope, suites);
  stop_if_interrupted();
  report["routing"] = routing;
  report["routing_correctness"] = correctness;
  report["gates"] = gates;
  report["token_view"] = token_view;
  report["ablations"] = ablations_json(scope, suites, gates);
  stop_if_interrupted();
  report["history"] = history_json(scope, suites);
  stop_if_interrupted();
  report["samples"] = samples_json(scope, suites);
  stop_if_interrupted();
  return report;
}

std::vector<std::string> summary_lines(const nlohmann::ordered_json& report) {
  std::vector<std::string> out;
  const auto& run = report["run"];
  out.push_back(fmt::format("run {} ({}, {} models, {} suites)", run["run_key"].get<std::string>(),
                            run["status"].get<std::string>(), report["models"].size(),
                            report["suites"].size()));
  for (const auto& line : verdict_lines(report["verdict"])) out.push_back(line);
  if (report["verdict"].empty()) out.push_back("no merged model in this run: nothing to compare");
  for (const auto& r : report["history"]["regressions"]) {
    out.push_back(fmt::format("regression: {} on {} dropped {:+.4f} (95% CI ±{:.4f}) in {} since {}",
                              r["model"].get<std::string>(), r["suite"].get<std::string>(),
                              r["diff"].get<double>(), r["half_width"].get<double>(),
                              r["run_key"].get<std::string>(),
                              r["previous_run_key"].get<std::string>()));
  }
  return out;
}

std::vector<std::string> write_report(const std::string& db, const ReportOptions& options,
                                      const ReportFiles& files) {
  if (db.empty()) fail_input("--db", "expected the path of a results database, got ''");
  check_report_outputs(db, files);  // before the work, which may take a while
  InterruptScope interrupt;
  auto store = open_read_only(db);
  const auto report = build_report(store, options);
  // Both files are written in full beside their final paths, then renamed
  // into place together: an interrupt or a failed write leaves neither.
  struct Output {
    std::string path, content;
  };
  std::vector<Output> outputs;
  if (!files.json.empty()) {
    outputs.push_back(
        {files.json, report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"});
  }
  if (!files.html.empty()) outputs.push_back({files.html, render_html(report)});
  std::vector<std::unique_ptr<ParentDirectories>> parents;
  std::vector<std::unique_ptr<AtomicPath>> targets;
  for (const auto& o : outputs) {
    parents.push_back(std::make_unique<ParentDirectories>(o.path));
    targets.push_back(std::make_unique<AtomicPath>(o.path));
    targets.back()->write(o.content);
  }
  stop_if_interrupted();
  for (auto& t : targets) t->commit();
  for (auto& p : parents) p->keep();
  return summary_lines(report);
}

}  // namespace moebench::reports
