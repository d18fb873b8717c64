// [data] CSV files -> DataTable: RFC 4180 quoting (commas, doubled quotes,
// line breaks inside quotes), line ends, a byte-order mark, column typing and
// NA, the SHA-256 recorded for provenance, and every refusal with its
// file:line.  Each test writes its files into a fresh temp folder.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "rsim/core/error.hpp"
#include "rsim/core/schema.hpp"
#include "rsim/core/sha256.hpp"
#include "rsim/io/data_loader.hpp"

namespace fs = std::filesystem;
using rsim::core::ConfigError;
using rsim::core::DataColumn;
using rsim::core::DataTable;

namespace {

class DataLoader : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "rsim-data-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // The path of data.csv holding exactly `bytes`.
  std::string write_csv(const std::string& bytes) const {
    const std::string p = (dir_ / "data.csv").string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }

  // `bytes` loaded as the [data] input "people" of a grid.toml (line 14).
  DataTable load(const std::string& bytes) const {
    rsim::grid::JobSpec spec;
    spec.source_path = (dir_ / "grid.toml").string();
    spec.data.push_back({"people", write_csv(bytes), "", 14});
    auto tables = rsim::io::load_data(spec);
    EXPECT_EQ(tables.size(), 1u);
    return tables.at(0);
  }

  // The ConfigError that loading `bytes` raises; fails the test if none.
  ConfigError error(const std::string& bytes) const {
    try {
      load(bytes);
    } catch (const ConfigError& e) {
      return e;
    }
    ADD_FAILURE() << "no ConfigError for:\n" << bytes;
    return ConfigError({}, "", "");
  }

  // "(.../data.csv:<line>)", as a CSV error names its place.
  std::string at(std::uint32_t line) const {
    return "(" + (dir_ / "data.csv").string() + ":" + std::to_string(line) + ")";
  }

  fs::path dir_;
};

const DataColumn& column(const DataTable& t, const std::string& name) {
  const DataColumn* c = t.find(name);
  if (c == nullptr) throw std::runtime_error("no column " + name);
  return *c;
}

std::vector<std::string> names(const DataTable& t) {
  std::vector<std::string> out;
  for (const auto& c : t.columns) out.push_back(c.name);
  return out;
}

using Strings = std::vector<std::string>;

TEST_F(DataLoader, QuotedFieldsHoldCommasAndDoubledQuotes) {
  const DataTable t = load("id,name,note\n1,\"Smith, J\",\"said \"\"hi\"\"\"\n2,Lee,\"\"\"\"\n");
  EXPECT_EQ(t.rows, 2u);
  EXPECT_EQ(column(t, "name").strings, (Strings{"Smith, J", "Lee"}));
  EXPECT_EQ(column(t, "note").strings, (Strings{"said \"hi\"", "\""}));
}

