#pragma once
// Checkpoint files are written whole and durably: a temp file, fsync,
// rename, fsync of the folder, so a crash leaves either the whole file or
// none (only a ".tmp-" file, which remove_stale_temp_files() clears).
#include <string>
#include <vector>

namespace rsim::io {

// Writes `data` as `dir`/`name` that way.  A stale temp file is removed
// first; a symbolic link planted under the temp name is refused, not
// followed.  core::IoError naming the file if any step fails.
void write_durably(const std::string& dir, const std::string& name, const std::string& data);

// The whole file, in one read of its size (checkpoint files are read whole
// to verify their checksum).  core::IoError if it cannot be read.
std::string read_whole(const std::string& path);

// The files in `dir` whose names start with `prefix` and end with ".rsb",
// sorted by name; none if `dir` is absent.  core::IoError if it cannot be listed.
std::vector<std::string> list_checkpoint_files(const std::string& dir, const std::string& prefix);

}  // namespace rsim::io
