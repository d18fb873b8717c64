#include "rsim/io/result_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "rsim/core/error.hpp"
#include "rsim/io/checkpoint.hpp"
#include "rsim/io/h5.hpp"
#include "rsim/io/output_reader.hpp"
#include "rsim/io/result_writers.hpp"
#include "rsim/io/segment_index.hpp"

namespace rsim::io {

namespace {

using h5::Id;

// Flushes `path` (a file or a folder) to stable storage; on NFS, Lustre or
// a full quota a write error may surface only here, so it is an error.
void fsync_path(const std::string& path, const char* what, bool folder = false) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw core::IoError(std::string("cannot open ") + what + " to flush it: " + std::strerror(errno), path,
                        "check the file system; the checkpoints are kept, rerun to assemble again");
  bool ok = ::fsync(fd) == 0;
  const int err = errno;
  if (!ok && folder && err == EINVAL) ok = true;  // a file system that cannot flush folders
  const bool closed = ::close(fd) == 0;
  if (!ok || !closed)
    throw core::IoError(std::string("cannot flush ") + what + " to disk: " + std::strerror(ok ? errno : err), path,
                        "check the file system (space, quota, server); the checkpoints are kept, rerun to "
                        "assemble again");
}

// Closes the new result file, checked: a deferred write error surfaces
// here on NFS.  The half-written temp file is removed; the checkpoints hold
// every row.
void close_checked(hid_t file, const std::string& tmp) {
  try {
    h5::close_file(file, tmp,
                   "check the file system (space, quota, server); the checkpoints are kept, rerun to assemble again");
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

// The writers of one result file, fed blocks of finished rows in commit order.
class Assembly {
 public:
  Assembly(hid_t file, const grid::TaskSpace& space, core::Schema schema, const std::string& where)
      : n_tasks_(space.n_tasks()), tasks_(file, n_tasks_, where), fields_(file, std::move(schema), n_tasks_, where) {}

  // Rows of `b`, run by `ranks` (per row); `source` names them in errors.
  void feed(const core::ResultBatch& b, const std::vector<std::int32_t>& ranks, const std::string& source) {
    // Fields whose type here cannot join the file's (another rank's tasks
    // returned a string where these return numbers, say): these tasks fail
    // with a message instead of the whole assembly failing.
    const std::string conflict = fields_.use(b.schema());
    std::vector<core::TaskStatus> status = b.status();
    if (!conflict.empty())
      for (auto& s : status)
        if (s == core::TaskStatus::ok) s = core::TaskStatus::error;
    records_.forget(b.tasks());
    tables_.forget(b.tasks());
    write_runs(b, status, ranks, conflict.empty(), source);
    for (const auto& [name, t] : b.tables()) tables_.add(name, t, source);
    for (const auto& e : b.errors()) records_.error(e);
    if (!conflict.empty())
      for (std::size_t r = 0; r < b.size(); ++r)
        if (b.status()[r] == core::TaskStatus::ok) records_.error({b.tasks()[r], conflict, ""});
    for (const auto& w : b.warning_messages()) records_.warning(w);
  }

  AssemblySummary finish(hid_t file, const std::string& where) {
    tables_.write(file, where);
    records_.write(file, where);
    return tasks_.count();
  }

 private:
  // Contiguous runs of task ids: one write per run and dataset.
  void write_runs(const core::ResultBatch& b, const std::vector<core::TaskStatus>& status,
                  const std::vector<std::int32_t>& ranks, bool with_fields, const std::string& source) {
    const std::size_t n = b.size();
    for (std::size_t i = 0, j = 0; i < n; i = j) {
      for (j = i + 1; j < n && b.tasks()[j] == b.tasks()[j - 1] + 1;) ++j;
      const hsize_t off = b.tasks()[i], cnt = j - i;
      if (off + cnt > n_tasks_)
        throw core::IoError("checkpoint holds task " + std::to_string(off + cnt - 1) + ", beyond the job's " +
                                std::to_string(n_tasks_) + " tasks",
                            source, "move the checkpoint folder aside to start over");
      tasks_.write(b, status, ranks, i, off, cnt);
      if (with_fields) fields_.write(b, i, off, cnt);
    }
  }

  hsize_t n_tasks_;
  TaskWriter tasks_;
  FieldWriter fields_;
  TableWriter tables_;
  RecordWriter records_;
};

}  // namespace

AssemblySummary assemble_results(const grid::JobSpec& spec, const grid::TaskSpace& space, const SegmentIndex& index,
                                 const std::string& base, const core::Schema& declared, const std::string& output,
                                 const Provenance& prov) {
  h5::quiet_errors();
  const std::string tmp = output + ".tmp";
  const std::string& where = output;
  core::Schema schema = declared;
  if (!base.empty()) schema = merge_schema(std::move(schema), output_schema(base));
  schema = index.schema(std::move(schema));
  AssemblySummary sum;
  {
    ::unlink(tmp.c_str());  // a stale temp file, or a link planted under its name: never written through
    // HDF5 1.8 object headers: attributes of any size (the member lists of 10,000 fields)
    Id fapl = RSIM_H5(H5Pcreate(H5P_FILE_ACCESS), tmp);
    RSIM_H5_CHECK(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST), tmp);
    Id file = RSIM_H5(H5Fcreate(tmp.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl), tmp);
    write_grid(file, space, where);
    {  // every dataset and group closed before the file is
      Assembly a(file, space, schema, where);
      if (!base.empty())
        read_output_rows(base, [&](const core::ResultBatch& b, const std::vector<std::int32_t>& ranks) {
          a.feed(b, ranks, base);
        });
      for (const auto& e : index.entries()) {
        const Segment seg = read_segment(e.path);
        a.feed(seg.batch, std::vector<std::int32_t>(seg.batch.size(), static_cast<std::int32_t>(seg.header.rank)),
               e.path);
      }
      sum = a.finish(file, where);
    }
    write_attributes(file, spec, space, prov, sum, where);
    RSIM_H5_CHECK(H5Fflush(file, H5F_SCOPE_GLOBAL), tmp);
    close_checked(file.release(), tmp);
  }
  try {
    fsync_path(tmp, "the new result file");
  } catch (...) {
    ::unlink(tmp.c_str());  // not known to be on disk: the checkpoints are the copy that counts
    throw;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, output, ec);
  if (ec)
    throw core::IoError("cannot move the finished result file into place: " + ec.message(), output,
                        "check that the path is not a folder and its folder is writable; the results are in " + tmp);
  fsync_path(std::filesystem::path(output).parent_path().string(), "the output folder", true);
  return sum;
}

bool hdf5_shutdown_unsafe() { return h5::close_failed(); }

}  // namespace rsim::io
