#pragma once
// SHA-256 (FIPS 180-4) for the provenance hashes of grid.toml and [data]
// files and for checkpoint compatibility checks: a thin wrapper over nettle.
// A digest is 64 lowercase hex digits; where one is recorded it is written
// "sha256:<hex>".
#include <memory>
#include <string>
#include <string_view>

struct sha256_ctx;  // nettle's state, kept out of this header

namespace rsim::core {

// The digest of `data` as 64 lowercase hex digits.
std::string sha256_hex(std::string_view data);

// SHA-256 of a message given in pieces (a file read in blocks): the digest
// equals sha256_hex of the pieces joined, however they are cut.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view piece);
  // The digest of everything given since construction or the last hex(),
  // as 64 lowercase hex digits; the next update() starts a new message.
  std::string hex();

 private:
  std::unique_ptr<sha256_ctx> ctx_;
};

}  // namespace rsim::core
