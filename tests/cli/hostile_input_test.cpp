// Hostile and careless inputs through the built binary: every file kind, every
// bad value. Each must end with exit status 2 and one line naming the file and
// field, before any work, never with a crash, a hang or an internal error.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <fstream>

#include "tests/testing/test_env.h"

namespace moebench {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::CommandResult;
using testing::run_moebench;
using testing::ScratchDir;
using testing::write_text;

fs::path tasks_dir() { return fs::path(MOEBENCH_TEST_SOURCE_DIR) / "tasks"; }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// One error line, exit 2: the contract for every bad input.
void expect_clear_error(const CommandResult& r, const std::vector<std::string>& fragments,
                        const std::string& what) {
  std::vector<std::string> expected = fragments;
  expected.push_back("moebench: error: ");
  testing::expect_one_line_error(r, expected, what);
}

class HostileInput : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scratch_ = new ScratchDir;
    model_ = (scratch_->path() / "tiny").string();
    ASSERT_EQ(run_moebench({"make-tiny", "--arch", "llama", "--out", model_}).exit_code, 0);
  }
  static void TearDownTestSuite() { delete scratch_; }

  // A copy of the tiny model with one file replaced.
  fs::path model_with(const std::string& file, const std::string& content) {
    const fs::path dir = dir_.path() / ("m-" + std::to_string(copies_++));
    fs::copy(model_, dir, fs::copy_options::recursive);
    write_text(dir / file, content);
    return dir;
  }

  static ScratchDir* scratch_;
  static std::string model_;
  ScratchDir dir_;
  int copies_ = 0;
};
ScratchDir* HostileInput::scratch_ = nullptr;
std::string HostileInput::model_;

const std::string kDeepJson(1000000, '[');
const std::string kDeepYaml = std::string(1000000, '[');

TEST_F(HostileInput, MillionDeepJsonInEveryModelFileKind) {
  for (const char* file : {"config.json", "tokenizer_config.json", "added_tokens.json"}) {
    const fs::path dir = model_with(file, kDeepJson);
    expect_clear_error(run_moebench({"logits", dir.string(), "--ids", "1,2"}),
                       {file, "nested deeper than 128 levels"}, file);
  }
  // The shard index and the safetensors header have their own, stricter bound.
  const fs::path sharded = model_with("model.safetensors.index.json", kDeepJson);
  expect_clear_error(run_moebench({"logits", sharded.string(), "--ids", "1,2"}),
                     {"model.safetensors.index.json", "nested deeper"}, "index");
  std::string header_len(8, '\0');
  for (int i = 0; i < 8; ++i) header_len[i] = static_cast<char>((kDeepJson.size() >> (8 * i)) & 0xFF);
  const fs::path header = model_with("model.safetensors", header_len + kDeepJson);
  expect_clear_error(run_moebench({"logits", header.string(), "--ids", "1,2"}),
                     {"model.safetensors", "nested deeper"}, "safetensors header");
}

TEST_F(HostileInput, MillionDeepJsonInItemsGenerationsAndDatasets) {
  // A task whose items file is hostile.
  std::string spec = slurp(tasks_dir() / "math/math_arithmetic_mc.yaml");
  write_text(dir_.path() / "t/math_arithmetic_mc.yaml", spec);
  write_text(dir_.path() / "t/math_arithmetic_mc.jsonl", kDeepJson + "\n");
  expect_clear_error(run_moebench({"eval", "--tasks", (dir_.path() / "t/math_arithmetic_mc.yaml").string(),
                                   "--generations", "/dev/null"}),
                     {"math_arithmetic_mc.jsonl:1", "nested deeper"}, "items");
  // Stored generations.
  write_text(dir_.path() / "gens.jsonl", kDeepJson + "\n");
  expect_clear_error(run_moebench({"eval", "--tasks", "math_word_problems", "--generations",
                                   (dir_.path() / "gens.jsonl").string()}),
                     {"gens.jsonl:1", "nested deeper"}, "generations");
  // A dataset adapter's file.
  write_text(dir_.path() / "tqa/mc_task.json", kDeepJson);
  expect_clear_error(run_moebench({"eval", "--data", "truthfulqa_mc1=" + (dir_.path() / "tqa").string(),
                                   "--generations", "/dev/null"}),
                     {"mc_task.json", "nested deeper"}, "truthfulqa");
}

