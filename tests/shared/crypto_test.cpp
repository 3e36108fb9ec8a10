#include "sipas/crypto.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace sipas {
namespace {

TEST(Crypto, Sha256KnownAnswers) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(std::string("a\0b", 3)), sha256_hex(std::string("a\0b", 3)));
  EXPECT_NE(sha256_hex(std::string("a\0b", 3)), sha256_hex("a"));
}

// RFC 4231, test cases 1 and 2.
TEST(Crypto, HmacSha256KnownAnswers) {
  EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_NE(hmac_sha256_hex("", "x"), hmac_sha256_hex("k", "x"));
}

TEST(Crypto, RandomUuidIsVersionFourLowercase) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string id = random_uuid();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_TRUE(is_uuid(id)) << id;
    EXPECT_EQ(id[14], '4') << id;
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
    for (char c : id) EXPECT_FALSE(c >= 'A' && c <= 'Z') << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(Crypto, IsUuidRejectsOtherShapes) {
  EXPECT_TRUE(is_uuid("3f1c2a4e-8b7d-4c6a-9e2f-1a2b3c4d5e6f"));
  EXPECT_TRUE(is_uuid("3F1C2A4E-8B7D-4C6A-9E2F-1A2B3C4D5E6F"));
  for (const char* bad : {"", "3f1c2a4e8b7d4c6a9e2f1a2b3c4d5e6f", "3f1c2a4e-8b7d-4c6a-9e2f-1a2b3c4d5e6",
                          "3f1c2a4e-8b7d-4c6a-9e2f-1a2b3c4d5e6f0", "3f1c2a4e-8b7d-4c6a-9e2f_1a2b3c4d5e6f",
                          "3f1c2a4g-8b7d-4c6a-9e2f-1a2b3c4d5e6f", "{3f1c2a4e-8b7d-4c6a-9e2f-1a2b3c4d}"}) {
    EXPECT_FALSE(is_uuid(bad)) << bad;
  }
}

TEST(Crypto, RandomTokenIsHexOfRequestedLength) {
  std::string a = random_token();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(random_token(4).size(), 8u);
  EXPECT_NE(random_token(), a);
}

TEST(Crypto, HashSecretVerifiesOnlyTheSameSecret) {
  std::string stored = hash_secret("2468", 1000);
  EXPECT_EQ(stored.rfind("pbkdf2-sha256$1000$", 0), 0u) << stored;
  EXPECT_TRUE(verify_secret("2468", stored));
  EXPECT_FALSE(verify_secret("2469", stored));
  EXPECT_FALSE(verify_secret("", stored));
  EXPECT_FALSE(verify_secret("24680", stored));
}

TEST(Crypto, HashSecretSaltsEachHash) {
  EXPECT_NE(hash_secret("2468", 1000), hash_secret("2468", 1000));
}

TEST(Crypto, VerifySecretMatchesIndependentPbkdf2) {
  // python3: hashlib.pbkdf2_hmac('sha256', b'1234', bytes.fromhex('000102…0f'), 1000).hex()
  EXPECT_TRUE(verify_secret(
      "1234",
      "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$"
      "2240ea2a22754a3c4610356ef8e4d7acf25af2ac3d2d11866de97a8b7812c52c"));
}

TEST(Crypto, VerifySecretRejectsMalformedHashes) {
  std::string good = hash_secret("1234", 1000);
  std::string key = good.substr(good.rfind('$') + 1);
  for (const std::string& bad :
       {std::string(), std::string("1234"), std::string("pbkdf2-sha256$1000$00$"),
        "sha1$1000$000102030405060708090a0b0c0d0e0f$" + key,
        "pbkdf2-sha256$0$000102030405060708090a0b0c0d0e0f$" + key,
        "pbkdf2-sha256$-5$000102030405060708090a0b0c0d0e0f$" + key,
        "pbkdf2-sha256$99999999999$000102030405060708090a0b0c0d0e0f$" + key,
        "pbkdf2-sha256$1000x$000102030405060708090a0b0c0d0e0f$" + key,
        "pbkdf2-sha256$1000$zz0102030405060708090a0b0c0d0e0f$" + key,
        "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0$" + key,
        "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$" + key + "$extra",
        "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$" + key.substr(2)}) {
    EXPECT_FALSE(verify_secret("1234", bad)) << bad;
  }
}

TEST(Crypto, GzipRoundTrips) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "{\"criterion\":\"officer.polite\",\"value\":4},";
  std::string packed = gzip_compress(text);
  ASSERT_GE(packed.size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>(packed[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(packed[1]), 0x8b);
  EXPECT_LT(packed.size(), text.size() / 10);
  std::string out;
  ASSERT_TRUE(gzip_decompress(packed, text.size(), &out));
  EXPECT_EQ(out, text);
}

TEST(Crypto, GzipRoundTripsEmptyInput) {
  std::string out = "stale";
  ASSERT_TRUE(gzip_decompress(gzip_compress(""), 0, &out));
  EXPECT_EQ(out, "");
}

TEST(Crypto, GunzipRefusesOutputBeyondLimit) {
  std::string bomb = gzip_compress(std::string(10'000'000, '\0'));
  EXPECT_LT(bomb.size(), 20'000u);
  std::string out;
  EXPECT_FALSE(gzip_decompress(bomb, 1'000'000, &out));
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(gzip_decompress(bomb, 10'000'000, &out));
  EXPECT_EQ(out.size(), 10'000'000u);
}

TEST(Crypto, GunzipTellsTooLargeApartFromCorrupt) {
  std::string out;
  bool too_large = false;
  EXPECT_FALSE(gzip_decompress(gzip_compress(std::string(100'000, ' ')), 1000, &out, &too_large));
  EXPECT_TRUE(too_large);
  EXPECT_FALSE(gzip_decompress("\x1f\x8b\x08\x00 not deflate", 1000, &out, &too_large));
  EXPECT_FALSE(too_large);
}

TEST(Crypto, GunzipRejectsGarbageTruncationAndTrailingBytes) {
  std::string packed = gzip_compress("Rất hài lòng với cán bộ tiếp nhận hồ sơ");
  std::string out;
  EXPECT_FALSE(gzip_decompress("not gzip at all", 1000, &out));
  EXPECT_FALSE(gzip_decompress(packed.substr(0, packed.size() - 5), 1000, &out));
  EXPECT_FALSE(gzip_decompress(packed + "xx", 1000, &out));
  std::string flipped = packed;
  flipped[packed.size() / 2] = static_cast<char>(flipped[packed.size() / 2] ^ 0x55);
  EXPECT_FALSE(gzip_decompress(flipped, 1000, &out));
  EXPECT_FALSE(gzip_decompress("", 1000, &out));
}

}  // namespace
}  // namespace sipas
