#include "rsim/sched/scheduler.hpp"

#include <chrono>
#include <cstdio>
#include <utility>

#include "rsim/core/error.hpp"
#include "rsim/sched/mpi.hpp"

namespace rsim::sched {

namespace {
constexpr int kTagRequest = 101;  // worker -> rank 0: {done, failed, final}
constexpr int kTagChunk = 102;    // rank 0 -> worker: {begin, end, more}
constexpr int kTagNotice = 103;   // rank 0 -> worker: 1 = stop now (interrupted), 0 = the job is over
// final field of a worker's request: 0 asks for work, 1 final tally, 2 final tally after a stop,
// 3 a progress report (no reply)
constexpr std::uint64_t kAsk = 0, kFinal = 1, kFinalStopped = 2, kReport = 3;
constexpr int kMaxPollSleepUs = 1000;
const char* const kWhere = "sched::Scheduler";
}  // namespace

Scheduler::Scheduler(const Comm& comm, std::vector<Chunk> pending, std::uint64_t fixed_chunk, WorkPool::Align align_up)
    : comm_(comm), done_(static_cast<std::size_t>(comm.size())), failed_(static_cast<std::size_t>(comm.size())) {
  for (const Chunk& c : pending) total_ += c.size();
  if (comm_.rank() == 0) {
    pool_ = std::make_unique<WorkPool>(std::move(pending), static_cast<std::uint32_t>(comm_.size()), fixed_chunk,
                                       std::move(align_up));
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
    report_req_ = new MPI_Request(MPI_REQUEST_NULL);
    next_report_ = std::chrono::steady_clock::now() + kProgressInterval;
    auto* nreq = new MPI_Request(MPI_REQUEST_NULL);
    notice_req_ = nreq;
    RSIM_MPI(MPI_Irecv(&notice_, 1, MPI_UINT64_T, 0, kTagNotice, MPI_COMM_WORLD, nreq), kWhere);
  }
}

Scheduler::~Scheduler() {
  if (server_.joinable()) server_.join();
  if (notice_req_ && !notice_seen_) {  // left early (an error): withdraw the notice receive
    auto* nreq = static_cast<MPI_Request*>(notice_req_);
    MPI_Cancel(nreq);
    MPI_Wait(nreq, MPI_STATUS_IGNORE);
  }
  if (report_req_ && *static_cast<MPI_Request*>(report_req_) != MPI_REQUEST_NULL)  // left early: let it go
    MPI_Request_free(static_cast<MPI_Request*>(report_req_));
  delete static_cast<MPI_Request*>(reply_req_);
  delete static_cast<MPI_Request*>(notice_req_);
  delete static_cast<MPI_Request*>(report_req_);
}

void Scheduler::note_progress(std::uint64_t done, std::uint64_t failed) {
  const auto me = static_cast<std::size_t>(comm_.rank());
  done_[me].store(done, std::memory_order_relaxed);
  failed_[me].store(failed, std::memory_order_relaxed);
  if (comm_.rank() == 0 || exhausted_ || ++calls_ < stride_) return;
  // The clock is read every stride_ calls, stride_ adapting so that reads
  // come about every 10 ms: tiny tasks do not pay for it, slow ones are
  // looked at after each task.
  calls_ = 0;
  const auto now = std::chrono::steady_clock::now();
  stride_ = now - last_look_ < std::chrono::milliseconds(10) ? std::min<std::uint32_t>(stride_ * 2, 4096)
                                                              : std::max<std::uint32_t>(stride_ / 2, 1);
  last_look_ = now;
  if (now < next_report_) return;
  auto& req = *static_cast<MPI_Request*>(report_req_);
  int sent = 1;
  if (req != MPI_REQUEST_NULL) RSIM_MPI(MPI_Test(&req, &sent, MPI_STATUS_IGNORE), kWhere);
  if (!sent) return;  // the last report is still on its way (rank 0 is busy): skip this one
  next_report_ = now + kProgressInterval;
  report_buf_[0] = done;
  report_buf_[1] = failed;
  report_buf_[2] = kReport;
  RSIM_MPI(MPI_Isend(report_buf_, 3, MPI_UINT64_T, 0, kTagRequest, MPI_COMM_WORLD, &req), kWhere);
}

void Scheduler::finish_report() {
  if (!report_req_) return;
  auto& req = *static_cast<MPI_Request*>(report_req_);
  if (req != MPI_REQUEST_NULL) wait_sleeping(req, kWhere);
}

std::optional<Chunk> Scheduler::take_local() {
  if (stop_.load()) return std::nullopt;
  std::lock_guard<std::mutex> lock(pool_mutex_);
  return pool_->take();
}

void Scheduler::post_request(std::uint64_t done, std::uint64_t failed) {
  auto& rreq = *static_cast<MPI_Request*>(reply_req_);
  RSIM_MPI(MPI_Irecv(reply_, 3, MPI_UINT64_T, 0, kTagChunk, MPI_COMM_WORLD, &rreq), kWhere);
  send_counts(done, failed, kAsk);
  request_out_ = true;
}

void Scheduler::send_counts(std::uint64_t done, std::uint64_t failed, std::uint64_t kind) {
  request_buf_[0] = done;
  request_buf_[1] = failed;
  request_buf_[2] = kind;
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
  if (local_stop_ || poll()) {
    finish_worker_requests(done, failed);
    return std::nullopt;
  }
  if (!request_out_) post_request(done, failed);
  wait_sleeping(*static_cast<MPI_Request*>(reply_req_), kWhere);
  request_out_ = false;
  if (reply_[2] == 0) {
    exhausted_ = true;
    finish_report();
    send_counts(done, failed, kFinal);  // final tally; rank 0 stops serving us
    return std::nullopt;
  }
  const Chunk c{reply_[0], reply_[1]};
  post_request(done, failed);  // prefetch: the next hand-out travels while we work
  return c;
}

// A worker that stops early: collect the reply to its outstanding request
// (the chunk in it stays uncommitted and runs on resume), then send its final
// tally marked as stopped.
void Scheduler::finish_worker_requests(std::uint64_t done, std::uint64_t failed) {
  if (exhausted_) return;
  if (request_out_) {
    wait_sleeping(*static_cast<MPI_Request*>(reply_req_), kWhere);
    request_out_ = false;
  }
  exhausted_ = true;
  finish_report();
  send_counts(done, failed, kFinalStopped);
}

void Scheduler::request_stop() {
  if (comm_.rank() == 0) stop_.store(true);
  else local_stop_ = true;
}

bool Scheduler::poll() {
  if (comm_.rank() == 0) return stop_.load();
  if (notice_seen_) return notice_ == 1;
  int flag = 0;
  RSIM_MPI(MPI_Test(static_cast<MPI_Request*>(notice_req_), &flag, MPI_STATUS_IGNORE), kWhere);
  if (flag) notice_seen_ = true;
  return notice_seen_ && notice_ == 1;
}

void Scheduler::send_notices(std::uint64_t interrupted) {
  notices_sent_ = true;
  static thread_local std::uint64_t value;  // the buffer must outlive the sends
  value = interrupted;
  std::vector<MPI_Request> reqs(static_cast<std::size_t>(comm_.size() - 1));
  for (int r = 1; r < comm_.size(); ++r)
    RSIM_MPI(MPI_Isend(&value, 1, MPI_UINT64_T, r, kTagNotice, MPI_COMM_WORLD, &reqs[static_cast<std::size_t>(r - 1)]),
             kWhere);
  for (auto& q : reqs) wait_sleeping(q, kWhere);
}

void Scheduler::serve() {
  int active = comm_.size() - 1;
  std::uint64_t buf[3];
  MPI_Request req = MPI_REQUEST_NULL;
  Backoff backoff(kMaxPollSleepUs);
  while (active > 0) {
    if (stop_.load() && !notices_sent_) send_notices(1);
    if (req == MPI_REQUEST_NULL)
      RSIM_MPI(MPI_Irecv(buf, 3, MPI_UINT64_T, MPI_ANY_SOURCE, kTagRequest, MPI_COMM_WORLD, &req), kWhere);
    int flag = 0;
    MPI_Status st;
    RSIM_MPI(MPI_Test(&req, &flag, &st), kWhere);
    if (!flag) {
      backoff.sleep();
      continue;
    }
    backoff.reset();
    const int src = st.MPI_SOURCE;
    done_[static_cast<std::size_t>(src)].store(buf[0]);
    failed_[static_cast<std::size_t>(src)].store(buf[1]);
    if (buf[2] == kReport) continue;  // progress only
    if (buf[2] != kAsk) {  // a worker's final tally
      if (buf[2] == kFinalStopped) stop_.store(true);  // it was interrupted: stop everyone
      --active;
      continue;
    }
    const std::optional<Chunk> c = take_local();
    std::uint64_t reply[3] = {c ? c->begin : 0, c ? c->end : 0, c ? 1ULL : 0ULL};
    MPI_Request sreq;
    RSIM_MPI(MPI_Isend(reply, 3, MPI_UINT64_T, src, kTagChunk, MPI_COMM_WORLD, &sreq), kWhere);
    wait_sleeping(sreq, kWhere);
  }
  if (!notices_sent_) send_notices(stop_.load() ? 1 : 0);
}

bool Scheduler::finish() {
  if (comm_.rank() == 0) {
    if (server_.joinable()) server_.join();
    return stop_.load();
  }
  if (!notice_seen_) {
    wait_sleeping(*static_cast<MPI_Request*>(notice_req_), kWhere);
    notice_seen_ = true;
  }
  return local_stop_ || notice_ == 1;
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
