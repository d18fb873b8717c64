#include "rsim/sched/scheduler.hpp"

#include <chrono>
#include <cstdio>

#include "rsim/core/error.hpp"
#include "rsim/sched/mpi.hpp"

namespace rsim::sched {

namespace {
constexpr int kTagRequest = 101;  // worker -> rank 0: {done, failed, final}
constexpr int kTagChunk = 102;    // rank 0 -> worker: {begin, end, more}
constexpr int kMaxPollSleepUs = 1000;
const char* const kWhere = "sched::Scheduler";
}  // namespace

Scheduler::Scheduler(const Comm& comm, std::vector<Chunk> pending, std::uint64_t fixed_chunk)
    : comm_(comm), done_(static_cast<std::size_t>(comm.size())), failed_(static_cast<std::size_t>(comm.size())) {
  for (const Chunk& c : pending) total_ += c.size();
  if (comm_.rank() == 0) {
    pool_ = std::make_unique<WorkPool>(std::move(pending), static_cast<std::uint32_t>(comm_.size()), fixed_chunk);
    if (comm_.size() > 1) {
      if (!comm_.threads_ok())
        throw core::MpiError("the MPI library does not support MPI_THREAD_SERIALIZED", kWhere,
                             "use an MPI built with thread support (Debian's Open MPI has it)");
      server_ = std::thread([this] {
        try {
          serve();
        } catch (const std::exception& e) {
          std::fprintf(stderr, "rsim: rank 0 hand-out thread: %s\n", e.what());
          comm_.abort(static_cast<int>(core::ExitCode::runtime));
        }
      });
    }
  } else {
    reply_req_ = new MPI_Request(MPI_REQUEST_NULL);
  }
}

Scheduler::~Scheduler() {
  if (server_.joinable()) server_.join();
  delete static_cast<MPI_Request*>(reply_req_);
}

std::optional<Chunk> Scheduler::take_local() {
  std::lock_guard<std::mutex> lock(pool_mutex_);
  return pool_->take();
}

void Scheduler::post_request(std::uint64_t done, std::uint64_t failed) {
  auto& rreq = *static_cast<MPI_Request*>(reply_req_);
  RSIM_MPI(MPI_Irecv(reply_, 3, MPI_UINT64_T, 0, kTagChunk, MPI_COMM_WORLD, &rreq), kWhere);
  send_counts(done, failed, false);
  request_out_ = true;
}

void Scheduler::send_counts(std::uint64_t done, std::uint64_t failed, bool final) {
  request_buf_[0] = done;
  request_buf_[1] = failed;
  request_buf_[2] = final ? 1 : 0;
  MPI_Request sreq;
  RSIM_MPI(MPI_Isend(request_buf_, 3, MPI_UINT64_T, 0, kTagRequest, MPI_COMM_WORLD, &sreq), kWhere);
  wait_sleeping(sreq, kWhere);
}

std::optional<Chunk> Scheduler::next(std::uint64_t done, std::uint64_t failed) {
  const auto me = static_cast<std::size_t>(comm_.rank());
  done_[me].store(done);
  failed_[me].store(failed);
  if (comm_.rank() == 0) return take_local();
  if (exhausted_) return std::nullopt;
  if (!request_out_) post_request(done, failed);
  wait_sleeping(*static_cast<MPI_Request*>(reply_req_), kWhere);
  request_out_ = false;
  if (reply_[2] == 0) {
    exhausted_ = true;
    send_counts(done, failed, true);  // final tally; rank 0 stops serving us
    return std::nullopt;
  }
  const Chunk c{reply_[0], reply_[1]};
  post_request(done, failed);  // prefetch: the next hand-out travels while we work
  return c;
}

void Scheduler::serve() {
  int active = comm_.size() - 1;
  std::uint64_t buf[3];
  MPI_Request req = MPI_REQUEST_NULL;
  int sleep_us = 20;
  while (active > 0) {
    if (req == MPI_REQUEST_NULL)
      RSIM_MPI(MPI_Irecv(buf, 3, MPI_UINT64_T, MPI_ANY_SOURCE, kTagRequest, MPI_COMM_WORLD, &req), kWhere);
    int flag = 0;
    MPI_Status st;
    RSIM_MPI(MPI_Test(&req, &flag, &st), kWhere);
    if (!flag) {
      std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
      sleep_us = std::min(kMaxPollSleepUs, sleep_us * 2);
      continue;
    }
    sleep_us = 20;
    const int src = st.MPI_SOURCE;
    done_[static_cast<std::size_t>(src)].store(buf[0]);
    failed_[static_cast<std::size_t>(src)].store(buf[1]);
    if (buf[2] != 0) {  // a worker's final tally, after it was told to stop
      --active;
      continue;
    }
    const std::optional<Chunk> c = take_local();
    std::uint64_t reply[3] = {c ? c->begin : 0, c ? c->end : 0, c ? 1ULL : 0ULL};
    MPI_Request sreq;
    RSIM_MPI(MPI_Isend(reply, 3, MPI_UINT64_T, src, kTagChunk, MPI_COMM_WORLD, &sreq), kWhere);
    wait_sleeping(sreq, kWhere);
    handouts_.fetch_add(1);
  }
}

void Scheduler::finish() {
  if (server_.joinable()) server_.join();
}

Progress Scheduler::progress() const {
  Progress p;
  p.total = total_;
  p.per_rank.resize(done_.size());
  for (std::size_t r = 0; r < done_.size(); ++r) {
    p.per_rank[r] = done_[r].load();
    p.done += p.per_rank[r];
    p.failed += failed_[r].load();
  }
  return p;
}

}  // namespace rsim::sched
