// moebench bench on a tiny shape: every row measured, the kept model loads as
// any model does (its tokenizer filled to the vocabulary asked for), and bad
// options are refused naming the flag.
#include "harness/jobs/bench_job.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "harness/io/model_config.h"
#include "harness/io/tokenizer.h"
#include "harness/util/error.h"
#include "tests/testing/test_env.h"

namespace moebench::jobs {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

BenchOptions tiny_bench() {
  BenchOptions o;
  o.shape.arch = "mixtral";
  o.shape.hidden_size = 64;
  o.shape.intermediate_size = 96;
  o.shape.num_layers = 2;
  o.shape.num_heads = 4;
  o.shape.num_kv_heads = 2;
  o.shape.vocab_size = 4000;  // beyond what the built-in corpus teaches: filled with unused pieces
  o.warmup = 0;
  o.repeats = 2;
  o.score_tokens = 24;
  o.score_batches = {1, 3};
  o.decode_tokens = 5;
  o.decode_batches = {1, 2};
  return o;
}

TEST(Bench, MeasuresEveryRowAndKeepsAModelThatLoads) {
  testing::ScratchDir dir;
  BenchOptions o = tiny_bench();
  o.save_dir = dir.path() / "model";
  const BenchReport report = run_bench(o);
  ASSERT_EQ(report.rows.size(), 5u);  // load, score x2, decode x2
  EXPECT_EQ(report.rows[0].work, "load");
  EXPECT_EQ(report.rows[1].work, "score");
  EXPECT_EQ(report.rows[2].batch, 3);
  EXPECT_EQ(report.rows[2].tokens, 3 * 24);
  EXPECT_EQ(report.rows[4].work, "decode");
  for (const BenchRow& row : report.rows) {
    EXPECT_EQ(row.runs.size(), 2u) << row.work;
    EXPECT_GT(row.mean, 0) << row.work;
    if (row.work != "load") EXPECT_GT(row.gflops, 0) << row.work;
  }
  EXPECT_GT(report.rows[3].weights_gbs, 0);
  EXPECT_EQ(report.model_dir, o.save_dir);
  EXPECT_EQ(io::ModelConfig::load(o.save_dir).vocab_size, 4000);
  EXPECT_EQ(io::Tokenizer::load(o.save_dir)->vocab_size(), 4000);
  EXPECT_THAT(bench_table(report), HasSubstr("decode, batch 2"));
  EXPECT_EQ(bench_json(report)["rows"].size(), 5u);

  // The kept model is measured again as a model on disk.
  BenchOptions again = tiny_bench();
  again.model_dir = o.save_dir;
  again.score_batches = {1};
  again.decode_batches = {1};
  EXPECT_EQ(run_bench(again).rows.size(), 3u);
}

TEST(Bench, BadOptionsNameTheFlag) {
  testing::ScratchDir dir;
  BenchOptions o = tiny_bench();
  o.repeats = 0;
  EXPECT_THAT([&] { run_bench(o); }, ::testing::ThrowsMessage<InputError>(HasSubstr("--repeats")));
  o = tiny_bench();
  o.decode_batches = {0};
  EXPECT_THAT([&] { run_bench(o); }, ::testing::ThrowsMessage<InputError>(HasSubstr("--decode-batches")));
  o = tiny_bench();
  o.save_dir = dir.path();  // exists
  EXPECT_THAT([&] { run_bench(o); }, ::testing::ThrowsMessage<InputError>(HasSubstr("--save")));
}

}  // namespace
}  // namespace moebench::jobs
