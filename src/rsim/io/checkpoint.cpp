#include "rsim/io/checkpoint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <filesystem>
#include <fstream>
#include <map>

#include <xxhash.h>

#include "rsim/core/error.hpp"
#include "rsim/core/field_types.hpp"
#include "rsim/io/byte_codec.hpp"
#include "rsim/io/durable_file.hpp"

namespace fs = std::filesystem;

namespace rsim::io {

namespace {

constexpr char kMagic[8] = {'R', 'S', 'I', 'M', 'S', 'E', 'G', '1'};
constexpr char kEnd[8] = {'R', 'S', 'I', 'M', 'E', 'N', 'D', '1'};
// 2: warnings, max_rss and tables per row; 3: field origins; 4: classes of table columns;
// 5: integer fields that need 64 bits, checksum XXH3-64 (FNV-1a before),
//    task ids as runs and the bookkeeping columns that hold one value as that value;
// 6: timings as float32 (as the result file keeps them), integer fields that
//    fit 32 bits as int32
constexpr std::uint32_t kSegmentFormat = 6;
constexpr std::uint32_t kSegmentFormatWide = 5;         // still read (timings float64, integers int64)
constexpr std::uint32_t kSegmentFormatNoWidths = 4;     // still read (integer fields taken as 64-bit)
constexpr std::uint32_t kSegmentFormatNoTableMeta = 3;  // still read (table columns without classes)
constexpr std::uint32_t kSegmentFormatNoOrigins = 2;    // still read (origins unknown)

// The checksum of a segment: XXH3 (tens of GB/s) since format 5; FNV-1a,
// a byte at a time, before.
std::uint64_t fnv1a(const char* p, std::size_t n) {
  std::uint64_t h = 1469598103934665603ULL;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(p[i]);
    h *= 1099511628211ULL;
  }
  return h;
}

// --- encoding ---------------------------------------------------------------
using codec::put;
using codec::put_str;
using codec::put_vec;

// Task ids as runs of consecutive ids: (count of runs, then first id and
// length of each); a rank's tasks come in chunks, so a few runs a segment.
void put_tasks(std::string& b, const std::vector<std::uint64_t>& tasks) {
  std::vector<std::uint64_t> runs;  // first, length, ...
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (i > 0 && tasks[i] == tasks[i - 1] + 1) ++runs.back();
    else runs.insert(runs.end(), {tasks[i], 1});
  }
  put<std::uint64_t>(b, runs.size() / 2);
  put_vec(b, runs);
}
// A column that holds one value throughout (attempts, warnings, memory of
// tiny tasks) as that value: a byte 1 and the value; else 0 and the column.
template <class T>
void put_column(std::string& b, const std::vector<T>& v) {
  const bool same = !v.empty() && std::all_of(v.begin(), v.end(), [&](const T& x) { return x == v.front(); });
  put<std::uint8_t>(b, same ? 1 : 0);
  if (same) put(b, v.front());
  else put_vec(b, v);
}

void put_schema(std::string& b, const core::Schema& schema) {
  put<std::uint32_t>(b, static_cast<std::uint32_t>(schema.size()));
  for (const auto& f : schema) {
    put_str(b, f.name);
    put<std::uint8_t>(b, static_cast<std::uint8_t>(f.type));
    put(b, f.width);
  }
}
void put_meta(std::string& b, const core::FieldMeta& meta) {
  put<std::uint32_t>(b, static_cast<std::uint32_t>(meta.size()));
  for (const auto& [name, values] : meta) {
    put_str(b, name);
    put<std::uint32_t>(b, static_cast<std::uint32_t>(values.size()));
    for (const auto& v : values) put_str(b, v);
  }
}
void put_origins(std::string& b, const std::vector<core::FieldOrigin>& origins) {
  for (const auto& o : origins) {
    put(b, o.first_task);
    put(b, o.position);
    put(b, o.first_value);
    put<std::uint8_t>(b, o.wide ? 1 : 0);
    put_meta(b, o.meta);
  }
}

