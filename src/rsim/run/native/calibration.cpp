// Built-in calibration kernels, for measuring rsim itself:
// "uniform" does almost nothing (one random draw), so a run of it measures
// rsim's own per-task overhead; "busy_wait" keeps a core busy for `ms`
// milliseconds, a task of known length for scaling and balance checks.
#include <chrono>

#include "rsim/run/native/builtin_kernels.hpp"
#include "rsim/run/native/kernel.hpp"

namespace rsim::run {
namespace {

enum Column : std::size_t { kU };  // both kernels' one field

class Uniform : public Kernel {
 public:
  core::Schema setup(KernelSetup&) override { return {{"u", core::ValueType::Float}}; }
  void run(const TaskParams&, core::Philox& rng, core::RowWriter& out) override { out.set_float(kU, rng.uniform()); }
};

class BusyWait : public Kernel {
 public:
  core::Schema setup(KernelSetup& s) override {
    ms_ = s.param("ms", core::ValueType::Float);
    s.require(ms_, [](double v) { return v >= 0 && v <= 3.6e6; }, "0 <= ms <= 3600000 (one hour)");
    return {{"u", core::ValueType::Float}};
  }
  void run(const TaskParams& p, core::Philox& rng, core::RowWriter& out) override {
    using clock = std::chrono::steady_clock;
    const auto until = clock::now() + std::chrono::duration_cast<clock::duration>(
                                          std::chrono::duration<double, std::milli>(p.get_float(ms_)));
    double u = rng.uniform();
    while (clock::now() < until) u = u * 0.5 + 0.25;  // keeps the core busy, result stays in (0, 1)
    out.set_float(kU, rng.uniform());
    (void)u;
  }

 private:
  ParamRef ms_;
};

}  // namespace

void register_calibration_kernels(KernelRegistry& registry) {
  registry.add("uniform", "one uniform draw per task, to measure rsim's own per-task overhead; no params; field u",
               [] { return std::make_unique<Uniform>(); });
  registry.add("busy_wait",
               "keeps a core busy for ms milliseconds per task (a task of known length); params ms; field u",
               [] { return std::make_unique<BusyWait>(); });
}

}  // namespace rsim::run
