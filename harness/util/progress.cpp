#include "harness/util/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace moebench {
namespace {

int& enabled_state() {
  static int state = [] {
    const char* env = std::getenv("MOEBENCH_PROGRESS");
    if (env && std::strcmp(env, "0") == 0) return 0;
    if (env && std::strcmp(env, "1") == 0) return 1;
    return isatty(STDERR_FILENO) ? 1 : 0;
  }();
  return state;
}

std::string format_seconds(double s) {
  if (s < 0 || s > 1e7) return "?";
  int total = static_cast<int>(s + 0.5);
  if (total >= 3600) return fmt::format("{}h{:02}m", total / 3600, total / 60 % 60);
  return fmt::format("{:02}:{:02}", total / 60, total % 60);
}

}  // namespace

ProgressBar::ProgressBar(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::set_enabled(bool enabled) { enabled_state() = enabled ? 1 : 0; }

void ProgressBar::advance(int64_t n) {
  done_ += n;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ > std::chrono::milliseconds(200) || done_ >= total_) {
    last_draw_ = now;
    draw(false);
  }
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  if (drawn_) draw(true);
}

void ProgressBar::draw(bool final_line) {
  if (!enabled_state()) return;
  drawn_ = true;
  double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? done_ / elapsed : 0.0;
  double eta = rate > 0 ? (total_ - done_) / rate : -1;
  constexpr int kWidth = 30;
  int filled = total_ > 0 ? static_cast<int>(kWidth * std::min<double>(1.0, 1.0 * done_ / total_)) : 0;
  std::string bar(filled, '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "\r%s [%s] %lld/%lld %s  %.1f %s/s  ETA %s%s", label_.c_str(), bar.c_str(),
               static_cast<long long>(done_), static_cast<long long>(total_), unit_.c_str(), rate,
               unit_.c_str(), format_seconds(eta).c_str(), final_line ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace moebench