TEST_F(HostileInput, MillionDeepYamlInTaskRecipeAndPlan) {
  write_text(dir_.path() / "deep_task.yaml", kDeepYaml);
  expect_clear_error(run_moebench({"eval", "--tasks", (dir_.path() / "deep_task.yaml").string(),
                                   "--generations", "/dev/null"}),
                     {"deep_task.yaml:1", "nested deeper than 64 levels"}, "task");
  write_text(dir_.path() / "deep_suite.yaml", "group: deep\ntask: " + kDeepYaml);
  expect_clear_error(run_moebench({"eval", "--suite", (dir_.path() / "deep_suite.yaml").string(),
                                   "--generations", "/dev/null"}),
                     {"deep_suite.yaml:2", "nested deeper"}, "suite");
  write_text(dir_.path() / "deep.yml", kDeepYaml);
  expect_clear_error(run_moebench({"merge", (dir_.path() / "deep.yml").string(), "--out",
                                   (dir_.path() / "out").string()}),
                     {"deep.yml:1", "nested deeper"}, "recipe");
  EXPECT_FALSE(fs::exists(dir_.path() / "out"));
  expect_clear_error(run_moebench({"inspect", (dir_.path() / "deep.yml").string()}),
                     {"deep.yml:1", "nested deeper"}, "inspect recipe");
  write_text(dir_.path() / "plan.yml", "plan: p\nmodels: " + kDeepYaml);
  expect_clear_error(run_moebench({"run", (dir_.path() / "plan.yml").string(), "--db",
                                   (dir_.path() / "r.sqlite").string()}),
                     {"plan.yml:2", "nested deeper"}, "plan");
  EXPECT_FALSE(fs::exists(dir_.path() / "r.sqlite"));
}

TEST_F(HostileInput, BillionLaughsTaskFailsInASecondWithinAHundredMegabytes) {
  std::string text = "task: lol\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (char c = 'b'; c <= 'i'; ++c)
    text += fmt::format("{0}: &{0} [*{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}]\n",
                        c, static_cast<char>(c - 1));
  write_text(dir_.path() / "lol.yaml", text);
  const CommandResult idle = run_moebench({"--version"});
  const CommandResult r = run_moebench(
      {"eval", "--tasks", (dir_.path() / "lol.yaml").string(), "--generations", "/dev/null"});
  expect_clear_error(r, {"lol.yaml:", "aliases expand to more than"}, "billion laughs");
  // Beyond what starting the binary costs (loading libtorch: about a second,
  // more on a loaded machine), which is not the input's doing.
  EXPECT_LT(r.wall_seconds - idle.wall_seconds, 1.0);
  EXPECT_LT(r.max_rss_bytes - idle.max_rss_bytes, int64_t{100} << 20);
}

TEST_F(HostileInput, OversizedFilesAndLinesAreRefusedBeforeReading) {
  for (const char* file : {"config.json", "tokenizer.model"}) {
    const fs::path dir = model_with(file, "{}");
    fs::resize_file(dir / file, uintmax_t{3} << 30);  // sparse: costs no disk
    expect_clear_error(run_moebench({"logits", dir.string(), "--ids", "1,2"}),
                       {file, "3.00 GiB", "over the"}, file);
  }
  write_text(dir_.path() / "t/items.yaml",
             "task: t\ndataset_path: items.jsonl\noutput_type: multiple_choice\n"
             "doc_to_text: \"{{q}}\"\ndoc_to_target: 0\ndoc_to_choice: \"{{c}}\"\n");
  write_text(dir_.path() / "t/items.jsonl",
             "{\"q\": \"" + std::string(size_t{20} << 20, 'x') + "\", \"c\": [\"a\"]}\n");
  expect_clear_error(run_moebench({"eval", "--tasks", (dir_.path() / "t/items.yaml").string(),
                                   "--generations", "/dev/null"}),
                     {"items.jsonl", "line 1 is 20.00 MiB long"}, "long line");
}

