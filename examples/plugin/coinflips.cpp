// Example rsim plugin: two kernels.
//  coin_flips: n flips of a coin with heads probability p, from the task's
//              own random stream; fields heads (integer), share (float),
//              flips (bytes: one byte per flip, 1 for heads, 0 for tails).
//  crash_at:   segfaults at task id `task` (to test crash handling), else
//              returns the task id; fields id.
#include <rsim/run/native/plugin.hpp>

#include <csignal>

namespace {

class CoinFlips : public rsim::run::Kernel {
 public:
  rsim::core::Schema setup(rsim::run::KernelSetup& s) override {
    n_ = s.param("n", rsim::core::ValueType::Int);
    s.require(n_, [](double v) { return v >= 1; }, "n >= 1");
    p_ = s.param("p", rsim::core::ValueType::Float, 0.5);
    s.require(p_, [](double v) { return v >= 0 && v <= 1; }, "0 <= p <= 1");
    return {{"heads", rsim::core::ValueType::Int},
            {"share", rsim::core::ValueType::Float},
            {"flips", rsim::core::ValueType::Bytes}};
  }
  void run(const rsim::run::TaskParams& t, rsim::core::Philox& rng, rsim::core::RowWriter& out) override {
    const std::int64_t n = t.get_int(n_);
    const double p = t.get_float(p_);
    std::int64_t heads = 0;
    std::string& flips = out.bytes(2);  // a byte field, filled in place
    for (std::int64_t i = 0; i < n; ++i) {
      const bool head = rng.uniform() < p;
      heads += head ? 1 : 0;
      flips += static_cast<char>(head);
    }
    out.set_int(0, heads);
    out.set_float(1, static_cast<double>(heads) / static_cast<double>(n));
  }

 private:
  rsim::run::ParamRef n_, p_;
};

class CrashAt : public rsim::run::Kernel {
 public:
  rsim::core::Schema setup(rsim::run::KernelSetup& s) override {
    at_ = s.param("task", rsim::core::ValueType::Int);
    return {{"id", rsim::core::ValueType::Int}};
  }
  void run(const rsim::run::TaskParams& t, rsim::core::Philox&, rsim::core::RowWriter& out) override {
    if (static_cast<std::int64_t>(t.task()) == t.get_int(at_)) std::raise(SIGSEGV);
    out.set_int(0, static_cast<std::int64_t>(t.task()));
  }

 private:
  rsim::run::ParamRef at_;
};

}  // namespace

RSIM_PLUGIN(registry) {
  registry.add("coin_flips", "n coin flips with heads probability p; params n, p = 0.5; fields heads, share, flips (bytes)",
               [] { return std::make_unique<CoinFlips>(); });
  registry.add("crash_at", "segfaults at task id `task` (for crash tests); params task; fields id",
               [] { return std::make_unique<CrashAt>(); });
}
