#pragma once
// The one wrapper every MPI call goes through: a non-success return becomes
// a core::MpiError with MPI's own error string.  Only rsim/sched includes mpi.h.
#include <mpi.h>

#include <string>

namespace rsim::sched {

void mpi_check(int rc, const char* call, const char* where);

#define RSIM_MPI(call, where) ::rsim::sched::mpi_check((call), #call, (where))

// The sleeps of a rank polling for a message: doubling from 20 us up to
// `max_sleep_us`, and beyond it, for a wait that has lasted long, up to a
// tenth of the time waited so far (at most 50 ms).  A quick reply is seen
// at once; a rank with nothing to do until the job ends (64 ranks on 2
// cores, 2 tasks) wakes about 20 times a second, not 500, and sees the end
// at most 10% late.
class Backoff {
 public:
  explicit Backoff(int max_sleep_us) : max_us_(max_sleep_us) {}
  void sleep();  // sleeps the next interval
  void reset();  // a message came: start short again

 private:
  int max_us_;
  int next_us_ = 20;
  long long waited_us_ = 0;
};

// Waits for `req` without spinning hot: tests it, then sleeps with a
// Backoff(max_sleep_us).  Oversubscribed ranks stay idle.
void wait_sleeping(MPI_Request& req, const char* where, int max_sleep_us = 2000, MPI_Status* status = nullptr);

}  // namespace rsim::sched