TEST_F(HostileInput, Latin1ByteInTaskYamlIsRefusedBeforeAnyWork) {
  std::string spec = slurp(tasks_dir() / "math/math_arithmetic_mc.yaml");
  spec.insert(spec.find("doc_to_text: \"") + 14, "R\xE9ponse ");
  write_text(dir_.path() / "t/math_arithmetic_mc.yaml", spec);
  fs::copy(tasks_dir() / "math/math_arithmetic_mc.jsonl", dir_.path() / "t/math_arithmetic_mc.jsonl");
  const CommandResult r = run_moebench(
      {"eval", "--model", model_, "--tasks", (dir_.path() / "t/math_arithmetic_mc.yaml").string()});
  expect_clear_error(r, {"math_arithmetic_mc.yaml", "0xE9", "not UTF-8"}, "latin-1");
  EXPECT_LT(r.wall_seconds, 10.0);  // refused at read time, not after evaluating
}

TEST_F(HostileInput, PlanValuesAreCheckedAndNamedByPlanKey) {
  const std::string head = "plan: p\nmodels:\n  - path: " + model_ + "\nsuites: math\nsettings:\n";
  struct Case {
    std::string settings, fragment;
  };
  for (const Case& c : std::vector<Case>{{"  limit: ten\n", "settings.limit"},
                                         {"  limit: [3]\n", "settings.limit"},
                                         {"  limit: -5\n", "settings.limit"},
                                         {"  batch_size: 0\n", "settings.batch_size"},
                                         {"  batch_size: many\n", "settings.batch_size"},
                                         {"  threads: 100000\n", "settings.threads"},
                                         {"  device: tpu\n", "field 'device'"},
                                         {"  dtype: int4\n", "field 'dtype'"},
                                         {"  add_bos_token: maybe\n", "settings.add_bos_token"}}) {
    write_text(dir_.path() / "plan.yml", head + c.settings);
    const CommandResult r = run_moebench({"run", (dir_.path() / "plan.yml").string(), "--db",
                                          (dir_.path() / "r.sqlite").string()});
    expect_clear_error(r, {"plan.yml:", c.fragment}, c.settings);
    EXPECT_THAT(r.err, ::testing::Not(HasSubstr("--"))) << "names a flag: " << r.err;
    EXPECT_FALSE(fs::exists(dir_.path() / "r.sqlite")) << c.settings;
  }
  write_text(dir_.path() / "plan.yml",
             "plan: p\nmodels:\n  - recipe: \"models/a\\0b.yml\"\nsuites: math\n");
  expect_clear_error(run_moebench({"run", (dir_.path() / "plan.yml").string(), "--db",
                                   (dir_.path() / "r.sqlite").string()}),
                     {"plan.yml:3", "NUL character"}, "NUL in a recipe path");
}

TEST_F(HostileInput, BadFlagValuesAndParseErrorsExitTwoNamingTheWord) {
  struct Case {
    std::vector<std::string> args;
    std::string fragment;
  };
  for (const Case& c : std::vector<Case>{
           {{"eval", "--tasks", "math_word_problems", "--generations", "/dev/null", "--limit", "-5"}, "--limit"},
           {{"logits", model_, "--ids", "1,2", "--threads", "100000"}, "--threads"},
           {{"eval", "--model", model_, "--suite", "math", "--batch-size", "0"}, "--batch-size"},
           {{"evl", "--suite", "math"}, "unknown command 'evl' (did you mean 'eval'?)"},
           {{"eval", "--bogus-flag"}, "--bogus-flag"},
           {{"logits", model_}, "--ids"},
           {{"logits", (fs::path(model_) / "config.json").string(), "--ids", "1"}, "is a file"},
       }) {
    expect_clear_error(run_moebench(c.args), {c.fragment}, c.args[0] + " " + c.args.back());
  }
  EXPECT_EQ(run_moebench({"eval", "--help"}).exit_code, 0);
}

