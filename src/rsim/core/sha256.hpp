#pragma once
// SHA-256 (FIPS 180-4) of a byte string, for provenance hashes of grid.toml
// and checkpoint compatibility checks.  Self-contained: no external library.
#include <string>
#include <string_view>

namespace rsim::core {

// The digest of `data` as 64 lowercase hex digits.
std::string sha256_hex(std::string_view data);

}  // namespace rsim::core
