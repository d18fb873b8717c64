#pragma once
// Fakes for the job library's seams: a work source handing out fixed chunks,
// a sink keeping committed batches in memory, and a runner whose tasks
// succeed, fail a given number of attempts, or ask to stop.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rsim/job/task_loop.hpp"

namespace rsim::test {

class FakeWork : public job::WorkSource {
 public:
  explicit FakeWork(std::vector<sched::Chunk> chunks) : chunks_(chunks.begin(), chunks.end()) {}
  std::optional<sched::Chunk> next(std::uint64_t done, std::uint64_t failed) override {
    last_done = done;
    last_failed = failed;
    ++next_calls;
    if (stop_requested || chunks_.empty()) return std::nullopt;
    const sched::Chunk c = chunks_.front();
    chunks_.pop_front();
    return c;
  }
  void note_progress(std::uint64_t done, std::uint64_t) override { progress_done = done; }
  bool poll() override { return notice_after_polls >= 0 && ++polls > notice_after_polls; }
  void request_stop() override { stop_requested = true; }

  int notice_after_polls = -1;  // >= 0: poll() says "stop" after that many polls
  int polls = 0, next_calls = 0;
  bool stop_requested = false;
  std::uint64_t last_done = 0, last_failed = 0, progress_done = 0;

 private:
  std::deque<sched::Chunk> chunks_;
};

class MemorySink : public job::BatchSink {
 public:
  void commit(const core::ResultBatch& b) override {
    if (b.empty()) return;
    ++commits;
    for (std::size_t i = 0; i < b.size(); ++i) {
      status[b.tasks()[i]] = b.status()[i];
      attempts[b.tasks()[i]] = b.attempts()[i];
      value[b.tasks()[i]] = std::get<std::vector<double>>(b.columns()[0])[i];
    }
    for (const auto& e : b.errors()) errors[e.task] = e.message;
  }
  int commits = 0;
  std::map<std::uint64_t, core::TaskStatus> status;
  std::map<std::uint64_t, std::int32_t> attempts;
  std::map<std::uint64_t, double> value;
  std::map<std::uint64_t, std::string> errors;
};

// Task t writes x = t, except: fail[t] = n fails the first n attempts;
// abandon_at = t stops (as an interrupted R task does) when t starts.
class FakeRunner : public run::Runner {
 public:
  FakeRunner() : schema_{{"x", core::ValueType::Float}} {}
  const core::Schema& schema() const override { return schema_; }
  core::TaskStatus run(std::uint64_t task, core::RowWriter& out, core::TaskNotes& notes) override {
    ++calls[task];
    if (abandon_at && *abandon_at == task) {
      notes.abandoned = true;
      return core::TaskStatus::error;
    }
    out.set_float(0, static_cast<double>(task));
    auto it = fail.find(task);
    if (it != fail.end() && calls[task] <= it->second) {
      notes.message = "boom " + std::to_string(task) + " attempt " + std::to_string(calls[task]);
      return core::TaskStatus::error;
    }
    if (on_run) on_run(task);
    return core::TaskStatus::ok;
  }
  std::string describe() const override { return "fake"; }

  std::map<std::uint64_t, int> fail;
  std::optional<std::uint64_t> abandon_at;
  std::map<std::uint64_t, int> calls;
  std::function<void(std::uint64_t)> on_run;

 private:
  core::Schema schema_;
};

}  // namespace rsim::test
