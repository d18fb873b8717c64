#pragma once
// Writing a kernel plugin: a shared library built against the installed rsim
// headers (find_package(rsim) then rsim_add_plugin(name sources...)), named
// in grid.toml as plugin = "libmine.so" with kernel = "name".
//
//   #include <rsim/run/native/plugin.hpp>
//   class Mine : public rsim::run::Kernel { ... };
//   RSIM_PLUGIN(registry) {
//     registry.add("mine", "what it does; params ...; fields ...",
//                  [] { return std::make_unique<Mine>(); });
//   }
//
// rsim refuses, before any task runs, a library that does not load, is not
// an rsim plugin, was built against another plugin ABI, or lacks the kernel.
#include "rsim/core/error.hpp"
#include "rsim/run/native/kernel.hpp"

// Bumped whenever a change to the kernel interface (kernel.hpp and what it
// includes) breaks plugins built against an older rsim.
#define RSIM_PLUGIN_ABI 1

#define RSIM_PLUGIN(registry)                                                               \
  extern "C" __attribute__((visibility("default"))) int rsim_plugin_abi() { return RSIM_PLUGIN_ABI; } \
  static void rsim_plugin_register_(rsim::run::KernelRegistry&);                           \
  extern "C" __attribute__((visibility("default"))) void rsim_register_kernels(            \
      rsim::run::KernelRegistry& r) {                                                      \
    rsim_plugin_register_(r);                                                              \
  }                                                                                        \
  static void rsim_plugin_register_(rsim::run::KernelRegistry& registry)

namespace rsim::run {

// Loads the plugin at `path` and creates its kernel `name`.  Throws
// core::ConfigError (with `where`) if the library cannot be loaded, is not an
// rsim plugin, has another ABI, or has no such kernel.  The library stays
// loaded for the life of the process.
std::unique_ptr<Kernel> load_plugin_kernel(const std::string& path, const std::string& name,
                                           const core::SourceLocation& where);

}  // namespace rsim::run
