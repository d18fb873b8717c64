#pragma once
// The one wrapper every MPI call goes through: a non-success return becomes
// a core::MpiError with MPI's own error string.  Only rsim/sched includes mpi.h.
#include <mpi.h>

#include <string>

namespace rsim::sched {

void mpi_check(int rc, const char* call, const char* where);

#define RSIM_MPI(call, where) ::rsim::sched::mpi_check((call), #call, (where))

// Waits for `req` without spinning hot: tests it, then sleeps with a
// growing back-off (up to `max_sleep_us`).  Oversubscribed ranks stay idle.
void wait_sleeping(MPI_Request& req, const char* where, int max_sleep_us = 2000, MPI_Status* status = nullptr);

}  // namespace rsim::sched
