#include "rsim/io/block_store.hpp"

#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <queue>
#include <tuple>
#include <utility>

#include "rsim/core/error.hpp"
#include "rsim/io/byte_codec.hpp"
#include "rsim/io/durable_file.hpp"

namespace fs = std::filesystem;

namespace rsim::io {

namespace {

constexpr char kMagic[8] = {'R', 'S', 'I', 'M', 'B', 'L', 'K', '1'};
constexpr std::uint32_t kBlockFormat = 1;
using codec::put;
using codec::put_str;

void put_block(std::string& b, const BlockSummary& s) {
  put(b, s.point);
  put(b, s.block);
  put(b, s.tasks);
  put(b, s.failed);
  put(b, s.warnings);
  put(b, s.elapsed);
  put<std::uint32_t>(b, static_cast<std::uint32_t>(s.fields.size()));
  for (const core::Moments& m : s.fields) {
    put(b, m.n);
    put(b, m.mean);
    put(b, m.m2);
    put(b, m.min);
    put(b, m.max);
  }
  put<std::uint8_t>(b, s.has_error ? 1 : 0);
  if (!s.has_error) return;
  put(b, s.error.task);
  put_str(b, s.error.message);
  put_str(b, s.error.calls);
}

BlockSummary get_block(codec::ByteReader& r, std::size_t n_fields) {
  BlockSummary s;
  s.point = r.get<std::uint64_t>();
  s.block = r.get<std::uint64_t>();
  s.tasks = r.get<std::uint64_t>();
  s.failed = r.get<std::uint64_t>();
  s.warnings = r.get<std::uint64_t>();
  s.elapsed = r.get<double>();
  const auto nf = r.get<std::uint32_t>();
  if (nf > n_fields) r.corrupt("a block with more fields than its file");
  s.fields.resize(nf);
  for (core::Moments& m : s.fields) {
    m.n = r.get<std::uint64_t>();
    m.mean = r.get<double>();
    m.m2 = r.get<double>();
    m.min = r.get<double>();
    m.max = r.get<double>();
  }
  s.has_error = r.get<std::uint8_t>() != 0;
  if (s.has_error) {
    s.error.task = r.get<std::uint64_t>();
    s.error.message = r.get_str();
    s.error.calls = r.get_str();
  }
  return s;
}

bool before(const BlockSummary& a, const BlockSummary& b) {
  return std::tie(a.point, a.block) < std::tie(b.point, b.block);
}

}  // namespace

BlockWriter::BlockWriter(std::string dir, std::string identity, std::uint32_t rank, std::uint64_t run_id,
                         std::uint32_t round)
    : dir_(std::move(dir)), identity_(std::move(identity)), rank_(rank), round_(round), run_id_(run_id) {}

void BlockWriter::commit(const std::vector<SummaryField>& fields, const std::vector<BlockSummary>& blocks) {
  if (blocks.empty()) return;
  buf_.clear();
  buf_.append(kMagic, sizeof kMagic);
  put(buf_, kBlockFormat);
  put_str(buf_, identity_);
  put(buf_, rank_);
  put(buf_, run_id_);
  put(buf_, round_);
  put<std::uint32_t>(buf_, static_cast<std::uint32_t>(fields.size()));
  for (const SummaryField& f : fields) {
    put_str(buf_, f.name);
    put(buf_, f.first_task);
    put(buf_, f.position);
  }
  put<std::uint64_t>(buf_, blocks.size());
  for (const BlockSummary& s : blocks) put_block(buf_, s);
  put<std::uint64_t>(buf_, XXH3_64bits(buf_.data(), buf_.size()));
  char name[96];
  std::snprintf(name, sizeof name, "blk-%016llx-r%05u-k%05u-%06llu.rsb", static_cast<unsigned long long>(run_id_),
                rank_, round_, static_cast<unsigned long long>(seq_));
  write_durably(dir_, name, buf_);
  ++seq_;
}

BlockFile read_block_file(const std::string& path) {
  const std::string data = read_whole(path);
  const std::size_t body = data.size() >= sizeof(std::uint64_t) ? data.size() - sizeof(std::uint64_t) : 0;
  codec::ByteReader r(data, body, path, "summary checkpoint");
  if (data.size() < sizeof kMagic + sizeof(std::uint64_t) || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0)
    r.corrupt("not an rsim summary checkpoint (bad magic or too short)");
  std::uint64_t stored;
  std::memcpy(&stored, data.data() + body, sizeof stored);
  if (stored != XXH3_64bits(data.data(), body)) r.corrupt("checksum mismatch (a truncated or damaged file)");
  static_assert(sizeof kMagic == sizeof(std::uint64_t));
  r.get<std::uint64_t>();  // the magic, checked above
  if (r.get<std::uint32_t>() != kBlockFormat) r.corrupt("written by an incompatible rsim version");
  BlockFile f;
  f.path = path;
  f.identity = r.get_str();
  f.rank = r.get<std::uint32_t>();
  f.run_id = r.get<std::uint64_t>();
  f.round = r.get<std::uint32_t>();
  f.fields.resize(r.get<std::uint32_t>());
  for (SummaryField& x : f.fields) {
    x.name = r.get_str();
    x.first_task = r.get<std::uint64_t>();
    x.position = r.get<std::uint32_t>();
  }
  const auto n = r.get<std::uint64_t>();
  for (std::uint64_t i = 0; i < n; ++i) {
    f.blocks.push_back(get_block(r, f.fields.size()));
    if (i > 0 && !before(f.blocks[i - 1], f.blocks[i])) r.corrupt("blocks out of order");
  }
  if (r.pos() != body) r.corrupt("unexpected bytes after the last block");
  return f;
}

std::vector<std::string> list_block_files(const std::string& dir) { return list_checkpoint_files(dir, "blk-"); }

namespace {

// One stream: the files of one run, rank and round, read one at a time.
struct Stream {
  std::vector<std::string> files;
  std::size_t next_file = 0;
  BlockFile current;
  std::size_t at = 0;
  bool load(const IdentityCheck& check) {
    while (next_file < files.size()) {
      current = read_block_file(files[next_file++]);
      if (check) check(current.identity, current.path);
      at = 0;
      if (!current.blocks.empty()) return true;
    }
    return false;
  }
  const BlockSummary& head() const { return current.blocks[at]; }
};

// "blk-<run>-r<rank>-k<round>-": the stream a file belongs to.
std::string stream_of(const std::string& path) {
  const std::string name = fs::path(path).filename().string();
  const auto cut = name.rfind('-');
  return cut == std::string::npos ? name : name.substr(0, cut);
}

}  // namespace

void for_each_block(const std::string& dir, const IdentityCheck& check, const BlockFn& fn) {
  std::map<std::string, Stream> by_name;
  for (const std::string& f : list_block_files(dir)) by_name[stream_of(f)].files.push_back(f);
  std::vector<Stream> streams;
  for (auto& [name, s] : by_name) streams.push_back(std::move(s));
  auto later = [&](std::size_t a, std::size_t b) {  // min-heap on (point, block), then stream
    const BlockSummary &x = streams[a].head(), &y = streams[b].head();
    if (before(x, y)) return false;
    if (before(y, x)) return true;
    return a > b;
  };
  std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(later)> heap(later);
  for (std::size_t i = 0; i < streams.size(); ++i)
    if (streams[i].load(check)) heap.push(i);
  std::optional<std::pair<std::uint64_t, std::uint64_t>> last;  // the (point, block) seen last
  while (!heap.empty()) {
    const std::size_t i = heap.top();
    heap.pop();
    Stream& s = streams[i];
    const std::pair<std::uint64_t, std::uint64_t> key{s.head().point, s.head().block};
    if (!last || *last < key) fn(s.head(), s.current.fields);  // a block committed twice (it cannot be, but if) counts once
    last = key;
    if (++s.at < s.current.blocks.size() || s.load(check)) {
      if (std::make_pair(s.head().point, s.head().block) < key)
        throw core::IoError("summary checkpoints of one rank are out of order", s.current.path,
                            "move the checkpoint folder aside to start over");
      heap.push(i);
    }
  }
}

}  // namespace rsim::io
