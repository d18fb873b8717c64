#pragma once
// The built-in kernels' registration functions, each defined beside its
// kernel; KernelRegistry::builtin() calls them explicitly (no static
// initialisation order to depend on).
namespace rsim::run {
class KernelRegistry;
void register_ttest_power(KernelRegistry& registry);
void register_mean_ci_coverage(KernelRegistry& registry);
void register_calibration_kernels(KernelRegistry& registry);
void register_ridge_cv(KernelRegistry& registry);
void register_enet_cv(KernelRegistry& registry);
void register_logistic_cv(KernelRegistry& registry);
}  // namespace rsim::run
