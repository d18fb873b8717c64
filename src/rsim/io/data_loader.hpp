#pragma once
// Loads the [data] inputs of a job: CSV files with a header, parsed by
// libcsv as RFC 4180 (quoted fields may hold commas, "" and line breaks; a
// UTF-8 byte-order mark is dropped; a column whose every value parses as a
// number, or is empty / NA, is numeric, otherwise text), and numeric datasets
// in HDF5 files (a 2-D dataset gives columns V1..Vk, or the names in its
// string attribute "columns"; a 1-D dataset one column named after the
// input).  Each table records the SHA-256 of its file's bytes.  Every problem
// with a file is a core::ConfigError naming the file and, for CSV, the line
// where the bad record starts, before any task runs.
#include <vector>

#include "rsim/core/data_table.hpp"
#include "rsim/grid/job_spec.hpp"

namespace rsim::io {

std::vector<core::DataTable> load_data(const grid::JobSpec& spec);

}  // namespace rsim::io
