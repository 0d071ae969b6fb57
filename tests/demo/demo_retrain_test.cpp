// `moebench demo --retrain` end to end on a copy of the demo world, with a
// handful of steps: every file of the world is remade, the demo then runs on
// it, and running the demo again resumes the stored run instead of redoing it.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness/io/model_config.h"
#include "harness/util/atomic_path.h"
#include "harness/world/demo_world.h"
#include "tests/testing/test_env.h"

namespace fs = std::filesystem;

namespace moebench::jobs {
namespace {

using ::moebench::testing::run_moebench;

TEST(DemoRetrain, RemakesTheWholeWorldAndTheDemoRunsOnIt) {
  ::moebench::testing::ScratchDir dir;
  const fs::path world = dir.path() / "world";
  fs::create_directories(world);
  fs::copy_file(fs::path(MOEBENCH_TEST_SOURCE_DIR) / "models/demo/demo-plan.yml", world / "demo-plan.yml");
  const fs::path out = dir.path() / "out";
  // A few documents per task: the evaluation at full size is demo_run's.
  auto r = run_moebench({"demo", "--world", world.string(), "--out", out.string(), "--retrain",
                         "--base-steps", "2", "--expert-steps", "1", "--limit", "6"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  std::vector<std::string> models = {"base"};
  for (const auto& d : world::domain_names()) models.push_back(d);
  for (const auto& m : models) {
    const io::ModelConfig c = io::ModelConfig::load(world / m);
    EXPECT_EQ(c.torch_dtype, "bfloat16") << m;
    EXPECT_EQ(c.architecture, "LlamaForCausalLM") << m;
    EXPECT_TRUE(fs::exists(world / m / "tokenizer.model")) << m;
  }
  for (const char* f : {"training.json", "demo-hidden.yml", "demo-cheap-embed.yml",
                        "tasks/demo_math/demo_math.yaml", "tasks/demo_roleplay/demo_roleplay_replies.jsonl"})
    EXPECT_TRUE(fs::exists(world / f)) << f;
  EXPECT_NE(read_file(world / "training.json").find("\"steps\": 2"), std::string::npos);
  EXPECT_TRUE(fs::exists(out / "report.html"));
  EXPECT_NE(r.out.find("oracle upper bound"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(world / "scores.json")) << "scores of a limited run are not the world's";

  // The same world again: the run is found and resumed, nothing is re-evaluated.
  r = run_moebench({"demo", "--world", world.string(), "--out", out.string(), "--limit", "6"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(" 0 samples written"), std::string::npos) << r.out;
}

TEST(DemoRetrain, AnIncompleteWorldNamesWhatIsMissingAndHowToRemakeIt) {
  ::moebench::testing::ScratchDir dir;
  fs::copy_file(fs::path(MOEBENCH_TEST_SOURCE_DIR) / "models/demo/demo-plan.yml", dir.path() / "demo-plan.yml");
  const auto r = run_moebench({"demo", "--world", dir.path().string(), "--out", (dir.path() / "out").string()});
  ::moebench::testing::expect_one_line_error(r, {(dir.path() / "base").string(), "moebench demo --retrain"});
  EXPECT_FALSE(fs::exists(dir.path() / "out"));
}

}  // namespace
}  // namespace moebench::jobs
