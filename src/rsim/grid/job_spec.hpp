#pragma once
// A validated grid.toml: everything a run needs to know, nothing unchecked.
#include <cstdint>
#include <string>
#include <vector>

#include "rsim/core/value.hpp"

namespace rsim::grid {

// A named constant or parameter, with the line it was written on.
struct NamedValue {
  std::string name;
  core::Value value;
  std::uint32_t line = 0;
};

// One grid parameter: [grid] gives its values to combine; [[points]] gives
// one value per point.  All values have the same type.
struct Param {
  std::string name;
  core::ValueType type = core::ValueType::Int;
  std::vector<core::Value> values;
  std::uint32_t line = 0;
};

struct TaskSection {
  std::string backend;   // "r" or "native"
  // r backend
  std::string script;    // absolute path (resolved against the grid.toml's folder)
  std::string function;
  std::vector<std::string> packages;
  std::string setup;     // optional setup function name, "" if none
  // native backend
  std::string kernel;
  std::string plugin;    // absolute path, "" for built-in kernels
};

struct ScheduleSection {
  std::uint64_t chunk = 0;         // tasks per hand-out; 0 = automatic
  double timeout_s = 0;            // per task; 0 = none
  std::uint32_t retries = 0;
  double checkpoint_s = 5.0;       // commit finished tasks at least this often
  std::uint64_t memory_bytes = 0;  // per-task memory limit (address space above set-up); 0 = none
};

// [output]: what the result file keeps, and precision targets
// (docs/summaries.md).
enum class Keep { tasks, summary };
struct Target {
  std::string field;  // a numeric result field
  double mcse = 0;    // stop a point once its Monte Carlo SE of the mean is at most this
  std::uint32_t line = 0;
};
struct OutputSection {
  Keep keep = Keep::tasks;
  std::uint64_t block = 0;           // replicates per block (summary); 0 until read: then set
  std::vector<Target> targets;       // target_mcse, in file order; none = fixed replicates
  std::uint64_t min_replicates = 0;  // with targets: replicates before the first decision
  std::uint32_t line = 0;
};

// One [data] input: a CSV file with a header, or a dataset in an HDF5 file.
struct DataSpec {
  std::string name;     // how tasks refer to it (an R object name, a kernel's input)
  std::string file;     // absolute path
  std::string dataset;  // HDF5 only: the dataset's path inside the file, e.g. "/X"
  std::uint32_t line = 0;
};

struct JobSpec {
  // [job]
  std::string name;
  std::string output;              // absolute path
  std::uint64_t seed = 0;
  std::uint64_t replicates = 1;
  TaskSection task;
  std::vector<NamedValue> args;    // [args], in file order
  // [grid] (cartesian = true, first param varies slowest) or [[points]]
  bool cartesian = true;
  std::vector<Param> params;       // in file order
  ScheduleSection schedule;
  std::vector<DataSpec> data;      // [data], in file order
  OutputSection results;           // [output]: what the result file keeps

  // provenance
  std::string source_path;         // the grid.toml as given
  std::string source_text;         // its full text
  std::string source_hash;         // "sha256:<hex>" of source_text
};

}  // namespace rsim::grid
