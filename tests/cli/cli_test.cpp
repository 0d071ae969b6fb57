// The `moebench` binary end to end: output formats, exit codes, messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/testing/test_env.h"

namespace moebench {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::run_moebench;
using testing::ScratchDir;

// A model directory holding only a config.json with real models' dimensions.
fs::path config_only(const ScratchDir& dir, const std::string& name, int experts) {
  nlohmann::json c = {{"architectures", {experts ? "MixtralForCausalLM" : "MistralForCausalLM"}},
                      {"hidden_size", 4096}, {"intermediate_size", 14336},
                      {"num_hidden_layers", 32}, {"num_attention_heads", 32},
                      {"num_key_value_heads", 8}, {"vocab_size", 32000},
                      {"max_position_embeddings", 32768}, {"rms_norm_eps", 1e-5},
                      {"rope_theta", 1e6}, {"tie_word_embeddings", false}};
  if (experts) {
    c["num_local_experts"] = experts;
    c["num_experts_per_tok"] = 2;
  }
  testing::write_text(dir.path() / name / "config.json", c.dump(2));
  return dir.path() / name;
}

TEST(Cli, InspectCountsFrankenMoEAndMixtralFromConfigAlone) {
  ScratchDir dir;
  auto r = run_moebench({"inspect", config_only(dir, "4x7b", 4).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("24,153,690,112"), HasSubstr("12,879,400,960"),
                           HasSubstr("MixtralSparseMoeBlock"), HasSubstr("(0-3): 4 x")));
  r = run_moebench({"inspect", config_only(dir, "8x7b", 8).string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["total_parameters"], 46702792704);
  EXPECT_EQ(j["active_parameters"], 12879925248);
  r = run_moebench({"inspect", config_only(dir, "7b", 0).string()});
  EXPECT_THAT(r.out, AllOf(HasSubstr("7,241,732,096"), HasSubstr("MistralMLP")));
}

TEST(Cli, InspectReferenceMixtral) {
  MOEBENCH_REQUIRE_SHARED();
  auto r = run_moebench({"inspect", (testing::shared_dir() / "reference/models/tiny-mixtral").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("MixtralForCausalLM("), HasSubstr("466,112"),
                           HasSubstr("281,792"), HasSubstr("top-2 of 4 experts")));
}

TEST(Cli, MakeTinyThenScoreLogitsAndGenerate) {
  ScratchDir dir;
  const std::string model = (dir.path() / "m").string();
  auto r = run_moebench({"make-tiny", "--arch", "mixtral", "--out", model});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  r = run_moebench({"logits", model, "--ids", "1,20,30,40", "--json", "--routing"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["logits"].size(), 4u);
  EXPECT_EQ(j["logits"][0].size(), 512u);
  ASSERT_EQ(j["routing"].size(), 4u);
  EXPECT_EQ(j["routing"][3][1]["experts"].size(), 2u);

  r = run_moebench({"score", model, "--ids", "1,20,30,40", "--from", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["token_logprobs"].size(), 2u);
  EXPECT_NEAR(j["logprob"].get<double>(),
              j["token_logprobs"][0].get<double>() + j["token_logprobs"][1].get<double>(), 1e-5);

  r = run_moebench({"score", model, "--context", "Once upon a", "--continuation", " time"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("sum log-prob"));

  r = run_moebench({"generate", model, "--prompt", "The cat", "--max-new-tokens", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("The cat"));
}

// The demo itself runs in ctest's demo_run (tests/demo/); here only its help.
TEST(Cli, DemoHelpExplainsTheJobAndItsFlags) {
  auto r = run_moebench({"demo", "--help"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("oracle-routing upper bound"), HasSubstr("--retrain"),
                           HasSubstr("--out"), HasSubstr("--world")));
}

TEST(Cli, BadInputsExitTwoWithAMessage) {
  ScratchDir dir;
  const std::string model = (dir.path() / "m").string();
  ASSERT_EQ(run_moebench({"make-tiny", "--arch", "llama", "--out", model}).exit_code, 0);
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  std::vector<Case> cases = {
      {{"inspect", (dir.path() / "missing").string()}, "config.json"},
      {{"logits", model, "--ids", "1,x"}, "'x'"},
      {{"logits", model, "--ids", "1,99999"}, "99999"},
      {{"logits", model, "--ids", "1,2", "--routing"}, "--routing"},
      {{"score", model, "--ids", "1,2,3", "--from", "3"}, "--from"},
      {{"generate", model, "--prompt", "x", "--device", "tpu"}, "tpu"},
      {{"generate", model, "--prompt", "x", "--dtype", "int4"}, "int4"},
      {{"make-tiny", "--arch", "gpt2", "--out", (dir.path() / "g").string()}, "gpt2"},
      {{"make-tiny", "--out", model}, "exists"},
  };
  for (const auto& c : cases) {
    auto r = run_moebench(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args[0] << " " << c.args.back() << ": " << r.err;
    EXPECT_THAT(r.err, AllOf(HasSubstr("moebench: error:"), HasSubstr(c.expected)))
        << c.args[0];
  }
  testing::write_text(dir.path() / "broken" / "config.json", "{\"architectures\": [");
  auto r = run_moebench({"inspect", (dir.path() / "broken").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("broken/config.json"), HasSubstr("malformed JSON")));
}

TEST(Cli, HelpExplainsEveryCommand) {
  auto r = run_moebench({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"inspect", "generate", "score", "logits", "make-tiny", "demo"}) {
    EXPECT_THAT(r.out, HasSubstr(cmd));
  }
}

}  // namespace
}  // namespace moebench
