#include "rsim/io/h5.hpp"

#include <atomic>
#include <mutex>

#include "rsim/core/error.hpp"

namespace rsim::io::h5 {

namespace {
herr_t collect(unsigned n, const H5E_error2_t* e, void* data) {
  auto* out = static_cast<std::string*>(data);
  if (n > 0) *out += "; ";
  *out += e->func_name ? e->func_name : "?";
  *out += "(): ";
  *out += e->desc ? e->desc : "";
  return 0;
}

std::string error_stack() {
  std::string s;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect, &s);
  H5Eclear2(H5E_DEFAULT);
  return s.empty() ? "no HDF5 error stack" : s;
}

[[noreturn]] void fail(const char* call, const std::string& where, const char* fix) {
  throw core::IoError(std::string(call) + " failed: " + error_stack(), where,
                      fix ? fix : "check that the path is writable, the disk has space, and the file is an rsim/HDF5 file");
}
}  // namespace

herr_t check(herr_t status, const char* call, const std::string& where, const char* fix) {
  if (status < 0) fail(call, where, fix);
  return status;
}

hid_t check_id(hid_t id, const char* call, const std::string& where, const char* fix) {
  if (id < 0) fail(call, where, fix);
  return id;
}

void Id::reset() noexcept {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE: H5Fclose(id_); break;
    case H5I_GROUP: H5Gclose(id_); break;
    case H5I_DATATYPE: H5Tclose(id_); break;
    case H5I_DATASPACE: H5Sclose(id_); break;
    case H5I_DATASET: H5Dclose(id_); break;
    case H5I_ATTR: H5Aclose(id_); break;
    case H5I_GENPROP_LST: H5Pclose(id_); break;
    default: break;
  }
  id_ = H5I_INVALID_HID;
}

namespace {
std::atomic<bool> g_close_failed{false};
}

void close_file(hid_t file, const std::string& where, const char* fix) {
  const herr_t rc = H5Fclose(file);
  if (rc < 0) g_close_failed = true;
  check(rc, "H5Fclose", where, fix);
}

bool close_failed() { return g_close_failed; }

void quiet_errors() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

}  // namespace rsim::io::h5
