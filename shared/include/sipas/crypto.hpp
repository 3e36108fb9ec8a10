// Hashing, random identifiers and secret storage (OpenSSL). All functions are thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace sipas {

// Lowercase hex SHA-256 of the bytes.
std::string sha256_hex(std::string_view data);

// Lowercase hex HMAC-SHA256 of `data` under `key` (RFC 2104), for signing webhook bodies.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// A random UUID v4 in its 36-character lowercase form.
std::string random_uuid();
bool is_uuid(std::string_view text);

// A random token of `bytes` random bytes, URL-safe (hex).
std::string random_token(std::size_t bytes = 32);

// Salted, slow hash for PINs and passwords: "pbkdf2-sha256$ITER$SALT_HEX$HASH_HEX".
std::string hash_secret(std::string_view secret, int iterations = 100000);
// Constant-time check of a secret against hash_secret()'s output; false for malformed hashes.
bool verify_secret(std::string_view secret, std::string_view stored);

// gzip (RFC 1952) compression for upload bodies; gunzip refuses output beyond max_output
// (returns false) so that a small "bomb" cannot exhaust memory. When it returns false,
// *too_large (if given) tells that reason apart from input that is not one valid gzip member.
std::string gzip_compress(std::string_view data);
bool gzip_decompress(std::string_view data, std::size_t max_output, std::string* out,
                     bool* too_large = nullptr);

}  // namespace sipas
