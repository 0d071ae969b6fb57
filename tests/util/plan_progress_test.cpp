#include "harness/util/plan_progress.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <regex>
#include <sstream>

#include "harness/util/text.h"

namespace moebench {
namespace {

using Mode = PlanProgressOptions::Mode;
using namespace std::chrono_literals;

// A clock the test moves by hand, and a stream to read back.
struct Fixture {
  PlanProgressOptions::Clock::time_point now{};
  std::ostringstream out;

  PlanProgressOptions options(Mode mode) {
    PlanProgressOptions o;
    o.out = &out;
    o.mode = mode;
    o.clock = [this] { return now; };
    return o;
  }
  std::vector<std::string> lines() const { return split(out.str(), '\n'); }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(PlanProgress, LinesModeStartIntervalAndEnd) {
  Fixture f;
  PlanProgress progress(2, 200, f.options(Mode::Lines));
  progress.begin_unit("model-x", "gsm8k", 100, 0);
  f.now += 10s;
  progress.advance(10);  // too soon for a line
  f.now += 20s;
  progress.advance(20);  // 30 s: 30 docs, 1 doc/s
  f.now += 10s;
  progress.advance(10);  // 10 s after the last line: none
  f.now += 60s;
  progress.advance(60);
  progress.end_unit();
  progress.finish();

  auto lines = f.lines();
  ASSERT_EQ(lines.size(), 6u) << f.out.str();  // start, 2 intervals, end, finish, ""
  EXPECT_EQ(lines.back(), "");
  std::regex stamp(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ )");
  for (size_t i = 0; i + 1 < lines.size(); ++i)
    EXPECT_TRUE(std::regex_search(lines[i], stamp)) << lines[i];
  EXPECT_TRUE(contains(lines[0], "[unit 1/2] start model-x gsm8k: 100 docs, 0 already stored"))
      << lines[0];
  // 70 docs left at 1 doc/s; the plan has 170 left.
  EXPECT_TRUE(contains(lines[1],
                       "[unit 1/2] model-x gsm8k: 30/100 docs, 1.0 docs/s, "
                       "unit ETA 1:10; plan 15%, ETA 2:50"))
      << lines[1];
  EXPECT_TRUE(contains(lines[2], "100/100 docs, 1.0 docs/s, unit ETA 0:00; plan 50%, ETA 1:40"))
      << lines[2];
  EXPECT_TRUE(contains(lines[3], "[unit 1/2] done model-x gsm8k: 100 docs in 1:40 (1.0 docs/s)"))
      << lines[3];
  EXPECT_TRUE(contains(lines[4], "plan done: 1/2 units, 100 docs processed in 1:40")) << lines[4];

  // Timestamps follow the injected clock: the end is 100 s after the start.
  auto seconds = [](const std::string& line) {
    return std::stoi(line.substr(11, 2)) * 3600 + std::stoi(line.substr(14, 2)) * 60 +
           std::stoi(line.substr(17, 2));
  };
  EXPECT_EQ((seconds(lines[3]) - seconds(lines[0]) + 86400) % 86400, 100);
}

TEST(PlanProgress, ResumedDocsDoNotInflateTheRate) {
  Fixture f;
  PlanProgress progress(2, 8000, f.options(Mode::Lines));
  progress.begin_unit("m", "t", 4000, 900);  // 900 stored by an earlier run
  f.now += 30s;
  progress.advance(30);
  auto lines = f.lines();
  ASSERT_GE(lines.size(), 2u);
  EXPECT_TRUE(contains(lines[0], "4000 docs, 900 already stored")) << lines[0];
  // 30 docs in 30 s is 1 doc/s, not 930/30: 3070 docs of the unit and 7070 of
  // the plan are left.
  EXPECT_TRUE(
      contains(lines[1], "930/4000 docs, 1.0 docs/s, unit ETA 51:10; plan 11%, ETA 1:57:50"))
      << lines[1];
  progress.end_unit();
  progress.begin_unit("m", "u", 4000, 0);  // the unit rate starts over, the plan's does not
  f.now += 30s;
  progress.advance(3);
  // Unit: 3 docs in 30 s. Plan: 33 docs in 60 s, 7067 left.
  EXPECT_TRUE(contains(f.out.str(),
                       "[unit 2/2] m u: 3/4000 docs, 0.10 docs/s, unit ETA 11:06:10; "
                       "plan 11%, ETA 3:34:09"))
      << f.out.str();
}

TEST(PlanProgress, StoredUnitIsOneLine) {
  Fixture f;
  PlanProgress progress(3, 150, f.options(Mode::Lines));
  progress.begin_unit("m", "t", 50, 50);
  progress.end_unit();
  auto lines = f.lines();
  ASSERT_EQ(lines.size(), 2u) << f.out.str();
  EXPECT_TRUE(contains(lines[0], "[unit 1/3] m t: all 50 docs already stored")) << lines[0];
  f.out.str("");
  PlanProgress bar(1, 50, f.options(Mode::Bar));
  bar.begin_unit("m", "t", 50, 50);  // no rate, yet nothing left to wait for
  EXPECT_TRUE(contains(f.out.str(), "50/50 docs  ? docs/s  ETA 0:00 | plan 100%  ETA 0:00"))
      << f.out.str();
}

TEST(PlanProgress, BarRedrawsOneLineWithFractions) {
  Fixture f;
  PlanProgress progress(2, 200, f.options(Mode::Bar));
  progress.begin_unit("model-x", "gsm8k", 100, 0);
  EXPECT_TRUE(contains(f.out.str(),
                       "[unit 1/2] model-x gsm8k  0/100 docs  ? docs/s  ETA ? | "
                       "plan 0%  ETA ?"))
      << f.out.str();
  f.now += 10s;
  progress.advance(42);
  auto draws = [&f] {
    std::string text = f.out.str();
    return std::count(text.begin(), text.end(), '\r');
  };
  auto before = draws();
  f.now += 10ms;
  progress.advance(1);  // within the redraw interval: not drawn
  EXPECT_EQ(draws(), before);
  progress.finish();

  std::string text = f.out.str();
  EXPECT_EQ(text.front(), '\r');
  EXPECT_TRUE(contains(text, "42/100 docs  4.2 docs/s  ETA 0:14 | plan 21%  ETA 0:38")) << text;
  EXPECT_TRUE(contains(text, "43/100 docs")) << text;
  EXPECT_TRUE(contains(text, "\x1b[K"));
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
}

TEST(PlanProgress, BarFitsIn120ColumnsWithLongNames) {
  Fixture f;
  PlanProgress progress(100, 1000000, f.options(Mode::Bar));
  progress.begin_unit(std::string(150, 'm'), std::string(80, 't'), 100000, 0);
  f.now += 1s;
  progress.advance(12345);
  progress.finish();
  for (const std::string& draw : split(f.out.str(), '\r')) {
    std::string line = draw.substr(0, draw.find("\x1b[K"));
    EXPECT_LE(utf8_length(line), 119u) << line;
    if (!line.empty()) EXPECT_TRUE(contains(line, "mmm... ttt")) << line;
  }
  EXPECT_TRUE(contains(f.out.str(), "12345/100000 docs")) << f.out.str();
}

TEST(PlanProgress, OffPrintsNothing) {
  Fixture f;
  {
    PlanProgress progress(1, 10, f.options(Mode::Off));
    progress.begin_unit("m", "t", 10, 0);
    f.now += 60s;
    progress.advance(10);
    progress.end_unit();
    progress.finish();
  }
  EXPECT_EQ(f.out.str(), "");
}

TEST(PlanProgress, NotesGetALineOfTheirOwn) {
  Fixture bar;
  PlanProgress on_terminal(1, 10, bar.options(Mode::Bar));
  on_terminal.begin_unit("m", "t", 10, 0);
  on_terminal.note("warning: cut");
  // The bar's line is cleared, the note ends its line, and the bar is drawn again after it.
  EXPECT_TRUE(contains(bar.out.str(), "\r\x1b[Kwarning: cut\n\r[unit 1/1]")) << bar.out.str();

  Fixture log;
  PlanProgress in_log(1, 10, log.options(Mode::Lines));
  in_log.note("warning: cut");
  EXPECT_TRUE(std::regex_search(log.out.str(), std::regex(R"(^\d{4}-\d\d-\d\dT[0-9:]+Z warning: cut\n$)")))
      << log.out.str();

  Fixture off;
  PlanProgress quiet(1, 10, off.options(Mode::Off));
  quiet.note("warning: cut");
  EXPECT_EQ(off.out.str(), "warning: cut\n");  // progress off, warnings still shown
}

TEST(PlanProgress, AutoFollowsTheEnvironment) {
  std::optional<std::string> saved;
  if (const char* env = std::getenv("MOEBENCH_PROGRESS")) saved = env;
  std::ostringstream out;
  setenv("MOEBENCH_PROGRESS", "0", 1);
  EXPECT_EQ(PlanProgress::resolve_mode(Mode::Auto, &out), Mode::Off);
  EXPECT_EQ(PlanProgress::resolve_mode(Mode::Lines, &out), Mode::Lines);  // explicit wins
  setenv("MOEBENCH_PROGRESS", "1", 1);
  EXPECT_EQ(PlanProgress::resolve_mode(Mode::Auto, &out), Mode::Bar);
  unsetenv("MOEBENCH_PROGRESS");
  EXPECT_EQ(PlanProgress::resolve_mode(Mode::Auto, &out), Mode::Lines);  // not a terminal
  EXPECT_EQ(PlanProgress::resolve_mode(Mode::Bar, nullptr), Mode::Off);
  if (saved) setenv("MOEBENCH_PROGRESS", saved->c_str(), 1);
}

}  // namespace
}  // namespace moebench
