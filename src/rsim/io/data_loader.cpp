#include "rsim/io/data_loader.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "rsim/core/error.hpp"
#include "rsim/core/schema.hpp"
#include "rsim/core/sha256.hpp"
#include "rsim/io/h5.hpp"
#include "rsim/io/h5_types.hpp"

namespace rsim::io {

namespace {

using h5::Id;

[[noreturn]] void bad(const grid::JobSpec& spec, const grid::DataSpec& d, std::uint32_t file_line,
                      const std::string& what, const std::string& fix) {
  std::string where = d.file;
  if (file_line > 0) where += ":" + std::to_string(file_line);
  throw core::ConfigError({spec.source_path, d.line, "data." + d.name}, what + " (" + where + ")", fix);
}

// Splits one CSV record (RFC 4180 quoting: "a, b" and "" inside quotes).
std::vector<std::string> split_csv(const std::string& line, bool& ok) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  ok = true;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  if (quoted) ok = false;
  out.push_back(cur);
  return out;
}

bool parse_number(const std::string& s, double& v) {
  if (s.empty() || s == "NA") {
    v = core::na_float();
    return true;
  }
  errno = 0;
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  while (end && (*end == ' ' || *end == '\t')) ++end;
  return end && *end == '\0' && end != s.c_str() && errno != ERANGE;
}

core::DataTable load_csv(const grid::JobSpec& spec, const grid::DataSpec& d, const std::string& bytes) {
  core::DataTable t;
  std::vector<std::vector<std::string>> cells;  // per column
  std::size_t pos = 0;
  std::uint32_t line_no = 0;
  std::vector<std::string> header;
  while (pos < bytes.size()) {
    const std::size_t e = bytes.find('\n', pos);
    const std::string line = bytes.substr(pos, e == std::string::npos ? std::string::npos : e - pos);
    pos = e == std::string::npos ? bytes.size() : e + 1;
    ++line_no;
    if (line.empty() || line == "\r") continue;
    bool ok = true;
    auto fields = split_csv(line, ok);
    if (!ok) bad(spec, d, line_no, "an unterminated quote in the CSV file", "close every quoted field");
    if (header.empty()) {
      header = fields;
      for (auto& h : header)
        if (h.empty()) bad(spec, d, line_no, "a column without a name in the CSV header", "name every column");
      cells.resize(header.size());
      continue;
    }
    if (fields.size() != header.size())
      bad(spec, d, line_no,
          "a row with " + std::to_string(fields.size()) + " fields where the header has " +
              std::to_string(header.size()),
          "give every row as many fields as the header");
    for (std::size_t c = 0; c < fields.size(); ++c) cells[c].push_back(std::move(fields[c]));
  }
  if (header.empty()) bad(spec, d, 0, "the CSV file is empty", "give a file with a header line and rows");
  t.rows = cells.empty() ? 0 : cells[0].size();
  for (std::size_t c = 0; c < header.size(); ++c) {
    core::DataColumn col;
    col.name = header[c];
    col.values.resize(t.rows);
    for (std::size_t r = 0; r < t.rows && col.numeric; ++r) col.numeric = parse_number(cells[c][r], col.values[r]);
    if (!col.numeric) {
      col.values.clear();
      col.strings = std::move(cells[c]);
    }
    t.columns.push_back(std::move(col));
  }
  return t;
}

core::DataTable load_h5(const grid::JobSpec& spec, const grid::DataSpec& d) {
  h5::quiet_errors();
  core::DataTable t;
  if (H5Fis_hdf5(d.file.c_str()) <= 0) bad(spec, d, 0, "not an HDF5 file", "give an .h5 file, or a CSV file");
  Id f = RSIM_H5(H5Fopen(d.file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), d.file);
  if (H5Lexists(f, d.dataset.c_str(), H5P_DEFAULT) <= 0)
    bad(spec, d, 0, "the HDF5 file has no dataset " + d.dataset, "check the dataset's path (h5dump -H lists them)");
  Id ds = RSIM_H5(H5Dopen2(f, d.dataset.c_str(), H5P_DEFAULT), d.file);
  Id type = RSIM_H5(H5Dget_type(ds), d.file);
  const H5T_class_t cls = H5Tget_class(type);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER)
    bad(spec, d, 0, "dataset " + d.dataset + " is not numeric", "give a numeric dataset (integers or floats)");
  Id space = RSIM_H5(H5Dget_space(ds), d.file);
  hsize_t dims[2] = {0, 1};
  const int rank = H5Sget_simple_extent_dims(space, dims, nullptr);
  if (rank < 1 || rank > 2)
    bad(spec, d, 0, "dataset " + d.dataset + " has " + std::to_string(rank) + " dimensions",
        "give a vector or a matrix (rows x columns)");
  std::vector<double> all(dims[0] * dims[1]);
  if (!all.empty())
    RSIM_H5_CHECK(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, all.data()), d.file);
  t.rows = dims[0];
  std::vector<std::string> names;
  if (H5Aexists(ds, "columns") > 0) {
    Id a = RSIM_H5(H5Aopen(ds, "columns", H5P_DEFAULT), d.file);
    Id as = RSIM_H5(H5Aget_space(a), d.file);
    const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(as));
    std::vector<char*> raw(n, nullptr);
    Id st = string_type(d.file);
    RSIM_H5_CHECK(H5Aread(a, st, raw.data()), d.file);
    for (char* p : raw) {
      names.emplace_back(p ? p : "");
      H5free_memory(p);
    }
    if (names.size() != dims[1])
      bad(spec, d, 0, "the \"columns\" attribute names " + std::to_string(names.size()) + " columns, the dataset has " +
                          std::to_string(dims[1]),
          "fix the attribute");
  }
  for (hsize_t c = 0; c < dims[1]; ++c) {
    core::DataColumn col;
    col.name = !names.empty() ? names[c] : rank == 1 ? d.name : "V" + std::to_string(c + 1);
    col.values.resize(dims[0]);
    for (hsize_t r = 0; r < dims[0]; ++r) col.values[r] = all[r * dims[1] + c];  // row-major in HDF5
    t.columns.push_back(std::move(col));
  }
  return t;
}

}  // namespace

std::vector<core::DataTable> load_data(const grid::JobSpec& spec) {
  std::vector<core::DataTable> out;
  for (const auto& d : spec.data) {
    std::ifstream in(d.file, std::ios::binary);
    if (!in) bad(spec, d, 0, "cannot read the data file", "check its permissions");
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    core::DataTable t = d.dataset.empty() ? load_csv(spec, d, bytes) : load_h5(spec, d);
    t.name = d.name;
    t.file = d.file;
    t.sha256 = core::sha256_hex(bytes);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace rsim::io
