// [data]: name = "file.csv", or name = { file = "data.h5", dataset = "/X" }.
// The file must exist; an HDF5 file needs a dataset, a CSV file has none; a
// name may not also be a parameter or an [args] constant.
#include "rsim/grid/section_reader.hpp"

namespace rsim::grid::detail {

namespace fs = std::filesystem;
using core::ConfigError;

void SectionReader::read_data(const toml::table& root, JobSpec& spec) const {
  const Section s = section(root, "data");
  if (!s.table) return;
  for (const auto& e : in_file_order(*s.table)) {
    check_param_name(e.line, "data", e.key, false);
    DataSpec d = data_entry(e);
    check_data_name(e, spec);
    spec.data.push_back(std::move(d));
  }
}

DataSpec SectionReader::data_entry(const Entry& e) const {
  DataSpec d;
  d.name = e.key;
  d.line = e.line;
  const std::string given = data_file_given(e, d);
  if (given.empty())
    throw ConfigError(at(*e.node, "data." + e.key), "data." + e.key + " is empty", "give the path of the data file");
  d.file = resolve(given);
  check_data_file(e, d, given);
  return d;
}

// The file as written, from either form; sets d.dataset from the table form.
std::string SectionReader::data_file_given(const Entry& e, DataSpec& d) const {
  const std::string dotted = "data." + e.key;
  if (const auto* str = e.node->as_string()) return str->get();
  const auto* t = e.node->as_table();
  if (!t)
    throw errors::wrong_type(at(*e.node, dotted), dotted, "a file name or { file = ..., dataset = ... }",
                             a_type(*e.node), e.key + " = \"data.csv\"");
  for (const auto& [k, v] : *t) {
    const std::string key(k.str());
    if (key != "file" && key != "dataset")
      throw errors::unknown_key(at(v, dotted + "." + key), key, "data." + e.key, {"file", "dataset"});
  }
  const auto* f = t->get_as<std::string>("file");
  if (!f)
    throw ConfigError(at(*e.node, dotted), dotted + " needs file = \"...\"",
                      "write " + e.key + " = { file = \"data.h5\", dataset = \"/X\" } or " + e.key + " = \"data.csv\"");
  if (const auto* ds = t->get_as<std::string>("dataset")) d.dataset = ds->get();
  return f->get();
}

void SectionReader::check_data_file(const Entry& e, const DataSpec& d, const std::string& given) const {
  const std::string dotted = "data." + e.key;
  std::error_code ec;
  if (!fs::is_regular_file(d.file, ec))
    throw ConfigError(at(*e.node, dotted),
                      "the data file " + quote(given) + " does not exist (looked for " + d.file + ")",
                      "check the path; relative paths are relative to the grid.toml's folder");
  const bool h5 = fs::path(d.file).extension() == ".h5" || fs::path(d.file).extension() == ".hdf5";
  if (h5 && d.dataset.empty())
    throw ConfigError(at(*e.node, dotted), dotted + " is an HDF5 file; say which dataset",
                      "write " + e.key + " = { file = " + quote(given) + ", dataset = \"/X\" }");
  if (!h5 && !d.dataset.empty())
    throw ConfigError(at(*e.node, dotted), "dataset is only for HDF5 files (.h5, .hdf5)",
                      "remove dataset, or give an .h5 file");
}

// A [data] name may not also be a grid parameter or an [args] constant.
void SectionReader::check_data_name(const Entry& e, const JobSpec& spec) const {
  const std::string dotted = "data." + e.key;
  for (const auto& p : spec.params)
    if (p.name == e.key)
      throw ConfigError(at(*e.node, dotted), "\"" + e.key + "\" is both a grid parameter and a [data] input",
                        "rename one of them");
  for (const auto& a : spec.args)
    if (a.name == e.key)
      throw ConfigError(at(*e.node, dotted), "\"" + e.key + "\" is both an [args] constant and a [data] input",
                        "rename one of them");
}

}  // namespace rsim::grid::detail
