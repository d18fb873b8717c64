#include "rsim/core/sha256.hpp"

#include <nettle/base16.h>
#include <nettle/sha2.h>

#include <cstdint>

namespace rsim::core {

Sha256::Sha256() : ctx_(std::make_unique<sha256_ctx>()) {
  sha256_init(ctx_.get());
}

Sha256::~Sha256() = default;

void Sha256::update(std::string_view piece) {
  sha256_update(ctx_.get(), piece.size(), reinterpret_cast<const std::uint8_t*>(piece.data()));
}

std::string Sha256::hex() {
  std::uint8_t digest[SHA256_DIGEST_SIZE];
  sha256_digest(ctx_.get(), SHA256_DIGEST_SIZE, digest);  // also starts the context over
  std::string out(BASE16_ENCODE_LENGTH(SHA256_DIGEST_SIZE), '\0');
  base16_encode_update(out.data(), SHA256_DIGEST_SIZE, digest);  // lowercase digits
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex();
}

}  // namespace rsim::core
