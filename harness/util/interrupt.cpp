#include "harness/util/interrupt.h"

#include <atomic>
#include <csignal>

namespace moebench {
namespace {

std::atomic<int> g_signal{0};
struct sigaction g_previous_int, g_previous_term;

extern "C" void on_stop_signal(int sig) {
  int expected = 0;
  if (g_signal.compare_exchange_strong(expected, sig)) return;
  // The second signal: the default action (terminate) now.
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

InterruptScope::InterruptScope() {
  g_signal = 0;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // reads and writes in flight complete
  sigaction(SIGINT, &action, &g_previous_int);
  sigaction(SIGTERM, &action, &g_previous_term);
}

InterruptScope::~InterruptScope() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
}

bool InterruptScope::requested() { return g_signal.load() != 0; }
int InterruptScope::signal() { return g_signal.load(); }

}  // namespace moebench
