#pragma once
// The MPI world of one rsim run: initialisation, rank and size, and the few
// collectives the job needs, all waiting without busy-spinning.
#include <cstdint>
#include <string>
#include <vector>

namespace rsim::sched {

// The rank the launcher gave this process, read from its environment before
// MPI starts (0 without a launcher).  Lets `rsim --help` print once.
int launcher_rank();

class Comm {
 public:
  // MPI_Init_thread asking for MPI_THREAD_SERIALIZED (the hand-out thread on
  // rank 0 and its main thread never call MPI at the same time).
  Comm(int& argc, char**& argv);
  ~Comm();
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool threads_ok() const { return threads_ok_; }

  // Rank root's string on every rank.
  std::string broadcast(const std::string& s, int root = 0) const;
  std::uint64_t broadcast(std::uint64_t v, int root = 0) const;
  // Every rank's string, in rank order, on rank root (empty elsewhere).
  std::vector<std::string> gather(const std::string& mine, int root = 0) const;
  // The smallest rank whose `mine` is true, or -1.
  int first_true(bool mine) const;
  // Ends every rank of the job at once (after a fatal error mid-run).
  [[noreturn]] void abort(int code) const;
  // Ends this process with `code` without MPI_Finalize (and so without the
  // library shutdown hooks that run inside it), output flushed.
  [[noreturn]] void exit_without_finalize(int code) const;

 private:
  int rank_ = 0;
  int size_ = 1;
  bool threads_ok_ = false;
};

}  // namespace rsim::sched