TEST_F(HostileInput, ConfigDtypeIsBlamedOnTheConfigNotTheFlag) {
  nlohmann::json config = nlohmann::json::parse(slurp(fs::path(model_) / "config.json"));
  config["torch_dtype"] = "int8";
  const fs::path dir = model_with("config.json", config.dump());
  expect_clear_error(run_moebench({"logits", dir.string(), "--ids", "1,2", "--dtype", "auto"}),
                     {"config.json", "field 'torch_dtype'", "int8"}, "torch_dtype");
}

TEST_F(HostileInput, TemplateErrorsStayOnOneLine) {
  write_text(dir_.path() / "t/x.yaml",
             "task: x\ndataset_path: x.jsonl\noutput_type: multiple_choice\n"
             "doc_to_text: \"Question:\\n{{q\\nAnswer:\"\ndoc_to_target: 0\ndoc_to_choice: \"{{c}}\"\n");
  write_text(dir_.path() / "t/x.jsonl", "{\"q\": \"a\", \"c\": [\"b\"]}\n");
  expect_clear_error(run_moebench({"eval", "--tasks", (dir_.path() / "t/x.yaml").string(),
                                   "--generations", "/dev/null"}),
                     {"never closed", "\\n"}, "template");
}

TEST_F(HostileInput, NonFiniteWeightsAreRefusedAtLoad) {
  const fs::path dir = dir_.path() / "nan";
  fs::copy(model_, dir, fs::copy_options::recursive);
  // Plant a NaN in model.norm.weight through the safetensors header's offsets.
  const fs::path file = dir / "model.safetensors";
  std::string bytes = slurp(file);
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  const auto header = nlohmann::json::parse(bytes.substr(8, header_len));
  const auto& entry = header.at("model.norm.weight");
  ASSERT_EQ(entry["dtype"], "F32");
  const size_t at = 8 + header_len + entry["data_offsets"][0].get<size_t>() + 4 * 3;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(bytes.data() + at, &nan, 4);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
  expect_clear_error(run_moebench({"logits", dir.string(), "--ids", "1,2"}),
                     {"model.norm.weight", "non-finite", "flat index 3"}, "NaN weight");
}

TEST_F(HostileInput, HugeTinyModelSizesAreRefusedBeforeAllocating) {
  expect_clear_error(run_moebench({"make-tiny", "--arch", "llama", "--hidden", "65536",
                                   "--intermediate", "65536", "--layers", "100000", "--out",
                                   (dir_.path() / "huge").string()}),
                     {"sizes too large"}, "make-tiny");
  EXPECT_FALSE(fs::exists(dir_.path() / "huge"));
}

TEST_F(HostileInput, MegabytePositivePromptIsCheckedAgainstTheContext) {
  for (const char* name : {"base", "e1"})
    ASSERT_EQ(run_moebench({"make-tiny", "--arch", "llama", "--seed", name[0] == 'b' ? "100" : "101",
                            "--out", (dir_.path() / name).string()})
                  .exit_code, 0);
  write_text(dir_.path() / "r.yml",
             "base_model: base\ngate_mode: hidden\nexperts:\n  - source_model: e1\n"
             "    positive_prompts: [\"" + std::string(1 << 20, 'a') + "\"]\n"
             "  - source_model: base\n    positive_prompts: [\"b\"]\n");
  const CommandResult r = run_moebench({"merge", (dir_.path() / "r.yml").string(), "--out",
                                        (dir_.path() / "out").string()});
  expect_clear_error(r, {"r.yml: experts[0].positive_prompts", "max_position_embeddings"}, "prompt");
  EXPECT_LT(r.max_rss_bytes, int64_t{4} << 30);
}

}  // namespace
}  // namespace moebench