// The columns in order; an integer column with `narrow` set goes as int32
// (its values fit: core::fits_int32()).
void put_columns(std::string& b, const std::vector<core::ColumnData>& cols, const std::vector<bool>& narrow = {}) {
  for (std::size_t i = 0; i < cols.size(); ++i) {
    std::visit(
        [&](const auto& c) {
          using T = typename std::decay_t<decltype(c)>::value_type;
          if constexpr (std::is_same_v<T, std::string>) {
            for (const auto& s : c) put_str(b, s);
          } else if constexpr (std::is_same_v<T, core::Blob>) {
            for (const auto& s : c) put_str(b, s.bytes);
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            if (i >= narrow.size() || !narrow[i]) return put_vec(b, c);
            std::vector<std::int32_t> n32(c.size());
            core::narrow_ints(c.data(), c.size(), n32.data());
            put_vec(b, n32);
          } else {
            put_vec(b, c);
          }
        },
        cols[i]);
  }
}

// --- decoding ---------------------------------------------------------------
class Reader : public codec::ByteReader {
 public:
  Reader(const std::string& data, std::size_t end, const std::string& path)
      : ByteReader(data, end, path, "checkpoint segment") {}
  // The task ids of put_tasks(), n of them (`packed`; else a plain column).
  void get_tasks(std::vector<std::uint64_t>& v, std::size_t n, bool packed) {
    if (!packed) return get_vec(v, n);
    std::vector<std::uint64_t> runs;
    get_vec(runs, 2 * static_cast<std::size_t>(get<std::uint64_t>()));
    v.resize(n);
    std::size_t at = 0;
    for (std::size_t k = 0; k < runs.size(); k += 2) {
      if (runs[k + 1] > n - at) corrupt("more task ids than rows");
      const auto first = v.begin() + static_cast<std::ptrdiff_t>(at);
      std::iota(first, first + static_cast<std::ptrdiff_t>(runs[k + 1]), runs[k]);
      at += static_cast<std::size_t>(runs[k + 1]);
    }
    if (at != n) corrupt("fewer task ids than rows");
  }
  // A column of put_column(), n values (`packed`; else a plain column).
  template <class T>
  void get_column(std::vector<T>& v, std::size_t n, bool packed) {
    if (!packed || get<std::uint8_t>() == 0) return get_vec(v, n);
    v.assign(n, get<T>());
  }
  // n values stored as `Stored` (narrower than T), widened.
  template <class Stored, class T>
  void get_narrow(std::vector<T>& v, std::size_t n) {
    std::vector<Stored> stored;
    get_vec(stored, n);
    v.assign(stored.begin(), stored.end());
  }
};

core::Schema get_schema(Reader& r) {
  core::Schema schema;
  const auto nf = r.get<std::uint32_t>();
  for (std::uint32_t i = 0; i < nf; ++i) {
    core::Field f;
    f.name = r.get_str();
    const auto t = r.get<std::uint8_t>();
    if (t > static_cast<std::uint8_t>(core::ValueType::RObject)) r.corrupt("unknown field type");
    f.type = static_cast<core::ValueType>(t);
    f.width = r.get<std::uint32_t>();
    schema.push_back(std::move(f));
  }
  return schema;
}

// The columns of put_columns(); `narrow` as it was written.
void get_columns(Reader& r, const core::Schema& schema, std::vector<core::ColumnData>& cols, std::size_t n,
                 const std::vector<bool>& narrow = {}) {
  cols.clear();
  for (std::size_t i = 0; i < schema.size(); ++i) {
    cols.push_back(core::make_column(schema[i].type));
    const std::size_t m = n * schema[i].width;
    std::visit(
        [&](auto& col) {
          using T = typename std::decay_t<decltype(col)>::value_type;
          if constexpr (std::is_same_v<T, std::string>) {
            col.resize(m);
            for (auto& s : col) s = r.get_str();
          } else if constexpr (std::is_same_v<T, core::Blob>) {
            col.resize(m);
            for (auto& s : col) s.bytes = r.get_str();
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            if (i >= narrow.size() || !narrow[i]) return r.get_vec(col, m);
            r.get_narrow<std::int32_t>(col, m);
            core::na_from_int32(col.data(), col.size());
          } else {
            r.get_vec(col, m);
          }
        },
        cols.back());
  }
}

