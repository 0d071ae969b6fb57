// The pieces of `eval` that follow lm-eval's command line: --output_path
// naming, --seed and --gen_kwargs parsing.
#include "harness/jobs/eval_job.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "harness/eval/task_selection.h"
#include "harness/util/error.h"

namespace moebench::jobs {
namespace {

using ::testing::HasSubstr;

TEST(EvalJobFiles, OutputPathAsLmEvalNamesIt) {
  // A folder: <folder>/<model_name_sanitized>/results_<date>.json and samples beside it.
  OutputFiles dir = lm_eval_output_files("out", "org/moe", {"gsm8k"}, "2024-05-01T02-13-07.412345");
  EXPECT_EQ(dir.results, "out/org__moe/results_2024-05-01T02-13-07.412345.json");
  EXPECT_EQ(dir.samples.at("gsm8k"), "out/org__moe/samples_gsm8k_2024-05-01T02-13-07.412345.jsonl");
  // FILE.json: <stem>_<date>.json, samples in its folder, no model folder.
  OutputFiles file = lm_eval_output_files("runs/r.json", "org/moe", {"gsm8k"}, "D");
  EXPECT_EQ(file.results, "runs/r_D.json");
  EXPECT_EQ(file.samples.at("gsm8k"), "runs/samples_gsm8k_D.jsonl");
  // Only ".json" makes a file (lm-eval: Path.suffix == ".json").
  EXPECT_EQ(lm_eval_output_files("x.jsonl", "m", {}, "D").results, "x.jsonl/m/results_D.json");
  EXPECT_TRUE(std::regex_match(lm_eval_date_id(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{6})")));
}

TEST(EvalJobFlags, SeedsAsLmEvalParsesThem) {
  EXPECT_EQ(parse_seeds("0,1234,1234,1234", "--seed"), (std::vector<int64_t>{0, 1234, 1234, 1234}));
  EXPECT_EQ(parse_seeds("7", "--seed"), (std::vector<int64_t>{7, 7, 7, 7}));
  EXPECT_EQ(parse_seeds("1,2,3", "--seed"), (std::vector<int64_t>{1, 2, 3, 1234}));
  EXPECT_EQ(parse_seeds("None, 2 ,3,4", "--seed"), (std::vector<int64_t>{-1, 2, 3, 4}));
  EXPECT_THROW(parse_seeds("1,2", "--seed"), InputError);
  EXPECT_THROW(parse_seeds("1,2,3,4,5", "--seed"), InputError);
  EXPECT_THROW(parse_seeds("x", "--seed"), InputError);
  EXPECT_THROW(parse_seeds("-1", "--seed"), InputError);
}

TEST(EvalJobFlags, GenKwargsAsLmEvalParsesThem) {
  EXPECT_EQ(eval::parse_gen_kwargs("max_gen_toks=64,until=Q:,temperature=0,do_sample=false"),
            (nlohmann::json{{"max_gen_toks", 64}, {"until", "Q:"}, {"temperature", 0}, {"do_sample", false}}));
  EXPECT_EQ(eval::parse_gen_kwargs(R"({"until": ["\n\n", "Question:"]})"),
            (nlohmann::json{{"until", {"\n\n", "Question:"}}}));
  EXPECT_EQ(eval::parse_gen_kwargs("temperature=0.0"), (nlohmann::json{{"temperature", 0.0}}));
  EXPECT_TRUE(eval::parse_gen_kwargs(" ").is_null());
  const auto error = [](const std::string& text) {
    try {
      eval::parse_gen_kwargs(text);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("<no error>");
  };
  EXPECT_THAT(error("do_sample=true"), HasSubstr("greedily"));
  EXPECT_THAT(error("temperature=0.7"), HasSubstr("greedily"));
  EXPECT_THAT(error("top_k=5"), HasSubstr("'top_k' is not supported"));
  EXPECT_THAT(error("max_gen_toks=\xc3\xa9"), HasSubstr("max_gen_toks"));
  EXPECT_THAT(error("max_gen_toks=99999999999999999999"), HasSubstr("max_gen_toks"));
  EXPECT_THAT(error("until"), HasSubstr("not key=value"));
  EXPECT_THAT(error("[1]"), HasSubstr("--gen_kwargs"));
}

}  // namespace
}  // namespace moebench::jobs
