#include "harness/jobs/demo_job.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "harness/jobs/demo_summary.h"
#include "harness/jobs/demo_training.h"
#include "harness/jobs/plan_runner.h"
#include "harness/model/cpu_threads.h"
#include "harness/util/thread_count.h"
#include "harness/util/atomic_path.h"
#include "harness/util/error.h"
#include "harness/world/demo_world.h"
#include "reports/report.h"

#ifndef MOEBENCH_SOURCE_DIR
#define MOEBENCH_SOURCE_DIR "."
#endif

namespace fs = std::filesystem;

namespace moebench::jobs {
namespace {

constexpr const char* kPlan = "demo-plan.yml";

std::vector<std::string> model_dirs() {
  std::vector<std::string> dirs = {"base"};
  for (const std::string& d : world::domain_names()) dirs.push_back(d);
  return dirs;
}

// The models and suites the run depends on, as one fingerprint: a retrained
// world is a new run, the same world resumes the stored one.
std::string world_fingerprint(const fs::path& world_dir) {
  std::string bytes;
  std::vector<fs::path> files;
  for (const std::string& m : model_dirs()) files.push_back(world_dir / m / "model.safetensors");
  for (const auto& e : fs::recursive_directory_iterator(world_dir / "tasks"))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) bytes += f.lexically_relative(world_dir).string() + "\n" + read_file(f);
  return fingerprint(bytes);
}

void check_world(const fs::path& world_dir) {
  const std::string remake = "remake it with: moebench demo --retrain";
  if (!fs::is_regular_file(world_dir / kPlan))
    fail_input(world_dir.string(), "no demo world here ({} is missing); give --world DIR", kPlan);
  for (const std::string& m : model_dirs())
    if (!fs::is_regular_file(world_dir / m / "model.safetensors"))
      fail_input((world_dir / m).string(), "the demo model is missing; {}", remake);
  if (!fs::is_directory(world_dir / "tasks"))
    fail_input((world_dir / "tasks").string(), "the demo suites are missing; {}", remake);
}

}  // namespace

fs::path default_demo_world_dir() {
  if (const char* env = std::getenv("MOEBENCH_DEMO"); env && *env) return env;
  return fs::path(MOEBENCH_SOURCE_DIR) / "models" / "demo";
}

DemoResult run_demo(const DemoOptions& options, std::ostream& out) {
  const fs::path world_dir = options.world_dir.empty() ? default_demo_world_dir() : options.world_dir;
  const int steps = options.retrain ? 4 : 3;
  int step = 0;
  auto announce = [&](const std::string& what) { out << fmt::format("[{}/{}] {}\n", ++step, steps, what) << std::flush; };
  if (options.retrain) {
    announce("training the demo models (about 10 minutes on 2 cores)");
    check_thread_count(options.threads, "--threads");
    model::use_cpu_threads(options.threads);
    retrain_demo_world(options.training, world_dir, out);
  }
  check_world(world_dir);

  DemoResult result;
  fs::create_directories(options.out_dir);
  result.db = options.out_dir / "results.sqlite";
  result.html = options.out_dir / "report.html";
  result.json = options.out_dir / "report.json";

  RunPlan plan = load_run_plan(world_dir / kPlan);
  if (options.threads > 0) plan.open.load.threads = options.threads;
  if (options.limit > 0) plan.eval.limit = static_cast<double>(options.limit);
  plan.hash = fingerprint(plan.hash + "|" + world_fingerprint(world_dir));
  announce(fmt::format("evaluating {} models on {} suites with routing logs -> {}", plan.models.size(),
                       plan.tasks.suites.size(), result.db.string()));
  PlanRunOptions run;
  run.run_key = "demo@" + plan.hash;
  run.progress = options.progress;
  run.resume_command = "moebench demo";
  const PlanRunSummary ran = run_plan(plan, run, result.db);
  out << fmt::format("  {} samples written, {} already stored\n", ran.samples_written, ran.samples_skipped);

  announce("writing the report -> " + result.html.string());
  reports::ReportOptions report;
  report.run = ran.run_key;
  reports::write_report(result.db.string(), report, {result.html.string(), result.json.string()});
  const nlohmann::json document = nlohmann::json::parse(read_file(result.json));
  const DemoScores scores = demo_scores(document);
  if (options.retrain && options.limit == 0)
    write_file_atomic(world_dir / "scores.json", scores_json(scores).dump(2) + "\n");
  result.summary = demo_summary(scores, document, result.html);
  for (const std::string& line : result.summary) out << line << "\n";
  return result;
}

}  // namespace moebench::jobs
