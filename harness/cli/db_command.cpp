// moebench db runs|scores|merge|export: read and combine results databases.
#include <fmt/format.h>

#include <iostream>

#include "harness/cli/commands.h"
#include "harness/store/db_merge.h"
#include "harness/store/result_rows.h"
#include "harness/store/results_document.h"
#include "harness/store/results_store.h"
#include "harness/store/schema.h"
#include "harness/util/atomic_path.h"
#include "harness/util/error.h"
#include "harness/util/output_path.h"

namespace moebench::cli {

namespace {

struct DbFlags {
  std::string db;
  std::string run;  // run id or run_key; empty: all runs
  bool csv = false, json = false;
  std::string out;  // export: file to write (atomically) instead of stdout
};

store::ResultsStore open_for_reading(const std::string& path) {
  store::StoreOptions options;
  options.database.read_only = true;
  return store::ResultsStore::open(path, options);
}

store::RowFormat format_of(const DbFlags& f) {
  return f.json ? store::RowFormat::Json : f.csv ? store::RowFormat::Csv : store::RowFormat::Table;
}

// --run takes a run id or a run_key; InputError naming both the flag and the value.
std::optional<int64_t> resolve_run(store::ResultsStore& store, const std::string& run) {
  if (run.empty()) return std::nullopt;
  for (const auto& r : store.runs())
    if (r.run_key == run || std::to_string(r.run_id) == run) return r.run_id;
  fail_input(store.file(), "--run '{}': no run with that id or run_key (see `moebench db runs`)",
             run);
}

void emit(const DbFlags& f, const std::string& text) {
  if (f.out.empty()) {
    std::cout << text;
  } else {
    write_file_atomic(f.out, text);
  }
}

CLI::App* reader(CLI::App* db, const char* name, const char* help,
                 std::shared_ptr<DbFlags> flags) {
  auto* cmd = db->add_subcommand(name, help);
  cmd->add_option("--db", flags->db, "results database (SQLite)")->required();
  auto* csv = cmd->add_flag("--csv", flags->csv, "CSV (RFC 4180) instead of a table");
  cmd->add_flag("--json", flags->json, "JSON instead of a table")->excludes(csv);
  return cmd;
}

}  // namespace

void register_db(CLI::App& app) {
  auto* db = app.add_subcommand("db", "Inspect, export and merge results databases");
  db->require_subcommand(1);

  auto runs = std::make_shared<DbFlags>();
  reader(db, "runs", "List the runs in a results database", runs)->callback([runs] {
    auto store = open_for_reading(runs->db);
    std::cout << store::format_runs(store.runs(), format_of(*runs));
  });

  auto scores = std::make_shared<DbFlags>();
  auto* scores_cmd = reader(db, "scores", "Print scores (value ± stderr, n) per run, model, task", scores);
  scores_cmd->add_option("--run", scores->run, "only this run (id or run_key)");
  scores_cmd->callback([scores] {
    auto store = open_for_reading(scores->db);
    std::cout << store::format_scores(store.scores(resolve_run(store, scores->run)),
                                      format_of(*scores));
  });

  auto exp = std::make_shared<DbFlags>();
  auto* export_cmd = reader(
      db, "export", "Export scores as CSV or as lm-evaluation-harness results JSON", exp);
  export_cmd->add_option("--run", exp->run, "only this run (id or run_key)");
  export_cmd->add_option("--out", exp->out, "write to this file (atomically) instead of stdout");
  export_cmd->callback([exp] {
    if (!exp->csv && !exp->json) fail_input("db export", "give --csv or --json");
    if (!exp->out.empty()) check_output_file(exp->out, "--out");
    auto store = open_for_reading(exp->db);
    const auto run = resolve_run(store, exp->run);
    // JSON: lm-eval's results file, one per (run, model), exactly as `eval --out` writes it.
    emit(*exp, exp->json ? store::results_documents(store, run).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"
                         : store::format_scores(store.scores(run), format_of(*exp)));
  });

  auto migrate = std::make_shared<std::string>();
  auto* migrate_cmd = db->add_subcommand(
      "migrate", "Upgrade a results database written by an older moebench to this schema version, in place");
  migrate_cmd->add_option("--db", *migrate, "results database (SQLite)")->required();
  migrate_cmd->callback([migrate] {
    int before = 0;
    {
      store::StoreOptions options;
      options.database.read_only = true;
      store::Database db(*migrate, options.database);  // fails for a missing file: nothing is created
      before = store::schema_version(db);
    }
    store::ResultsStore::open(*migrate);  // migrates in one transaction
    std::cout << fmt::format("{}: schema version {} -> {}\n", *migrate, before, store::kSchemaVersion);
  });

  auto into = std::make_shared<std::string>();
  auto sources = std::make_shared<std::vector<std::string>>();
  auto merge_options = std::make_shared<store::MergeOptions>();
  auto* merge = db->add_subcommand(
      "merge", "Merge shard databases into one once every shard of their runs is complete "
               "(target created if missing, only when all are in; idempotent)");
  merge->add_option("--db", *into, "target database")->required();
  merge->add_option("SHARDS", *sources, "databases to merge in")->required();
  merge->add_flag("--allow-incomplete", merge_options->allow_incomplete,
                  "merge runs with shards still running, interrupted, failed or missing (refused otherwise)");
  merge->callback([into, sources, merge_options] {
    check_output_file(*into, "--db");
    std::vector<std::filesystem::path> paths(sources->begin(), sources->end());
    // Checks every source first, and that their runs' shards are all complete.
    store::MergeStats s = store::merge_databases_into(*into, paths, *merge_options);
    std::cout << fmt::format(
        "merged {} database(s) into {}: {} samples added, {} already present; "
        "{} runs, {} models, {} tasks new; {} (run, model, task) groups updated\n",
        paths.size(), *into, s.samples_added, s.samples_present, s.runs_added, s.models_added,
        s.tasks_added, s.groups_updated);
  });
}

}  // namespace moebench::cli
