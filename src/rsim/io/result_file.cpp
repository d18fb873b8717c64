#include "rsim/io/result_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
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

// The file descriptor HDF5 writes `file` through (the sec2 driver's).
int file_descriptor(hid_t file, const std::string& where) {
  void* handle = nullptr;
  RSIM_H5_CHECK(H5Fget_vfd_handle(file, H5P_DEFAULT, &handle), where);
  return handle ? *static_cast<int*>(handle) : -1;
}

// Starts writing what the assembly wrote so far to the disk, without
// waiting: the kernel would otherwise hold a file of gigabytes in memory
// until the fsync at the end (below its dirty-memory threshold) and then
// write it all while rsim waits.  Best effort: a failure shows at the fsync.
void start_writeback(int fd) {
  if (fd >= 0) ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

// The writers of one result file, fed blocks of finished rows in commit order.
class Assembly {
 public:
  Assembly(hid_t file, const grid::TaskSpace& space, FieldPlan fields, const std::string& where)
      : n_tasks_(space.n_tasks()), tasks_(file, n_tasks_, where), fields_(file, std::move(fields), n_tasks_, where) {}

  // Rows of `b`, run by `ranks` (per row); `source` names them in errors.
  void feed(const core::ResultBatch& b, const std::vector<std::int32_t>& ranks, const std::string& source) {
    // A field whose type here cannot join the file's (a lower task returned
    // a number where these return a string, say): the tasks with a value
    // there fail with a message, with all their fields NA.
    const auto conflicts = fields_.use(b.schema());
    std::vector<core::TaskStatus> status = b.status();
    std::vector<core::ErrorRecord> failed;
    const core::ResultBatch* rows = &b;
    core::ResultBatch cleared;
    if (!conflicts.empty()) {
      failed = fail_conflicts(b, conflicts, status);
      cleared = b;
      for (const auto& e : failed) clear_row(cleared, e.task);
      rows = &cleared;
    }
    records_.forget(b.tasks());
    tables_.forget(b.tasks());
    write_runs(*rows, status, ranks, source);
    for (const auto& [name, t] : b.tables()) tables_.add(name, t, source);
    for (const auto& e : b.errors()) records_.error(e);
    for (auto& e : failed) records_.error(std::move(e));
    for (const auto& w : b.warning_messages()) records_.warning(w);
  }

  AssemblySummary finish(hid_t file, const std::string& where) {
    fields_.finish();
    tables_.write(file, where);
    records_.write(file, where);
    tasks_.finish();
    return tasks_.count();
  }

 private:
  // Contiguous runs of task ids: one write per run and dataset.
  void write_runs(const core::ResultBatch& b, const std::vector<core::TaskStatus>& status,
                  const std::vector<std::int32_t>& ranks, const std::string& source) {
    const std::size_t n = b.size();
    for (std::size_t i = 0, j = 0; i < n; i = j) {
      for (j = i + 1; j < n && b.tasks()[j] == b.tasks()[j - 1] + 1;) ++j;
      const hsize_t off = b.tasks()[i], cnt = j - i;
      if (off + cnt > n_tasks_)
        throw core::IoError("checkpoint holds task " + std::to_string(off + cnt - 1) + ", beyond the job's " +
                                std::to_string(n_tasks_) + " tasks",
                            source, "move the checkpoint folder aside to start over");
      tasks_.write(b, status, ranks, i, off, cnt);
      fields_.write(b, i, off, cnt);
    }
  }

  // The rows that finished ok with a value in a conflicting field: now
  // failed (in `status`), one error record each.
  static std::vector<core::ErrorRecord> fail_conflicts(const core::ResultBatch& b,
                                                       const std::vector<FieldWriter::Conflict>& conflicts,
                                                       std::vector<core::TaskStatus>& status) {
    std::vector<core::ErrorRecord> failed;
    for (std::size_t r = 0; r < b.size(); ++r) {
      if (status[r] != core::TaskStatus::ok) continue;
      for (const auto& c : conflicts)
        if (!core::is_na_row(b.columns()[c.column], r, b.schema()[c.column].width)) {
          status[r] = core::TaskStatus::error;
          failed.push_back({b.tasks()[r], c.message, ""});
          break;
        }
    }
    return failed;
  }
  // Every field of task `task`'s row missing (a failed task has no results).
  static void clear_row(core::ResultBatch& b, std::uint64_t task) {
    for (std::size_t r = 0; r < b.size(); ++r)
      if (b.tasks()[r] == task)
        for (std::size_t c = 0; c < b.schema().size(); ++c)
          core::set_na_row(b.mutable_columns()[c], r, b.schema()[c].width);
  }

  hsize_t n_tasks_;
  TaskWriter tasks_;
  FieldWriter fields_;
  TableWriter tables_;
  RecordWriter records_;
};

}  // namespace