// Which integer fields a segment of `format` stores as int32.
std::vector<bool> narrow_fields(const core::Schema& schema, const std::vector<core::FieldOrigin>& origins,
                                std::uint32_t format) {
  std::vector<bool> out(schema.size(), false);
  if (format <= kSegmentFormatWide) return out;
  for (std::size_t f = 0; f < out.size() && f < origins.size(); ++f)
    out[f] = schema[f].type == core::ValueType::Int && !origins[f].wide;
  return out;
}

core::FieldMeta get_meta(Reader& r) {
  core::FieldMeta meta(r.get<std::uint32_t>());
  for (auto& [name, values] : meta) {
    name = r.get_str();
    values.resize(r.get<std::uint32_t>());
    for (auto& v : values) v = r.get_str();
  }
  return meta;
}
// Origins of the fields of `schema`; a segment of a format before 5 does
// not say which integer fields fit 32 bits: taken as 64-bit.
std::vector<core::FieldOrigin> get_origins(Reader& r, const core::Schema& schema, std::uint32_t format) {
  std::vector<core::FieldOrigin> out(schema.size());
  for (std::size_t f = 0; f < out.size(); ++f) {
    auto& o = out[f];
    if (format != kSegmentFormatNoOrigins) {
      o.first_task = r.get<std::uint64_t>();
      o.position = r.get<std::uint32_t>();
      o.first_value = r.get<std::uint64_t>();
      o.wide = format > kSegmentFormatNoWidths ? r.get<std::uint8_t>() != 0 : schema[f].type == core::ValueType::Int;
      o.meta = get_meta(r);
    } else {
      o.wide = schema[f].type == core::ValueType::Int;
    }
  }
  return out;
}

SegmentHeader parse_header(Reader& r) {
  SegmentHeader h;
  for (std::size_t i = 0; i < sizeof kMagic; ++i) r.get<char>();
  const auto format = r.get<std::uint32_t>();
  if (format < kSegmentFormatNoOrigins || format > kSegmentFormat)
    r.corrupt("written by an incompatible rsim version");
  h.format = format;
  h.identity = r.get_str();
  h.rank = r.get<std::uint32_t>();
  h.run_id = r.get<std::uint64_t>();
  h.schema = get_schema(r);
  h.origins = get_origins(r, h.schema, format);
  return h;
}

// The batch's field origins as stored: first_value from the data; a field
// no task noted (a native kernel's: every task returns every field) gets
// the lowest task that finished ok and its place in the schema.
std::vector<core::FieldOrigin> origins_of(const core::ResultBatch& b) {
  std::vector<core::FieldOrigin> out = b.origins();
  std::uint64_t lowest_ok = core::FieldOrigin::none;
  for (std::size_t r = 0; r < b.size(); ++r)
    if (b.status()[r] == core::TaskStatus::ok) lowest_ok = std::min(lowest_ok, b.tasks()[r]);
  for (std::size_t f = 0; f < out.size(); ++f) {
    out[f].first_value = core::first_value_task(b.columns()[f], b.schema()[f].width, b.tasks());
    if (const auto* ints = std::get_if<std::vector<std::int64_t>>(&b.columns()[f]))
      out[f].wide = !core::fits_int32(ints->data(), ints->size());
    if (out[f].first_task == core::FieldOrigin::none && lowest_ok != core::FieldOrigin::none)
      out[f].note(lowest_ok, static_cast<std::uint32_t>(f), &out[f].meta);
  }
  return out;
}

}  // namespace

std::string checkpoint_dir_for(const std::string& output) { return output + ".ckpt"; }

void make_dirs(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw core::IoError("cannot create folder: " + (ec ? ec.message() : std::string("a file of that name exists")),
                        dir, "check that the output folder exists and is writable");
}

SegmentWriter::SegmentWriter(std::string dir, std::string identity, std::uint32_t rank, std::uint64_t run_id)
    : dir_(std::move(dir)) {
  header_.identity = std::move(identity);
  header_.rank = rank;
  header_.run_id = run_id;
}

