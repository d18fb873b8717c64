#include "rsim/sched/comm.hpp"

#include <cstdio>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "rsim/core/error.hpp"
#include "rsim/sched/mpi.hpp"

namespace rsim::sched {

void mpi_check(int rc, const char* call, const char* where) {
  if (rc == MPI_SUCCESS) return;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS) len = 0;
  throw core::MpiError(std::string(call) + " failed: " + std::string(msg, static_cast<std::size_t>(len)), where,
                       "check the MPI launcher (mpirun/srun) and that every rank runs the same rsim");
}

void Backoff::sleep() {
  constexpr long long kLongestUs = 50000;
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::microseconds(next_us_));
  waited_us_ += std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
  const long long cap = std::max<long long>(max_us_, std::min(kLongestUs, waited_us_ / 10));
  next_us_ = static_cast<int>(std::min<long long>(cap, 2LL * next_us_));
}

void Backoff::reset() {
  next_us_ = 20;
  waited_us_ = 0;
}

void wait_sleeping(MPI_Request& req, const char* where, int max_sleep_us, MPI_Status* status) {
  int flag = 0;
  // A short burst of tests catches the common fast reply without sleeping.
  for (int i = 0; i < 32 && !flag; ++i) RSIM_MPI(MPI_Test(&req, &flag, status ? status : MPI_STATUS_IGNORE), where);
  Backoff backoff(max_sleep_us);
  while (!flag) {
    backoff.sleep();
    RSIM_MPI(MPI_Test(&req, &flag, status ? status : MPI_STATUS_IGNORE), where);
  }
}

int launcher_rank() {
  for (const char* v : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
    if (const char* s = std::getenv(v)) return std::atoi(s);
  }
  return 0;
}

namespace {
// Open MPI chooses its messaging layer (pml) by starting every network
// library it was built with (UCX, libfabric, PSM) and keeping the best:
// 0.2 s of every start-up, alone or under mpirun.  rsim sends a few bytes
// per hand-out, which ob1 carries over shared memory, TCP or InfiniBand
// alike without that probing.  A choice made elsewhere wins: OMPI_MCA_pml
// in the environment (mpirun --mca pml sets it too).  docs/cluster.md.
void prefer_light_messaging() {
#ifdef OPEN_MPI
  ::setenv("OMPI_MCA_pml", "ob1", 0);
#endif
}
}  // namespace

Comm::Comm(int& argc, char**& argv) {
  prefer_light_messaging();
  int provided = 0;
  RSIM_MPI(MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided), "starting MPI");
  RSIM_MPI(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "starting MPI");
  RSIM_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "starting MPI");
  RSIM_MPI(MPI_Comm_size(MPI_COMM_WORLD, &size_), "starting MPI");
  threads_ok_ = provided >= MPI_THREAD_SERIALIZED;
}

Comm::~Comm() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

std::string Comm::broadcast(const std::string& s, int root) const {
  std::uint64_t n = broadcast(static_cast<std::uint64_t>(s.size()), root);
  std::string out = rank_ == root ? s : std::string(n, '\0');
  if (n > 0) {
    MPI_Request req;
    RSIM_MPI(MPI_Ibcast(out.data(), static_cast<int>(n), MPI_CHAR, root, MPI_COMM_WORLD, &req), "broadcast");
    wait_sleeping(req, "broadcast");
  }
  return out;
}

std::uint64_t Comm::broadcast(std::uint64_t v, int root) const {
  MPI_Request req;
  RSIM_MPI(MPI_Ibcast(&v, 1, MPI_UINT64_T, root, MPI_COMM_WORLD, &req), "broadcast");
  wait_sleeping(req, "broadcast");
  return v;
}

std::vector<std::string> Comm::gather(const std::string& mine, int root) const {
  int len = static_cast<int>(mine.size());
  std::vector<int> lens(rank_ == root ? static_cast<std::size_t>(size_) : 0);
  MPI_Request req;
  RSIM_MPI(MPI_Igather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, root, MPI_COMM_WORLD, &req), "gather");
  wait_sleeping(req, "gather");
  std::vector<int> offsets(lens.size(), 0);
  for (std::size_t i = 1; i < lens.size(); ++i) offsets[i] = offsets[i - 1] + lens[i - 1];
  std::string all(lens.empty() ? 0 : static_cast<std::size_t>(offsets.back() + lens.back()), '\0');
  RSIM_MPI(MPI_Igatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), offsets.data(), MPI_CHAR, root,
                        MPI_COMM_WORLD, &req),
           "gather");
  wait_sleeping(req, "gather");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < lens.size(); ++i) out.push_back(all.substr(static_cast<std::size_t>(offsets[i]),
                                                                       static_cast<std::size_t>(lens[i])));
  return out;
}

int Comm::first_true(bool mine) const {
  int in = mine ? rank_ : size_, out = size_;
  MPI_Request req;
  RSIM_MPI(MPI_Iallreduce(&in, &out, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD, &req), "agreeing on set-up");
  wait_sleeping(req, "agreeing on set-up");
  return out == size_ ? -1 : out;
}

void Comm::exit_without_finalize(int code) const {
  std::fflush(nullptr);
  std::_Exit(code);
}

void Comm::abort(int code) const {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

}  // namespace rsim::sched
