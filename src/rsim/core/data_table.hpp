#pragma once
// A [data] input loaded once per rank and shared read-only by its tasks:
// named columns, numeric (double, NA as R's NA) or text.
#include <cstddef>
#include <string>
#include <vector>

namespace rsim::core {

struct DataColumn {
  std::string name;
  bool numeric = true;
  std::vector<double> values;        // numeric columns
  std::vector<std::string> strings;  // text columns
};

struct DataTable {
  std::string name;    // the [data] key
  std::string file;    // where it came from
  std::string sha256;  // of the file's bytes, for provenance
  std::size_t rows = 0;
  std::vector<DataColumn> columns;

  // The column called `col`, or nullptr.
  const DataColumn* find(const std::string& col) const {
    for (const auto& c : columns)
      if (c.name == col) return &c;
    return nullptr;
  }
};

}  // namespace rsim::core
