// Report generation on a 100,000-sample database: 1 merge (4x, 32 layers,
// top-2) + its base + 3 experts, 4 suites of 5,000 documents each, two
// suites scored 0/1 (McNemar) and two continuous (paired bootstrap, 10,000
// resamples), the merge's routing logged token by token up to the default
// cap (50,000 tokens per task, 200 tokens per document). Target: < 10 s and
// a page < 5 MB.
//   build/tests/moebench_bench --benchmark_filter=Report
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>

#include "harness/store/results_store.h"
#include "reports/html_report.h"
#include "reports/report.h"

namespace {

namespace fs = std::filesystem;
using namespace moebench;

constexpr int kDocs = 5000, kLayers = 32, kExperts = 4, kTokens = 200;
const char* kSuites[] = {"math", "coding", "truthfulness", "roleplay"};

store::ModelInfo model(const std::string& name, bool merge) {
  store::ModelInfo m;
  m.name = name;
  m.content_hash = name;
  m.path = "/models/" + name;
  m.num_layers = kLayers;
  if (merge) {
    m.gate_variant = "hidden";
    m.architecture = "MixtralForCausalLM";
    m.num_experts = kExperts;
    m.experts_per_token = 2;
    m.recipe = "base_model: base\ngate_mode: hidden\n";
    m.recipe_path = "moe.yml";
    m.base_model = "base";
    for (int e = 0; e < kExperts; ++e) {
      m.experts.push_back({"expert" + std::to_string(e % 3), "expert" + std::to_string(e), {"p"}, {}});
    }
  }
  return m;
}

fs::path database() {
  const fs::path path = fs::temp_directory_path() / "moebench-bench-report-100k.sqlite";
  if (fs::exists(path)) return path;
  const fs::path temp = path.string() + ".partial";
  fs::remove(temp);
  auto store = store::ResultsStore::open(temp);
  store::RunInfo run_info;
  run_info.run_key = "bench";
  const int64_t run = store.begin_run(run_info);
  std::vector<int64_t> models = {store.upsert_model(model("moe", true)),
                                 store.upsert_model(model("base", false))};
  for (int e = 0; e < 3; ++e) models.push_back(store.upsert_model(model("expert" + std::to_string(e), false)));
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(0, 1);
  for (int s = 0; s < 4; ++s) {
    const bool binary = s < 2;
    store::SuiteInfo suite{kSuites[s], kSuites[s], "", "1", {kSuites[s]}, {{"acc", {"none"}, true}}};
    const int64_t suite_id = store.upsert_suite(suite);
    store::TaskInfo t{kSuites[s], kSuites[s], kSuites[s], "1", "generate_until", kDocs, "expert0"};
    const int64_t task = store.upsert_task(t);
    for (size_t m = 0; m < models.size(); ++m) {
      std::vector<double> values;
      for (int d0 = 0; d0 < kDocs; d0 += 250) {
        std::vector<store::SampleRecord> batch;
        for (int d = d0; d < d0 + 250; ++d) {
          store::SampleRecord r;
          r.doc_id = d;
          r.prompt = "Question " + std::to_string(d) + std::string(400, 'q');
          store::SampleResponse resp;
          resp.text = "Answer " + std::string(200, 'a');
          r.responses = {resp};
          const double v = binary ? (unit(rng) < 0.5 + 0.05 * m ? 1.0 : 0.0) : unit(rng);
          values.push_back(v);
          r.score.metrics["acc,none"] = v;
          r.score.target = "gold";
          if (m == 0) {
            r.routing.segments = {{0, 0, kTokens - 20}, {0, kTokens - 20, 20}};
            r.routing.decode_segments = {1};
            for (int t = 0; t < kTokens; ++t) r.routing.pieces.push_back(" tok");
            for (int l = 0; l < kLayers; ++l) {
              store::LayerRouting lr{l, 2, kExperts, {}, {}};
              for (int t = 0; t < kTokens; ++t) {
                const int first = static_cast<int>(rng() % kExperts);
                lr.expert_ids.push_back(first);
                lr.expert_ids.push_back((first + 1) % kExperts);
                lr.weights.push_back(0.7f);
                lr.weights.push_back(0.3f);
              }
              r.routing.layers.push_back(std::move(lr));
            }
          }
          batch.push_back(std::move(r));
        }
        store.write_samples(run, models[m], task, batch);
      }
      double mean = 0;
      for (double v : values) mean += v / values.size();
      double ss = 0;
      for (double v : values) ss += (v - mean) * (v - mean);
      store.write_scores(run, models[m], task,
                         {{"acc,none", {mean, std::sqrt(ss / (kDocs - 1) / kDocs), kDocs, true}}});
      store.update_suite_scores(run, models[m], suite_id);
    }
  }
  store.finish_run(run, store::RunStatus::Complete);
  fs::rename(temp, path);
  return path;
}

void BM_Report100kSamples(benchmark::State& state) {
  const fs::path db = database();
  store::StoreOptions read_only;
  read_only.database.read_only = true;
  size_t bytes = 0;
  for (auto _ : state) {
    auto store = store::ResultsStore::open(db, read_only);
    const std::string html = reports::render_html(reports::build_report(store, {}));
    bytes = html.size();
    benchmark::DoNotOptimize(html.data());
  }
  state.counters["html_MB"] = static_cast<double>(bytes) / (1 << 20);
  state.counters["samples"] = 5.0 * 4 * kDocs;
}
BENCHMARK(BM_Report100kSamples)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
