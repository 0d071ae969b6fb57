// A one-line progress bar on stderr with rate and ETA. Silent when stderr is not
// a terminal unless forced, so logs and CI output stay clean.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace moebench {

class ProgressBar {
 public:
  // `unit` names what is counted ("tokens", "items", "tensors").
  ProgressBar(std::string label, int64_t total, std::string unit);
  ~ProgressBar();  // finishes the line if anything was drawn

  void advance(int64_t n = 1);
  void finish();
  // Enables/disables drawing for every bar (default: stderr is a TTY and
  // MOEBENCH_PROGRESS != 0; MOEBENCH_PROGRESS=1 forces it on).
  static void set_enabled(bool enabled);

 private:
  void draw(bool final_line);

  std::string label_, unit_;
  int64_t total_, done_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool drawn_ = false, finished_ = false;
};

}  // namespace moebench