h5::Id create_result_file(const std::string& tmp) {
  ::unlink(tmp.c_str());  // a stale temp file, or a link planted under its name: never written through
  // HDF5 1.8 object headers: attributes of any size (the member lists of 10,000 fields)
  Id fapl = RSIM_H5(H5Pcreate(H5P_FILE_ACCESS), tmp);
  RSIM_H5_CHECK(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST), tmp);
  return RSIM_H5(H5Fcreate(tmp.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl), tmp);
}

void publish_result_file(h5::Id file, const std::string& tmp, const std::string& output) {
  RSIM_H5_CHECK(H5Fflush(file, H5F_SCOPE_GLOBAL), tmp);
  close_checked(file.release(), tmp);
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
}

AssemblySummary assemble_results(const grid::JobSpec& spec, const grid::TaskSpace& space, const SegmentIndex& index,
                                 const std::string& base, const core::Schema& declared, const std::string& output,
                                 const Provenance& prov) {
  h5::quiet_errors();
  const std::string tmp = output + ".tmp";
  const std::string& where = output;
  core::Schema kept = declared;  // then the fields of an earlier result file that the kernel did not declare
  std::vector<core::FieldMeta> kept_meta(kept.size());
  std::vector<bool> kept_wide(kept.size(), false);
  if (!base.empty()) {
    const OutputFields earlier = output_fields(base);
    for (std::size_t i = 0; i < earlier.schema.size(); ++i) {
      const core::Field& f = earlier.schema[i];
      const auto same = std::find_if(kept.begin(), kept.end(), [&](const core::Field& k) { return k.name == f.name; });
      if (same != kept.end()) {
        if (earlier.wide[i]) kept_wide[same - kept.begin()] = true;
        continue;
      }
      kept.push_back(f);
      kept_meta.push_back(earlier.meta[i]);
      kept_wide.push_back(earlier.wide[i]);
    }
  }
  FieldPlan fields = plan_fields(kept, index.entries(), kept_meta, kept_wide);
  AssemblySummary sum;
  {
    Id file = create_result_file(tmp);
    write_grid(file, space, where);
    {  // every dataset and group closed before the file is
      Assembly a(file, space, std::move(fields), where);
      if (!base.empty())
        read_output_rows(base, [&](const core::ResultBatch& b, const std::vector<std::int32_t>& ranks) {
          a.feed(b, ranks, base);
        });
      const int fd = file_descriptor(file, tmp);
      for (const auto& e : index.entries()) {
        const Segment seg = read_segment(e.path);
        a.feed(seg.batch, std::vector<std::int32_t>(seg.batch.size(), static_cast<std::int32_t>(seg.header.rank)),
               e.path);
        start_writeback(fd);
      }
      sum = a.finish(file, where);
    }
    write_attributes(file, spec, space, prov, sum, where);
    publish_result_file(std::move(file), tmp, output);
  }
  return sum;
}

bool hdf5_shutdown_unsafe() { return h5::close_failed(); }

}  // namespace rsim::io
