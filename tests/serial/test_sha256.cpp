// The SHA-256 wrapper over nettle against the FIPS 180-4 example vectors,
// and a message hashed in blocks against the same message hashed at once.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "rsim/core/sha256.hpp"

using rsim::core::Sha256;
using rsim::core::sha256_hex;

TEST(Sha256, PublishedVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

// One million "a" (FIPS 180-4), given whole and in uneven blocks.
TEST(Sha256, BlocksGiveTheDigestOfTheWhole) {
  const std::string million(1000000, 'a');
  const std::string expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  EXPECT_EQ(sha256_hex(million), expected);
  for (std::size_t block : {std::size_t{1}, std::size_t{63}, std::size_t{64}, std::size_t{65536 + 7}}) {
    Sha256 h;
    for (std::size_t at = 0; at < million.size(); at += block) h.update(std::string_view(million).substr(at, block));
    EXPECT_EQ(h.hex(), expected) << "blocks of " << block;
  }
}

// A message over 1 MiB of every byte value, in blocks and at once; hex()
// starts a new message.
TEST(Sha256, LargeBinaryMessageInBlocks) {
  std::string bytes;
  for (std::size_t i = 0; i < (std::size_t{3} << 19); ++i) bytes.push_back(static_cast<char>(i * 131 % 256));
  Sha256 h;
  for (std::size_t at = 0; at < bytes.size(); at += 100000) h.update(std::string_view(bytes).substr(at, 100000));
  EXPECT_EQ(h.hex(), sha256_hex(bytes));
  h.update("abc");
  EXPECT_EQ(h.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
