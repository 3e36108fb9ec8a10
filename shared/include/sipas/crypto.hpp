// Hashing, random identifiers and secret storage (OpenSSL). All functions are thread-safe.
#pragma once

#include <optional>
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

// Ed25519 signatures (OpenSSL) for the configuration bundles the server pushes to kiosks.
// Keys travel as PEM text: PKCS#8 "PRIVATE KEY" and SubjectPublicKeyInfo "PUBLIC KEY". Errors
// are plain words for a caller to put after a file name; nothing throws.
namespace sipas {

struct Ed25519KeyPair {
  std::string private_pem;
  std::string public_pem;
};

// A fresh key pair; false (with *error set) only when OpenSSL fails.
bool ed25519_generate(Ed25519KeyPair* out, std::string* error);
// The 64-byte signature of `data` by the private key `private_pem`; false with *error when the
// PEM is not an Ed25519 private key.
bool ed25519_sign(std::string_view private_pem, std::string_view data, std::string* signature,
                  std::string* error);
// Whether `signature` is a valid signature of `data` by the key `public_pem`. *error says why
// not (a key that does not load, a signature of the wrong size, or "signature does not match").
bool ed25519_verify(std::string_view public_pem, std::string_view data,
                    std::string_view signature, std::string* error);
// The public key of a private key, as PEM.
bool ed25519_public_of(std::string_view private_pem, std::string* public_pem, std::string* error);

// Standard base64 (RFC 4648): encode pads with "="; decode ignores trailing "=" and is nullopt
// on any character outside the alphabet.
std::string base64_encode(std::string_view data);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace sipas
