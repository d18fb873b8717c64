#include "rsim/run/native/plugin.hpp"

#include <dlfcn.h>

#include "rsim/core/error.hpp"

namespace rsim::run {

std::unique_ptr<Kernel> load_plugin_kernel(const std::string& path, const std::string& name,
                                           const core::SourceLocation& where) {
  dlerror();
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    throw core::ConfigError(where, std::string("cannot load the plugin: ") + dlerror(),
                            "build it against this rsim (find_package(rsim); rsim_add_plugin(...)) and check that "
                            "its dependencies are found (ldd " + path + ")");
  using AbiFn = int (*)();
  using RegisterFn = void (*)(KernelRegistry&);
  auto abi = reinterpret_cast<AbiFn>(dlsym(lib, "rsim_plugin_abi"));
  auto reg = reinterpret_cast<RegisterFn>(dlsym(lib, "rsim_register_kernels"));
  if (!abi || !reg)
    throw core::ConfigError(where, path + " is not an rsim plugin (it defines no rsim_plugin_abi / rsim_register_kernels)",
                            "define its kernels with RSIM_PLUGIN(registry) { ... } from <rsim/run/native/plugin.hpp>");
  if (abi() != RSIM_PLUGIN_ABI)
    throw core::ConfigError(where,
                            "the plugin was built against plugin ABI " + std::to_string(abi()) +
                                ", this rsim has ABI " + std::to_string(RSIM_PLUGIN_ABI),
                            "rebuild the plugin against this rsim's headers");
  KernelRegistry registry;
  reg(registry);
  if (!registry.has(name)) {
    std::string have;
    for (const auto& d : registry.describe()) have += "\n    " + d;
    throw core::ConfigError(where, "the plugin " + path + " has no kernel \"" + name + "\"; it has:" + have,
                            "set [task] kernel to one of them");
  }
  return registry.create(name);
}

}  // namespace rsim::run
