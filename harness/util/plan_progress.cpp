#include "harness/util/plan_progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "harness/util/text.h"

namespace moebench {
namespace {

using Mode = PlanProgressOptions::Mode;

// The terminal repaints far slower than workers finish documents.
constexpr std::chrono::milliseconds kRedrawEvery{100};
constexpr size_t kMaxColumns = 120;

double seconds_between(std::chrono::steady_clock::time_point a,
                       std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// "0:19", "12:04", "1:02:03"; "?" when unknown.
std::string format_duration(double s) {
  if (!(s >= 0) || s > 1e9) return "?";
  int64_t total = std::llround(s);
  if (total >= 3600)
    return fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60);
  return fmt::format("{}:{:02}", total / 60, total % 60);
}

std::string format_rate(double rate) {
  if (rate < 0) return "?";
  return fmt::format(rate >= 100 ? "{:.0f}" : rate >= 1 ? "{:.1f}" : "{:.2f}", rate);
}

// docs / elapsed, or -1 while there is no rate to speak of.
double rate_of(int64_t docs, double elapsed) {
  return docs > 0 && elapsed > 0 ? docs / elapsed : -1;
}

// Nothing left is done now, rate or not (a unit wholly stored has none).
double eta_of(int64_t remaining, double rate) {
  if (remaining <= 0) return 0;
  return rate > 0 ? remaining / rate : -1;
}

// Rounded down: 100% only once every document is done.
int64_t percent_of(int64_t done, int64_t total) {
  return total > 0 ? std::clamp<int64_t>(done * 100 / total, 0, 100) : 100;
}

// `text` cut to at most `width` code points, marking the cut with "...".
std::string fit(const std::string& text, size_t width) {
  if (utf8_length(text) <= width) return text;
  size_t keep = width > 3 ? width - 3 : width, points = 0, i = 0;
  for (; i < text.size(); ++i) {
    bool lead = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (lead && points++ == keep) break;
  }
  return text.substr(0, i) + (width > 3 ? "..." : "");
}

}  // namespace

Mode PlanProgress::resolve_mode(Mode mode, const std::ostream* out) {
  if (out == nullptr) return Mode::Off;
  if (mode != Mode::Auto) return mode;
  const char* env = std::getenv("MOEBENCH_PROGRESS");
  if (env && std::strcmp(env, "0") == 0) return Mode::Off;
  if (env && std::strcmp(env, "1") == 0) return Mode::Bar;
  return out == &std::cerr && isatty(STDERR_FILENO) ? Mode::Bar : Mode::Lines;
}

PlanProgress::PlanProgress(int64_t total_units, int64_t total_docs, PlanProgressOptions options)
    : options_(std::move(options)),
      mode_(resolve_mode(options_.mode, options_.out)),
      total_units_(total_units),
      total_docs_(total_docs),
      start_(now()),
      unit_start_(start_),
      last_output_(start_),
      wall_start_(std::chrono::system_clock::now()) {
  // A line longer than the terminal wraps, and "\r" then only rewinds its tail.
  winsize ws{};
  if (mode_ == Mode::Bar && options_.out == &std::cerr && isatty(STDERR_FILENO) &&
      ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    columns_ = std::clamp<size_t>(ws.ws_col, 40, kMaxColumns);
}

PlanProgress::~PlanProgress() {
  std::lock_guard lock(mutex_);
  if (mode_ == Mode::Bar && drawn_ && !finished_) {
    *options_.out << '\n';
    options_.out->flush();
  }
}

PlanProgress::TimePoint PlanProgress::now() const {
  return options_.clock ? options_.clock() : PlanProgressOptions::Clock::now();
}

std::string PlanProgress::timestamp(TimePoint t) const {
  auto wall = options_.clock
                  ? wall_start_ +
                        std::chrono::duration_cast<std::chrono::system_clock::duration>(t - start_)
                  : std::chrono::system_clock::now();
  std::time_t secs = std::chrono::system_clock::to_time_t(wall);
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

std::string PlanProgress::status(TimePoint t, bool for_bar) const {
  double unit_rate = rate_of(unit_processed_, seconds_between(unit_start_, t));
  double plan_rate = rate_of(plan_processed_, seconds_between(start_, t));
  int64_t percent = percent_of(plan_done_, total_docs_);
  std::string head = fmt::format("[unit {}/{}] ", unit_index_, total_units_);
  std::string unit_eta = format_duration(eta_of(unit_docs_ - unit_done_, unit_rate));
  std::string plan_eta = format_duration(eta_of(total_docs_ - plan_done_, plan_rate));
  if (!for_bar)
    return fmt::format("{}{} {}: {}/{} docs, {} docs/s, unit ETA {}; plan {}%, ETA {}", head,
                       model_, task_, unit_done_, unit_docs_, format_rate(unit_rate), unit_eta,
                       percent, plan_eta);
  std::string tail = fmt::format("  {}/{} docs  {} docs/s  ETA {} | plan {}%  ETA {}", unit_done_,
                                 unit_docs_, format_rate(unit_rate), unit_eta, percent, plan_eta);
  // Names give way first: the numbers are what the bar is for.
  size_t limit = columns_ - 1;
  size_t room = limit > head.size() + tail.size() + 1 ? limit - head.size() - tail.size() - 1 : 0;
  size_t model_len = utf8_length(model_), task_len = utf8_length(task_);
  size_t model_room = room / 2, task_room = room - model_room;
  if (model_len < model_room) task_room = room - model_len;
  if (task_len < task_room) model_room = room - task_len;
  return fit(head + fit(model_, model_room) + " " + fit(task_, task_room) + tail, limit);
}

void PlanProgress::draw_bar(TimePoint t, bool final_line) {
  *options_.out << '\r' << status(t, true) << "\x1b[K" << (final_line ? "\n" : "");
  options_.out->flush();
  drawn_ = true;
  last_output_ = t;
}

void PlanProgress::write_line(TimePoint t, const std::string& text) {
  *options_.out << timestamp(t) << ' ' << text << '\n';
  options_.out->flush();
  last_output_ = t;
}

void PlanProgress::note(const std::string& line) {
  std::lock_guard lock(mutex_);
  if (mode_ == Mode::Bar) {
    // Clear the bar's line, print the note on its own, and draw the bar again below it.
    *options_.out << "\r\x1b[K" << line << '\n';
    draw_bar(now(), false);
  } else if (mode_ == Mode::Lines) {
    write_line(now(), line);
  } else {
    (options_.out ? *options_.out : std::cerr) << line << '\n';
  }
}

void PlanProgress::begin_unit(const std::string& model, const std::string& task,
                              int64_t docs_in_unit, int64_t already_done_docs) {
  std::lock_guard lock(mutex_);
  TimePoint t = now();
  model_ = one_line(model, 200);
  task_ = one_line(task, 200);
  ++unit_index_;
  unit_docs_ = docs_in_unit;
  unit_done_ = already_done_docs;
  unit_processed_ = 0;
  unit_start_ = t;
  plan_done_ += already_done_docs;
  in_unit_ = true;
  unit_was_stored_ = already_done_docs >= docs_in_unit;
  if (mode_ == Mode::Bar) {
    draw_bar(t, false);
  } else if (mode_ == Mode::Lines) {
    std::string head = fmt::format("[unit {}/{}]", unit_index_, total_units_);
    if (unit_was_stored_)
      write_line(t, fmt::format("{} {} {}: all {} docs already stored", head, model_, task_,
                                docs_in_unit));
    else
      write_line(t, fmt::format("{} start {} {}: {} docs, {} already stored", head, model_, task_,
                                docs_in_unit, already_done_docs));
  }
}

void PlanProgress::advance(int64_t docs) {
  std::lock_guard lock(mutex_);
  unit_done_ += docs;
  unit_processed_ += docs;
  plan_done_ += docs;
  plan_processed_ += docs;
  if (mode_ == Mode::Off || finished_) return;
  TimePoint t = now();
  if (mode_ == Mode::Bar && t - last_output_ >= kRedrawEvery) draw_bar(t, false);
  if (mode_ == Mode::Lines && in_unit_ && t - last_output_ >= options_.line_interval)
    write_line(t, status(t, false));
}

void PlanProgress::end_unit() {
  std::lock_guard lock(mutex_);
  if (!in_unit_) return;
  in_unit_ = false;
  TimePoint t = now();
  if (mode_ == Mode::Bar) {
    draw_bar(t, false);
  } else if (mode_ == Mode::Lines && !unit_was_stored_) {
    double elapsed = seconds_between(unit_start_, t);
    double plan_rate = rate_of(plan_processed_, seconds_between(start_, t));
    write_line(t,
               fmt::format("[unit {}/{}] done {} {}: {} docs in {} ({} docs/s); plan {}%, ETA {}",
                           unit_index_, total_units_, model_, task_, unit_processed_,
                           format_duration(elapsed),
                           format_rate(std::max(0.0, rate_of(unit_processed_, elapsed))),
                           percent_of(plan_done_, total_docs_),
                           format_duration(eta_of(total_docs_ - plan_done_, plan_rate))));
  }
}

void PlanProgress::finish() {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  TimePoint t = now();
  if (mode_ == Mode::Bar) {
    draw_bar(t, true);
  } else if (mode_ == Mode::Lines) {
    double elapsed = seconds_between(start_, t);
    write_line(t, fmt::format("plan done: {}/{} units, {} docs processed in {} ({} docs/s)",
                              unit_index_, total_units_, plan_processed_, format_duration(elapsed),
                              format_rate(std::max(0.0, rate_of(plan_processed_, elapsed)))));
  }
}

}  // namespace moebench
