#include "rsim/core/error.hpp"
#include "rsim/run/native/native_runner.hpp"
#include "rsim/run/runner.hpp"

namespace rsim::run {

std::unique_ptr<Runner> make_runner(const grid::JobSpec& spec, const grid::TaskSpace& space) {
  if (spec.task.backend == "native") {
    if (!spec.task.plugin.empty())
      throw core::ConfigError({spec.source_path, 0, "task.plugin"},
                              "native plugins are not supported by this build of rsim yet",
                              "use a built-in kernel (rsim --list-kernels) or the r backend");
    std::unique_ptr<Kernel> k;
    try {
      k = KernelRegistry::builtin().create(spec.task.kernel);
    } catch (const core::ConfigError& e) {
      throw core::ConfigError({spec.source_path, 0, "task.kernel"}, e.what_failed(), e.fix());
    }
    return std::make_unique<NativeRunner>(spec, space, std::move(k), spec.task.kernel);
  }
  if (spec.task.backend == "r")
    throw core::ConfigError({spec.source_path, 0, "task.backend"},
                            "this build of rsim has no R backend (backend = \"r\")",
                            "use backend = \"native\" with a built-in kernel");
  throw core::ConfigError({spec.source_path, 0, "task.backend"},
                          "unknown backend \"" + spec.task.backend + "\"", "write backend = \"r\" or \"native\"");
}

}  // namespace rsim::run
