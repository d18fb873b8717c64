#include "rsim/job/signals.hpp"

#include <unistd.h>

#include <csignal>

#include "rsim/core/error.hpp"
#include "rsim/run/runner.hpp"

namespace rsim::job {

namespace {
volatile sig_atomic_t g_signal = 0;
volatile sig_atomic_t g_sigints = 0;
volatile sig_atomic_t g_interrupt_tasks = 0;

void on_stop_signal(int sig) {
  if (sig == SIGINT && ++g_sigints >= 2) ::_exit(static_cast<int>(core::ExitCode::interrupted));
  if (g_signal == 0) g_signal = sig;
  if (g_interrupt_tasks) run::interrupt_running_task();
}
}  // namespace

void install_stop_signals(bool interrupt_tasks) {
  g_interrupt_tasks = interrupt_tasks ? 1 : 0;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGTERM, SIGINT, SIGUSR1}) sigaction(sig, &sa, nullptr);
}

int stop_signal() noexcept { return g_signal; }

}  // namespace rsim::job