void SegmentWriter::commit(const core::ResultBatch& batch) {
  if (batch.empty()) return;
  header_.schema = batch.schema();
  header_.origins = origins_of(batch);
  const std::size_t n = batch.size();

  buf_.clear();
  buf_.append(kMagic, sizeof kMagic);
  put(buf_, kSegmentFormat);
  put_str(buf_, header_.identity);
  put(buf_, header_.rank);
  put(buf_, header_.run_id);
  put_schema(buf_, header_.schema);
  put_origins(buf_, header_.origins);
  put<std::uint64_t>(buf_, n);
  put_tasks(buf_, batch.tasks());
  put_column(buf_, batch.status());
  put_vec(buf_, std::vector<float>(batch.elapsed().begin(), batch.elapsed().end()));
  put_column(buf_, batch.attempts());
  put_column(buf_, batch.warnings());
  put_column(buf_, batch.max_rss());
  put_columns(buf_, batch.columns(), narrow_fields(header_.schema, header_.origins, kSegmentFormat));
  for (const auto* records : {&batch.errors(), &batch.warning_messages()}) {
    put<std::uint64_t>(buf_, records->size());
    for (const auto& e : *records) {
      put(buf_, e.task);
      put_str(buf_, e.message);
      put_str(buf_, e.calls);
    }
  }
  put<std::uint32_t>(buf_, static_cast<std::uint32_t>(batch.tables().size()));
  for (const auto& [name, t] : batch.tables()) {
    put_str(buf_, name);
    put_schema(buf_, t.schema);
    put<std::uint64_t>(buf_, t.rows());
    put_vec(buf_, t.task);
    put_columns(buf_, t.cols);
    put(buf_, t.meta_task);
    put<std::uint32_t>(buf_, static_cast<std::uint32_t>(t.meta.size()));
    for (const auto& m : t.meta) put_meta(buf_, m);
  }
  put<std::uint64_t>(buf_, XXH3_64bits(buf_.data(), buf_.size()));
  buf_.append(kEnd, sizeof kEnd);

  char name[96];
  std::snprintf(name, sizeof name, "seg-%016llx-r%05u-%06llu.rsb", static_cast<unsigned long long>(header_.run_id),
                header_.rank, static_cast<unsigned long long>(seq_));
  write_durably(dir_, name, buf_);
  ++seq_;
}

namespace {
// A segment's bytes, checked whole (magic, end marker, checksum); `body` is
// where its records end.
std::string verified_segment(const std::string& path, std::size_t& body) {
  std::string data = read_whole(path);
  const std::size_t trailer = sizeof(std::uint64_t) + sizeof kEnd;
  Reader r(data, data.size() >= trailer ? data.size() - trailer : 0, path);
  if (data.size() < sizeof kMagic + trailer || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0)
    r.corrupt("not an rsim checkpoint segment (bad magic or too short)");
  if (std::memcmp(data.data() + data.size() - sizeof kEnd, kEnd, sizeof kEnd) != 0)
    r.corrupt("the file is truncated (no end marker)");
  std::uint64_t stored;
  std::memcpy(&stored, data.data() + data.size() - trailer, sizeof stored);
  std::uint32_t format = 0;
  if (data.size() >= sizeof kMagic + sizeof format) std::memcpy(&format, data.data() + sizeof kMagic, sizeof format);
  body = data.size() - trailer;
  if (stored != (format > kSegmentFormatNoWidths ? XXH3_64bits(data.data(), body) : fnv1a(data.data(), body)))
    r.corrupt("checksum mismatch");
  return data;
}

// The task ids and statuses of the `n` rows that follow the header.
void get_tasks_and_status(Reader& r, const SegmentHeader& h, std::size_t n, std::vector<std::uint64_t>& tasks,
                          std::vector<core::TaskStatus>& status) {
  const bool packed = h.format > kSegmentFormatNoWidths;  // runs and one-value columns (format 5)
  r.get_tasks(tasks, n, packed);
  r.get_column(status, n, packed);
  bool unknown = false;  // one pass without branches
  for (const core::TaskStatus s : status)
    unknown |= static_cast<std::uint8_t>(s) > static_cast<std::uint8_t>(core::TaskStatus::not_run);
  if (unknown) r.corrupt("unknown task status");
}
}  // namespace

