#pragma once
// The one wrapper every HDF5 call goes through: a negative status becomes an
// IoError carrying HDF5's own error stack, and every hid_t is owned by an
// RAII handle.  Only rsim/io includes hdf5.h.
#include <hdf5.h>

#include <string>
#include <utility>

namespace rsim::io::h5 {

// Throws core::IoError("<call> failed: <HDF5 stack>", where, fix) if status < 0.
herr_t check(herr_t status, const char* call, const std::string& where, const char* fix = nullptr);
hid_t check_id(hid_t id, const char* call, const std::string& where, const char* fix = nullptr);

// Owns an HDF5 identifier of any kind and closes it with the right H5*close.
class Id {
 public:
  Id() = default;
  explicit Id(hid_t id) : id_(id) {}
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  Id(Id&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)) {}
  Id& operator=(Id&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  ~Id() { reset(); }
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }  // NOLINT: handles are passed straight to H5* calls
  void reset() noexcept;
  // Gives up ownership (the caller closes it, checked).
  hid_t release() noexcept { return std::exchange(id_, H5I_INVALID_HID); }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

// Silences HDF5's automatic error printing for the process (errors are
// reported through exceptions instead).  Idempotent.
void quiet_errors();

// A file whose H5Fclose failed stays registered, half destroyed, in HDF5
// 1.10, which crashes closing it again when the library shuts down (at
// MPI_Finalize).  close_file() records such a failure here; the process
// must then end without shutting HDF5 down (job::must_skip_shutdown()).
void close_file(hid_t file, const std::string& where, const char* fix);
bool close_failed();

// Shorthand for `Id(check_id(expr, #call, where))`.
#define RSIM_H5(call, where) ::rsim::io::h5::Id(::rsim::io::h5::check_id((call), #call, (where)))
#define RSIM_H5_CHECK(call, where) ::rsim::io::h5::check((call), #call, (where))

}  // namespace rsim::io::h5
