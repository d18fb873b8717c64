// The native runner around any kernel, a plugin's included: what a kernel
// throws fails its task (never the rank), and the fields it declares must
// make a result file (a width-0 field once divided by zero).
#include <gtest/gtest.h>

#include "kernel_harness.hpp"
#include "rsim/run/native/native_runner.hpp"

using namespace rsim;

namespace {

// A kernel as a plugin might write it: the fields it declares, and what its
// run() throws (nothing, an int, a std::runtime_error).
class OddKernel : public run::Kernel {
 public:
  enum class Throws { nothing, an_int, runtime_error };
  OddKernel(core::Schema fields, Throws t, bool setup_throws = false)
      : fields_(std::move(fields)), throws_(t), setup_throws_(setup_throws) {}
  core::Schema setup(run::KernelSetup&) override {
    if (setup_throws_) throw 42;
    return fields_;
  }
  void run(const run::TaskParams&, core::Philox&, core::RowWriter& out) override {
    if (throws_ == Throws::an_int) throw 7;
    if (throws_ == Throws::runtime_error) throw std::runtime_error("bad input");
    out.set_float(0, 1.5);
  }

 private:
  core::Schema fields_;
  Throws throws_;
  bool setup_throws_;
};

struct Job {
  grid::JobSpec spec = test::kernel_spec("odd", "odd", {}, {}, 2);  // one point, no parameters
  grid::TaskSpace space{spec};

  std::unique_ptr<run::NativeRunner> runner(core::Schema fields, OddKernel::Throws t = OddKernel::Throws::nothing,
                                            bool setup_throws = false) {
    return std::make_unique<run::NativeRunner>(
        spec, space, std::make_unique<OddKernel>(std::move(fields), t, setup_throws), "odd");
  }
  // Runs task 0; returns its status and message.
  std::pair<core::TaskStatus, std::string> run_one(run::NativeRunner& r) {
    core::ResultBatch batch(r.schema());
    core::RowWriter row = batch.begin_row(0);
    core::TaskNotes notes;
    const core::TaskStatus st = r.run(0, row, notes);
    batch.end_row(st, 0, 1);
    return {st, notes.message};
  }
};

const core::Schema kOne = {{"y", core::ValueType::Float, 1}};

}  // namespace

TEST(NativeRunner, AKernelThrowingAnIntFailsItsTaskNotTheRank) {
  Job job;
  auto r = job.runner(kOne, OddKernel::Throws::an_int);
  const auto [st, msg] = job.run_one(*r);
  EXPECT_EQ(st, core::TaskStatus::error);
  EXPECT_NE(msg.find("not a std::exception"), std::string::npos) << msg;
}

TEST(NativeRunner, AStdExceptionKeepsItsMessage) {
  Job job;
  auto r = job.runner(kOne, OddKernel::Throws::runtime_error);
  EXPECT_EQ(job.run_one(*r), std::make_pair(core::TaskStatus::error, std::string("bad input")));
  auto ok = job.runner(kOne);
  EXPECT_EQ(job.run_one(*ok).first, core::TaskStatus::ok);
}

TEST(NativeRunner, ASetupThrowingAnIntIsABackendError) {
  Job job;
  EXPECT_THROW(job.runner(kOne, OddKernel::Throws::nothing, true), core::BackendError);
}

TEST(NativeRunner, FieldsThatCannotMakeAResultFileAreRefusedAtSetUp) {
  Job job;
  auto refused = [&](core::Schema s, const std::string& want) {
    try {
      job.runner(std::move(s));
      ADD_FAILURE() << "accepted: " << want;
    } catch (const core::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    }
  };
  refused({{"v", core::ValueType::Float, 0}}, "\"v\" of width 0");
  refused({{"", core::ValueType::Float, 1}}, "without a name");
  refused({{"y", core::ValueType::Float, 1}, {"y", core::ValueType::Int, 1}}, "\"y\" twice");
  refused({{"status", core::ValueType::Int, 1}}, "a name rsim writes for every task");
}