SegmentTasks read_segment_tasks(const std::string& path) {
  std::size_t body = 0;
  const std::string data = verified_segment(path, body);
  Reader r(data, body, path);
  SegmentTasks out;
  out.header = parse_header(r);
  get_tasks_and_status(r, out.header, static_cast<std::size_t>(r.get<std::uint64_t>()), out.tasks, out.status);
  return out;
}

Segment read_segment(const std::string& path) {
  std::size_t body = 0;
  const std::string data = verified_segment(path, body);
  Segment seg;
  seg.path = path;
  Reader r(data, body, path);

  seg.header = parse_header(r);
  seg.batch.reset_schema(seg.header.schema);
  seg.batch.set_origins(seg.header.origins);
  const auto n = static_cast<std::size_t>(r.get<std::uint64_t>());
  core::ResultBatch::Meta meta;
  const bool packed = seg.header.format > kSegmentFormatNoWidths;  // runs and one-value columns (format 5)
  get_tasks_and_status(r, seg.header, n, meta.task, meta.status);
  if (seg.header.format > kSegmentFormatWide) r.get_narrow<float>(meta.elapsed, n);
  else r.get_vec(meta.elapsed, n);
  r.get_column(meta.attempts, n, packed);
  r.get_column(meta.warnings, n, packed);
  r.get_column(meta.max_rss, n, packed);
  seg.batch.set_meta(std::move(meta));
  get_columns(r, seg.header.schema, seg.batch.mutable_columns(), n,
              narrow_fields(seg.header.schema, seg.header.origins, seg.header.format));
  for (int kind = 0; kind < 2; ++kind) {
    const auto ne = r.get<std::uint64_t>();
    for (std::uint64_t i = 0; i < ne; ++i) {
      core::ErrorRecord e;
      e.task = r.get<std::uint64_t>();
      e.message = r.get_str();
      e.calls = r.get_str();
      if (kind == 0) seg.batch.add_error(std::move(e));
      else seg.batch.add_warning(std::move(e));
    }
  }
  const auto ntables = r.get<std::uint32_t>();
  for (std::uint32_t i = 0; i < ntables; ++i) {
    auto& [name, t] = seg.batch.mutable_tables().emplace_back();
    name = r.get_str();
    t.schema = get_schema(r);
    const auto rows = static_cast<std::size_t>(r.get<std::uint64_t>());
    r.get_vec(t.task, rows);
    get_columns(r, t.schema, t.cols, rows);
    if (seg.header.format <= kSegmentFormatNoTableMeta) continue;
    t.meta_task = r.get<std::uint64_t>();
    t.meta.resize(r.get<std::uint32_t>());
    for (auto& m : t.meta) m = get_meta(r);
    if (!t.meta.empty() && t.meta.size() != t.schema.size()) r.corrupt("table column classes do not match its columns");
  }
  if (r.pos() != body) r.corrupt("unexpected bytes after the last record");
  return seg;
}

// The header is read from the file's first 64 KiB, or more for a header
// that is larger (a schema of thousands of fields): never a false "damaged".
SegmentHeader read_segment_header(const std::string& path) {
  for (std::size_t want = 64 * 1024;; want *= 16) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
      throw core::IoError("cannot open checkpoint segment: " + std::string(std::strerror(errno)), path, "check the file's permissions");
    std::string data(want, '\0');
    in.read(data.data(), static_cast<std::streamsize>(data.size()));
    data.resize(static_cast<std::size_t>(in.gcount()));
    const bool whole = data.size() < want;
    Reader r(data, data.size(), path);
    if (data.size() < sizeof kMagic || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0)
      r.corrupt("not an rsim checkpoint segment (bad magic or too short)");
    try {
      return parse_header(r);
    } catch (const core::IoError&) {
      if (whole) throw;  // the whole file was read: it is damaged
    }
  }
}

void remove_stale_temp_files(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().rfind(".tmp-", 0) == 0) fs::remove(e.path(), ec);
}

std::vector<std::string> list_segments(const std::string& dir) { return list_checkpoint_files(dir, "seg-"); }

}  // namespace rsim::io
