#include "rsim/io/data_loader.hpp"

#include <csv.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <set>
#include <string_view>

#include "rsim/core/error.hpp"
#include "rsim/core/schema.hpp"
#include "rsim/core/sha256.hpp"
#include "rsim/io/h5.hpp"
#include "rsim/io/h5_types.hpp"

namespace rsim::io {

namespace {

using h5::Id;

constexpr std::size_t kBlockBytes = std::size_t{1} << 20;  // a data file is read and hashed 1 MiB at a time

[[noreturn]] void bad(const grid::JobSpec& spec, const grid::DataSpec& d, std::uint32_t file_line,
                      const std::string& what, const std::string& fix) {
  std::string where = d.file;
  if (file_line > 0) where += ":" + std::to_string(file_line);
  throw core::ConfigError({spec.source_path, d.line, "data." + d.name}, what + " (" + where + ")", fix);
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

// Columns from the header and the cells: a column is numeric if every cell
// parses as a number or is empty / NA (then missing), text otherwise.
core::DataTable typed_table(const std::vector<std::string>& header, std::vector<std::vector<std::string>>& cells) {
  core::DataTable t;
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

// One [data] CSV file parsed by libcsv in strict RFC 4180 mode: a quoted
// field may hold commas, "" for one quote, and line breaks; fields are kept
// exactly as written (no trimming); empty lines between records are skipped.
// The file may be fed in pieces cut anywhere.  Physical lines (ended by LF,
// CRLF or CR) are counted so that every error names file:line of the record.
class CsvTable {
 public:
  CsvTable(const grid::JobSpec& spec, const grid::DataSpec& d) : spec_(spec), d_(d) {
    csv_init(&parser_, CSV_STRICT | CSV_STRICT_FINI);
    csv_set_space_func(&parser_, [](unsigned char) { return 0; });  // spaces are data
  }
  ~CsvTable() { csv_free(&parser_); }
  CsvTable(const CsvTable&) = delete;
  CsvTable& operator=(const CsvTable&) = delete;

  // The next bytes of the file; a UTF-8 byte-order mark at its start is dropped.
  void feed(std::string_view bytes);
  // The table, once the whole file was fed.
  core::DataTable finish();

 private:
  struct Problem {
    std::uint32_t line;
    std::string what, fix;
  };
  static void on_field(void* s, std::size_t n, void* self);
  static void on_record(int, void* self) { static_cast<CsvTable*>(self)->end_record(); }
  void parse(std::string_view piece);
  void end_record();
  void take_header(std::uint32_t line);
  void take_row(std::uint32_t line);
  [[noreturn]] void fail(const Problem& p) const { bad(spec_, d_, p.line, p.what, p.fix); }

  const grid::JobSpec& spec_;
  const grid::DataSpec& d_;
  csv_parser parser_{};
  bool started_ = false;           // a first piece was fed
  char prev_ = '\0';               // the last byte fed
  std::uint32_t line_ = 1;         // the physical line being fed
  std::uint32_t record_line_ = 0;  // where the open record began; 0 between records
  std::vector<std::string> row_;   // the open record's fields
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> cells_;  // per column
  std::optional<Problem> problem_;               // the first one a callback found
};

void CsvTable::feed(std::string_view bytes) {
  if (!started_ && !bytes.empty()) {
    started_ = true;
    if (bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
  }
  std::size_t start = 0;  // libcsv gets one physical line at a time, so line_ is right in its callbacks
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (prev_ == '\n' || (prev_ == '\r' && bytes[i] != '\n')) {
      parse(bytes.substr(start, i - start));
      start = i;
      ++line_;
    }
    prev_ = bytes[i];
  }
  parse(bytes.substr(start));
}

void CsvTable::parse(std::string_view piece) {
  if (piece.empty()) return;
  if (record_line_ == 0 && piece.find_first_not_of("\r\n") != std::string_view::npos) record_line_ = line_;
  const std::size_t used = csv_parse(&parser_, piece.data(), piece.size(), on_field, on_record, this);
  if (problem_) fail(*problem_);
  if (used == piece.size()) return;
  if (csv_error(&parser_) == CSV_EPARSE)
    fail({line_, "a quote inside an unquoted field, or text after a closing quote, in the CSV file",
          "quote the whole field and double every quote inside it: \"5'3\"\"\""});
  throw core::IoError("out of memory reading the CSV file", d_.file, "give the job more memory, or a smaller file");
}

void CsvTable::on_field(void* s, std::size_t n, void* self) {
  auto& row = static_cast<CsvTable*>(self)->row_;
  row.emplace_back(n == 0 ? std::string() : std::string(static_cast<const char*>(s), n));
}

void CsvTable::end_record() {
  const std::uint32_t line = record_line_ != 0 ? record_line_ : line_;
  record_line_ = 0;
  if (!problem_ && header_.empty()) {
    take_header(line);
  } else if (!problem_) {
    take_row(line);
  }
  row_.clear();
}

void CsvTable::take_header(std::uint32_t line) {
  std::set<std::string> seen;
  for (const auto& name : row_) {
    if (name.empty()) {
      problem_ = Problem{line, "a column without a name in the CSV header", "name every column"};
      return;
    }
    if (!seen.insert(name).second) {
      problem_ = Problem{line, "the column name \"" + name + "\" appears twice in the CSV header",
                         "give every column a different name"};
      return;
    }
  }
  header_ = std::move(row_);
  cells_.resize(header_.size());
}

void CsvTable::take_row(std::uint32_t line) {
  if (row_.size() != header_.size()) {
    problem_ = Problem{
        line,
        "a row with " + std::to_string(row_.size()) + " fields where the header has " + std::to_string(header_.size()),
        "give every row as many fields as the header"};
    return;
  }
  for (std::size_t c = 0; c < row_.size(); ++c) cells_[c].push_back(std::move(row_[c]));
}

core::DataTable CsvTable::finish() {
  if (csv_fini(&parser_, on_field, on_record, this) != 0)
    fail({record_line_, "an unterminated quote in the CSV file", "close every quoted field"});
  if (problem_) fail(*problem_);
  if (header_.empty()) fail({0, "the CSV file is empty", "give a file with a header line and rows"});
  return typed_table(header_, cells_);
}

// Reads the data file in blocks, giving each to `take`; returns the SHA-256
// of its bytes.
template <class Take>
std::string read_blocks(const grid::JobSpec& spec, const grid::DataSpec& d, Take take) {
  std::ifstream in(d.file, std::ios::binary);
  if (!in) bad(spec, d, 0, "cannot read the data file", "check its permissions");
  core::Sha256 hash;
  std::string block(kBlockBytes, '\0');
  while (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0) {
    const std::string_view piece(block.data(), static_cast<std::size_t>(in.gcount()));
    hash.update(piece);
    take(piece);
  }
  if (in.bad()) throw core::IoError("cannot read the data file", d.file, "check the disk and the file's permissions");
  return hash.hex();
}

core::DataTable load_csv(const grid::JobSpec& spec, const grid::DataSpec& d) {
  CsvTable csv(spec, d);
  const std::string hash = read_blocks(spec, d, [&csv](std::string_view b) { csv.feed(b); });
  core::DataTable t = csv.finish();
  t.sha256 = hash;
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
  if (!all.empty()) RSIM_H5_CHECK(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, all.data()), d.file);
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
      bad(spec, d, 0,
          "the \"columns\" attribute names " + std::to_string(names.size()) + " columns, the dataset has " +
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
    core::DataTable t;
    if (d.dataset.empty()) {
      t = load_csv(spec, d);
    } else {
      const std::string hash = read_blocks(spec, d, [](std::string_view) {});
      t = load_h5(spec, d);
      t.sha256 = hash;
    }
    t.name = d.name;
    t.file = d.file;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace rsim::io
