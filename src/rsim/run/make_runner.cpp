#include "rsim/core/error.hpp"
#include "rsim/run/native/native_runner.hpp"
#include "rsim/run/native/plugin.hpp"
#include "rsim/run/runner.hpp"
#ifdef RSIM_HAVE_R
#include "rsim/run/r/r_runner.hpp"
#endif

namespace rsim::run {

#ifndef RSIM_HAVE_R
void interrupt_running_task() noexcept {}
#endif

std::unique_ptr<Runner> make_runner(const grid::JobSpec& spec, const grid::TaskSpace& space, const RunContext& ctx) {
  if (spec.task.backend == "native") {
    std::unique_ptr<Kernel> k;
    if (!spec.task.plugin.empty()) {
      k = load_plugin_kernel(spec.task.plugin, spec.task.kernel, {spec.source_path, 0, "task.plugin"});
      return std::make_unique<NativeRunner>(spec, space, std::move(k), spec.task.kernel, ctx.data);
    }
    try {
      k = KernelRegistry::builtin().create(spec.task.kernel);
    } catch (const core::ConfigError& e) {
      throw core::ConfigError({spec.source_path, 0, "task.kernel"}, e.what_failed(), e.fix());
    }
    return std::make_unique<NativeRunner>(spec, space, std::move(k), spec.task.kernel, ctx.data);
  }
  if (spec.task.backend == "r") {
#ifdef RSIM_HAVE_R
    return make_r_runner(spec, space, ctx);
#else
    throw core::ConfigError({spec.source_path, 0, "task.backend"},
                            "this build of rsim has no R backend (it was built without R/RInside)",
                            "install r-base-dev and r-cran-rinside and rebuild, or use backend = \"native\"");
#endif
  }
  throw core::ConfigError({spec.source_path, 0, "task.backend"}, "unknown backend \"" + spec.task.backend + "\"",
                          "write backend = \"r\" or \"native\"");
}

}  // namespace rsim::run