TEST_F(DataLoader, QuotedFieldMaySpanLines) {
  const DataTable t = load("id,text\n1,\"two\nlines\"\n2,\"a, b\n\nc\"\n3,x\n");
  EXPECT_EQ(t.rows, 3u);
  EXPECT_EQ(column(t, "id").values, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(column(t, "text").strings, (Strings{"two\nlines", "a, b\n\nc", "x"}));
}

TEST_F(DataLoader, QuotedFieldKeepsCrlfAsWritten) {
  const DataTable t = load("id,text\r\n1,\"a\r\nb\"\r\n2,c\r\n");
  EXPECT_EQ(t.rows, 2u);
  EXPECT_EQ(column(t, "text").strings, (Strings{"a\r\nb", "c"}));
}

TEST_F(DataLoader, CrlfLineEndsAreNotPartOfTheValues) {
  const DataTable t = load("x,y\r\n1,a\r\n\r\n2,b\r\n");
  EXPECT_EQ(names(t), (Strings{"x", "y"}));
  EXPECT_EQ(column(t, "x").values, (std::vector<double>{1, 2}));
  EXPECT_EQ(column(t, "y").strings, (Strings{"a", "b"}));
}

TEST_F(DataLoader, Utf8ByteOrderMarkIsNotPartOfTheFirstName) {
  const DataTable t = load("\xEF\xBB\xBFid,v\n1,2\n");
  EXPECT_EQ(names(t), (Strings{"id", "v"}));
  EXPECT_EQ(column(t, "id").values, (std::vector<double>{1}));
}

TEST_F(DataLoader, LastRowWithoutFinalNewline) {
  const DataTable t = load("x,y\n1,a\n2,\"b\"");
  EXPECT_EQ(column(t, "x").values, (std::vector<double>{1, 2}));
  EXPECT_EQ(column(t, "y").strings, (Strings{"a", "b"}));
}

// Empty and NA are missing in a numeric column, kept as written in a text one.
TEST_F(DataLoader, EmptyFieldsFollowTheNaRules) {
  const DataTable t = load("n,s,last\n1,,\n,x,2\nNA,NA,NA\n");
  const DataColumn& n = column(t, "n");
  ASSERT_TRUE(n.numeric);
  EXPECT_EQ(n.values[0], 1.0);
  EXPECT_TRUE(rsim::core::is_na_float(n.values[1]));
  EXPECT_TRUE(rsim::core::is_na_float(n.values[2]));
  EXPECT_FALSE(column(t, "s").numeric);
  EXPECT_EQ(column(t, "s").strings, (Strings{"", "x", "NA"}));
  const DataColumn& last = column(t, "last");
  ASSERT_TRUE(last.numeric);
  EXPECT_TRUE(rsim::core::is_na_float(last.values[0]));
  EXPECT_EQ(last.values[1], 2.0);
}

// Numbers as strtod reads them, spaces around them allowed, quotes only
// group; anything else (or a number out of double range) makes text.
TEST_F(DataLoader, ColumnTypesFollowTheValues) {
  const DataTable t = load("i,d,q,sp,big,mixed\n1,-0.5,\"3\", 4 ,1e400,1\n2,1e-3,\"5\",6,1,b\n");
  EXPECT_EQ(column(t, "i").values, (std::vector<double>{1, 2}));
  EXPECT_EQ(column(t, "d").values, (std::vector<double>{-0.5, 1e-3}));
  EXPECT_EQ(column(t, "q").values, (std::vector<double>{3, 5}));
  EXPECT_EQ(column(t, "sp").values, (std::vector<double>{4, 6}));
  EXPECT_EQ(column(t, "big").strings, (Strings{"1e400", "1"}));
  EXPECT_EQ(column(t, "mixed").strings, (Strings{"1", "b"}));
  EXPECT_EQ(names(t), (Strings{"i", "d", "q", "sp", "big", "mixed"}));  // not trimmed, in file order
}

TEST_F(DataLoader, RecordsTheSha256OfTheFileBytes) {
  const std::string bytes = "\xEF\xBB\xBFx\r\n1\r\n";
  EXPECT_EQ(load(bytes).sha256, rsim::core::sha256_hex(bytes));
}

// The loader reads 1 MiB blocks: a CRLF inside a quoted field split across
// the first block boundary, then a ragged row that must still be found on
// its own line.
TEST_F(DataLoader, LinesAreCountedAcrossReadBlocks) {
  const std::size_t block = std::size_t{1} << 20;
  std::string bytes = "id,text\n";
  std::uint32_t lines = 1;
  while (bytes.size() < block - 40) {
    bytes += "1,filler\n";
    ++lines;
  }
  bytes += std::string(block - 3 - bytes.size() - 1, '9') + ",\"a\r\nb\"\n";  // the \r is the block's last byte
  ASSERT_EQ(bytes[block - 1], '\r');
  lines += 2;
  const DataTable t = load(bytes);
  EXPECT_EQ(t.rows, lines - 2u);
  EXPECT_EQ(column(t, "text").strings.back(), "a\r\nb");
  EXPECT_EQ(t.sha256, rsim::core::sha256_hex(bytes));
  const ConfigError e = error(bytes + "1,2,3\n");
  EXPECT_NE(e.what_failed().find("a row with 3 fields where the header has 2 " + at(lines + 1)), std::string::npos)
      << e.what_failed();
}

// Refusals: the message names the file and the line of the record.
struct Refusal {
  const char* name;
  std::string bytes;
  std::string message;  // part of what_failed()
  std::uint32_t line;
};

TEST_F(DataLoader, RefusesBadFilesNamingFileAndLine) {
  const std::vector<Refusal> cases = {
      {"too many fields", "a,b\n1,2\n1,2,3\n", "a row with 3 fields where the header has 2", 3},
      {"too few fields", "a,b\n1,2\n\n1\n", "a row with 1 fields where the header has 2", 4},
      {"ragged last row, no newline", "a,b\n1,2\n1,2,3", "a row with 3 fields where the header has 2", 3},
      {"ragged after a multi-line field", "a,b\n1,\"x\ny\"\n1,2,3\n", "a row with 3 fields where the header has 2", 4},
      {"ragged CRLF file", "a,b\r\n1,2\r\n\r\n3\r\n", "a row with 1 fields where the header has 2", 4},
      {"duplicate name", "x,y,x\n1,2,3\n", "\"x\"", 1},
      {"unterminated quote", "a,b\n1,2\n3,\"open\n4,5\n", "an unterminated quote", 3},
      {"unterminated last field", "a,b\n1,\"2", "an unterminated quote", 2},
      {"stray quote in a field", "a,b\n1,x\"y\n", "quote", 2},
      {"text after a closing quote", "a,b\n1,2\n1,\"x\"y\n", "quote", 3},
      {"ragged CR-only file", "a,b\r1,2\r3\r", "a row with 1 fields where the header has 2", 3},
      {"unnamed column", "a,,c\n1,2,3\n", "a column without a name", 1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const ConfigError e = error(c.bytes);
    EXPECT_NE(e.what_failed().find(c.message), std::string::npos) << e.what_failed();
    EXPECT_NE(e.what_failed().find(at(c.line)), std::string::npos) << e.what_failed();
    EXPECT_EQ(e.location().file, (dir_ / "grid.toml").string());
    EXPECT_EQ(e.location().line, 14u);
    EXPECT_EQ(e.location().key, "data.people");
    EXPECT_FALSE(e.fix().empty());
  }
}

TEST_F(DataLoader, DuplicateColumnNameIsRefused) {
  const ConfigError e = error("id,x,x\n1,2,3\n");
  EXPECT_NE(e.what_failed().find("the column name \"x\" appears twice in the CSV header " + at(1)), std::string::npos)
      << e.what_failed();
}

TEST_F(DataLoader, EmptyFileIsRefused) {
  EXPECT_NE(error("\n\r\n").what_failed().find("the CSV file is empty"), std::string::npos);
}

}  // namespace
