// Progress of a whole evaluation plan: a sequence of units (one model x one
// task, each with a known number of documents). On a terminal it is one line
// redrawn in place; in a log (cron, Slurm) it is timestamped lines, few enough
// to read, that still show a stalled or slow run and when it will end.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <mutex>
#include <string>

namespace moebench {

struct PlanProgressOptions {
  using Clock = std::chrono::steady_clock;
  // Auto: Bar when `out` is std::cerr and stderr is a terminal, Lines otherwise;
  // MOEBENCH_PROGRESS=0 turns it off and =1 forces the Bar (as for ProgressBar).
  // An explicit mode is obeyed as is: the caller has already decided.
  enum class Mode { Auto, Bar, Lines, Off };

  std::ostream* out = &std::cerr;
  Mode mode = Mode::Auto;
  // Lines mode: at most one progress line per interval between start and end.
  std::chrono::seconds line_interval{30};
  // Injected by tests. When set, timestamps are the wall time at construction
  // plus this clock's elapsed time, so the output is reproducible.
  std::function<Clock::time_point()> clock;
};

class PlanProgress {
 public:
  PlanProgress(int64_t total_units, int64_t total_docs, PlanProgressOptions options = {});
  ~PlanProgress();  // ends a drawn bar's line; prints no summary (see finish)

  // `already_done_docs` were stored by an earlier run: they count as done but
  // not toward the rate, which only measures work done by this process. A unit
  // wholly done before is reported in one line and end_unit prints nothing.
  void begin_unit(const std::string& model, const std::string& task, int64_t docs_in_unit,
                  int64_t already_done_docs = 0);
  // Thread-safe; workers may call it as each document finishes.
  void advance(int64_t docs = 1);
  void end_unit();
  // A warning or note on a line of its own, without breaking the bar
  // (with a timestamp in Lines mode; printed even when progress is Off).
  void note(const std::string& line);
  // Final line: units, documents processed, elapsed time and rate.
  void finish();

  // The mode Auto resolves to for `out` (reads MOEBENCH_PROGRESS and stderr).
  static PlanProgressOptions::Mode resolve_mode(PlanProgressOptions::Mode mode,
                                                const std::ostream* out);

 private:
  using TimePoint = PlanProgressOptions::Clock::time_point;
  TimePoint now() const;
  std::string timestamp(TimePoint t) const;
  std::string status(TimePoint t, bool for_bar) const;
  void draw_bar(TimePoint t, bool final_line);
  void write_line(TimePoint t, const std::string& text);

  PlanProgressOptions options_;
  PlanProgressOptions::Mode mode_;
  int64_t total_units_, total_docs_;
  size_t columns_ = 120;  // bar width limit
  mutable std::mutex mutex_;
  TimePoint start_, unit_start_, last_output_;
  std::chrono::system_clock::time_point wall_start_;
  std::string model_, task_;
  int64_t unit_index_ = 0, unit_docs_ = 0, unit_done_ = 0, unit_processed_ = 0;
  int64_t plan_done_ = 0, plan_processed_ = 0;
  bool in_unit_ = false, unit_was_stored_ = false, drawn_ = false, finished_ = false;
};

}  // namespace moebench
