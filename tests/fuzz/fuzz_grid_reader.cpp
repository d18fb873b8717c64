// libFuzzer target for the grid.toml reader: any input must either parse
// into a JobSpec or be refused with a core::Error; anything else (a crash, a
// sanitizer report, another exception) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "rsim/core/error.hpp"
#include "rsim/grid/grid_reader.hpp"
#include "rsim/grid/task_space.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const rsim::grid::JobSpec spec = rsim::grid::parse_job_spec(text, "/tmp/rsim-fuzz/grid.toml");
    const rsim::grid::TaskSpace space(spec);
    // Touch the first and last task's values: the task space must be consistent.
    if (space.n_tasks() > 0)
      for (std::uint64_t t : {std::uint64_t{0}, space.n_tasks() - 1})
        for (std::size_t j = 0; j < space.n_params(); ++j) (void)space.value(space.point_of(t), j);
  } catch (const rsim::core::Error&) {
  }
  return 0;
}
