// What the report's token view and gate table read (schema version 3), from
// a real plan run on the tiny Mixtral: a generate_until task's logged routing
// marks the generated tokens as their own segments, stores one piece of text
// per routed token, keeps the consecutive-token pair counts of one run of
// positions per request, and the model row carries its routers' statistics.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "harness/io/tokenizer.h"
#include "harness/jobs/plan_runner.h"
#include "harness/store/results_store.h"
#include "tests/testing/test_env.h"
#include "tests/testing/tiny_models.h"

namespace moebench::store {
namespace {

namespace fs = std::filesystem;
using moebench::testing::ScratchDir;

std::string column(Database& db, const std::string& sql) {
  auto q = db.prepare(sql.c_str());
  return q.step() ? q.text(0) : "<no row>";
}

std::string joined(const std::vector<std::string>& pieces, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) out += pieces[i];
  return out;
}

std::string without_leading_spaces(const std::string& s) {
  const size_t first = s.find_first_not_of(' ');
  return first == std::string::npos ? "" : s.substr(first);
}

// The pair counts as they were before decode steps had segments of their
// own: one run per request over adjacent positions, computed from the blobs.
struct Pairs {
  int64_t pairs = 0, same_first = 0, same_topk = 0;
};
Pairs pairs_of_runs(const SampleRouting& r, size_t layer) {
  Pairs out;
  const LayerRouting& l = r.layers[layer];
  const int64_t k = l.top_k;
  int64_t start = 0;
  for (size_t s = 0; s < r.segments.size(); ++s) {
    const RoutingSegment& seg = r.segments[s];
    for (int64_t t = start; t < start + seg.tokens; ++t) {
      const bool first_of_run =
          t == start && !(s > 0 && r.segments[s - 1].request == seg.request &&
                          r.segments[s - 1].first_position + r.segments[s - 1].tokens == seg.first_position);
      if (first_of_run || t == 0) continue;
      ++out.pairs;
      out.same_first += l.expert_ids[(t - 1) * k] == l.expert_ids[t * k];
      bool shared = false;
      for (int64_t a = 0; a < k; ++a)
        for (int64_t b = 0; b < k; ++b) shared |= l.expert_ids[(t - 1) * k + a] == l.expert_ids[t * k + b];
      out.same_topk += shared;
    }
    start += seg.tokens;
  }
  return out;
}

TEST(RoutingText, GeneratedTokensPiecesAndGateStatsOfATinyMixtralRun) {
  model::TinyModelSpec spec;
  spec.max_position_embeddings = 2048;
  const fs::path model_dir = model::testing::tiny_model_dir(spec, "routing-text-mixtral");
  ScratchDir dir;
  moebench::testing::write_text(dir.path() / "plan.yml",
                                "plan: routing-text\nsuites: [math]\n"
                                "settings: {limit: 3, batch_size: 2, routing: tokens}\n"
                                "models:\n  - name: m\n    path: " + model_dir.string() + "\n");
  jobs::PlanRunOptions options;
  options.progress.mode = PlanProgressOptions::Mode::Off;
  const fs::path db_path = dir.path() / "r.sqlite";
  const jobs::PlanRunSummary summary = jobs::run_plan(jobs::load_run_plan(dir.path() / "plan.yml"), options, db_path);
  auto store = ResultsStore::open(db_path);
  Database& db = store.database();
  const int64_t model = summary.model_ids.at(0).second;
  const int64_t task = std::stoll(column(db, "SELECT task_id FROM tasks WHERE name = 'math_word_problems'"));
  const auto tokenizer = io::Tokenizer::load(model_dir);

  std::vector<Pairs> expected(spec.num_layers);
  int64_t generated_docs = 0;
  for (const SampleRecord& sample : store.stored_samples(summary.run_id, model, task)) {
    SCOPED_TRACE("doc " + std::to_string(sample.doc_id));
    const SampleRouting r = store.stored_routing(summary.run_id, model, task, sample.doc_id);
    ASSERT_FALSE(r.empty());
    ASSERT_EQ(static_cast<int64_t>(r.pieces.size()), r.tokens());
    for (const std::string& piece : r.pieces) EXPECT_FALSE(piece.empty());
    // One request: its prompt, then (when anything was fed back) its decode steps.
    ASSERT_GE(r.segments.size(), 1u);
    const RoutingSegment& prompt = r.segments[0];
    EXPECT_EQ(prompt.first_position, 0);
    // The prompt's pieces spell the prompt the model saw (kept whole: it
    // fits the context; generations get no BOS, as lm-eval encodes them),
    // with SentencePiece's dummy prefix as a leading space.
    EXPECT_EQ(joined(r.pieces, 0, prompt.tokens), " " + sample.prompt);
    EXPECT_EQ(prompt.tokens, static_cast<int64_t>(tokenizer->encode(sample.prompt, false).size()));
    if (r.segments.size() == 2) {
      ++generated_docs;
      EXPECT_EQ(r.decode_segments, std::vector<int32_t>{1});
      EXPECT_EQ(r.segments[1].request, 0);
      EXPECT_EQ(r.segments[1].first_position, prompt.tokens);
      // The generated tokens fed back: the response, or more of it when it
      // was cut at a stop string, or less (the last token is only predicted).
      const std::string generated = without_leading_spaces(joined(r.pieces, prompt.tokens, r.pieces.size()));
      const std::string response = without_leading_spaces(sample.responses.at(0).text);
      EXPECT_TRUE(response.rfind(generated, 0) == 0 || generated.rfind(response, 0) == 0)
          << "generated '" << generated << "' vs response '" << response << "'";
      EXPECT_EQ(column(db, "SELECT routing_decode FROM samples WHERE doc_id = " + std::to_string(sample.doc_id)), "[1]");
    } else {
      EXPECT_EQ(r.segments.size(), 1u);
      EXPECT_TRUE(r.decode_segments.empty());
    }
    for (size_t l = 0; l < r.layers.size(); ++l) {
      const Pairs p = pairs_of_runs(r, l);
      expected[l].pairs += p.pairs;
      expected[l].same_first += p.same_first;
      expected[l].same_topk += p.same_topk;
    }
  }
  EXPECT_GT(generated_docs, 0);
  // Pairs span the prompt/decode boundary, as when a generation was one segment.
  const std::vector<RoutingStats> aggregates = store.routing_aggregates(summary.run_id, model, task);
  ASSERT_EQ(aggregates.size(), expected.size());
  for (size_t l = 0; l < expected.size(); ++l) {
    EXPECT_EQ(aggregates[l].pairs, expected[l].pairs) << "layer " << l;
    EXPECT_EQ(aggregates[l].same_first, expected[l].same_first) << "layer " << l;
    EXPECT_EQ(aggregates[l].same_topk, expected[l].same_topk) << "layer " << l;
    EXPECT_EQ(aggregates[l].pairs, aggregates[l].tokens - 3) << "layer " << l;  // one run per document
  }

  // Every MoE layer's routers: E x E cosines with ones on the diagonal, and a
  // condition number of at least 1 (random N(0, 1) rows are independent).
  const ModelInfo info = store.stored_model(model);
  ASSERT_TRUE(info.gate_stats.contains("layers"));
  ASSERT_EQ(info.gate_stats["layers"].size(), static_cast<size_t>(spec.num_layers));
  for (size_t l = 0; l < info.gate_stats["layers"].size(); ++l) {
    const nlohmann::json& layer = info.gate_stats["layers"][l];
    EXPECT_EQ(layer["layer"], l);
    ASSERT_TRUE(layer["condition_number"].is_number());
    EXPECT_GE(layer["condition_number"].get<double>(), 1.0);
    ASSERT_EQ(layer["cosine"].size(), static_cast<size_t>(spec.num_experts));
    for (int64_t a = 0; a < spec.num_experts; ++a) {
      ASSERT_EQ(layer["cosine"][a].size(), static_cast<size_t>(spec.num_experts));
      EXPECT_NEAR(layer["cosine"][a][a].get<double>(), 1.0, 1e-12);
      for (int64_t b = 0; b < spec.num_experts; ++b)
        EXPECT_DOUBLE_EQ(layer["cosine"][a][b].get<double>(), layer["cosine"][b][a].get<double>());
    }
  }
  EXPECT_EQ(column(db, "SELECT json_array_length(gate_stats, '$.layers') FROM models"),
            std::to_string(spec.num_layers));
}

}  // namespace
}  // namespace moebench::store
