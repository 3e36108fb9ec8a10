#include "sipas/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace sipas {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr std::string_view kSecretScheme = "pbkdf2-sha256";
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kKeyBytes = 32;
// Bounds on what verify_secret() accepts from a stored hash, so that a tampered file cannot make
// a PIN check take minutes.
constexpr long kMaxIterations = 10'000'000;

std::string to_hex(const unsigned char* data, std::size_t n) {
  std::string out(n * 2, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHexDigits[data[i] >> 4];
    out[2 * i + 1] = kHexDigits[data[i] & 0x0f];
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool from_hex(std::string_view hex, std::vector<unsigned char>* out) {
  if (hex.size() % 2 != 0) return false;
  out->assign(hex.size() / 2, 0);
  for (std::size_t i = 0; i < out->size(); ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

// Without working randomness every id and token this process would hand out is guessable or
// colliding; there is no safe way to go on.
void random_bytes(unsigned char* buf, std::size_t n) {
  while (n > 0) {
    int chunk = static_cast<int>(std::min<std::size_t>(n, INT_MAX));
    if (RAND_bytes(buf, chunk) != 1) {
      std::fputs("sipas: the system random number generator failed\n", stderr);
      std::abort();
    }
    buf += chunk;
    n -= static_cast<std::size_t>(chunk);
  }
}

bool pbkdf2(std::string_view secret, const unsigned char* salt, std::size_t salt_len,
            int iterations, unsigned char* out, std::size_t out_len) {
  return PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()), salt,
                           static_cast<int>(salt_len), iterations, EVP_sha256(),
                           static_cast<int>(out_len), out) == 1;
}

struct DeflateStream {
  z_stream s{};
  bool ready = false;
  ~DeflateStream() {
    if (ready) deflateEnd(&s);
  }
};

struct InflateStream {
  z_stream s{};
  bool ready = false;
  ~InflateStream() {
    if (ready) inflateEnd(&s);
  }
};

constexpr int kGzipWindowBits = 15 + 16;  // +16: gzip wrapper instead of zlib's

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    std::fputs("sipas: SHA-256 is not available from OpenSSL\n", stderr);
    std::abort();
  }
  return to_hex(digest, len);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // An empty key is a valid HMAC key; HMAC() needs a non-null pointer for it.
  static const unsigned char kEmpty = 0;
  const void* k = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (HMAC(EVP_sha256(), k, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &len) ==
      nullptr) {
    std::fputs("sipas: HMAC-SHA256 is not available from OpenSSL\n", stderr);
    std::abort();
  }
  return to_hex(digest, len);
}

std::string random_uuid() {
  unsigned char b[16];
  random_bytes(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string hex = to_hex(b, sizeof b);
  return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' +
         hex.substr(16, 4) + '-' + hex.substr(20, 12);
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return false;
    } else if (hex_value(text[i]) < 0) {
      return false;
    }
  }
  return true;
}

std::string random_token(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  random_bytes(buf.data(), buf.size());
  return to_hex(buf.data(), buf.size());
}

std::string hash_secret(std::string_view secret, int iterations) {
  iterations = std::clamp<int>(iterations, 1, static_cast<int>(kMaxIterations));
  unsigned char salt[kSaltBytes];
  random_bytes(salt, sizeof salt);
  unsigned char key[kKeyBytes];
  if (!pbkdf2(secret, salt, sizeof salt, iterations, key, sizeof key)) {
    std::fputs("sipas: PBKDF2 is not available from OpenSSL\n", stderr);
    std::abort();
  }
  return std::string(kSecretScheme) + '$' + std::to_string(iterations) + '$' +
         to_hex(salt, sizeof salt) + '$' + to_hex(key, sizeof key);
}

bool verify_secret(std::string_view secret, std::string_view stored) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (parts.size() < 5) {
    std::size_t end = stored.find('$', start);
    parts.push_back(stored.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (parts.size() != 4 || parts[0] != kSecretScheme) return false;

  long iterations = 0;
  const char* first = parts[1].data();
  const char* last = first + parts[1].size();
  auto [ptr, ec] = std::from_chars(first, last, iterations);
  if (ec != std::errc() || ptr != last || iterations < 1 || iterations > kMaxIterations) {
    return false;
  }

  std::vector<unsigned char> salt;
  std::vector<unsigned char> expected;
  if (!from_hex(parts[2], &salt) || salt.empty() || salt.size() > 1024) return false;
  if (!from_hex(parts[3], &expected) || expected.size() < 16 || expected.size() > 64) return false;

  std::vector<unsigned char> actual(expected.size());
  if (!pbkdf2(secret, salt.data(), salt.size(), static_cast<int>(iterations), actual.data(),
              actual.size())) {
    return false;
  }
  return CRYPTO_memcmp(actual.data(), expected.data(), expected.size()) == 0;
}

std::string gzip_compress(std::string_view data) {
  DeflateStream z;
  if (deflateInit2(&z.s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return {};
  }
  z.ready = true;
  std::string out;
  out.resize(deflateBound(&z.s, static_cast<uLong>(std::min<std::size_t>(data.size(), UINT_MAX))) +
             64);
  std::size_t in_pos = 0;
  std::size_t out_pos = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    std::size_t in_chunk = std::min<std::size_t>(data.size() - in_pos, UINT_MAX);
    z.s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + in_pos));
    z.s.avail_in = static_cast<uInt>(in_chunk);
    bool last = in_pos + in_chunk == data.size();
    if (out.size() - out_pos < 1024) out.resize(out.size() * 2 + 1024);
    std::size_t out_chunk = std::min<std::size_t>(out.size() - out_pos, UINT_MAX);
    z.s.next_out = reinterpret_cast<Bytef*>(out.data() + out_pos);
    z.s.avail_out = static_cast<uInt>(out_chunk);
    rc = deflate(&z.s, last ? Z_FINISH : Z_NO_FLUSH);
    if (rc == Z_STREAM_ERROR) return {};
    in_pos += in_chunk - z.s.avail_in;
    out_pos += out_chunk - z.s.avail_out;
  }
  out.resize(out_pos);
  return out;
}

bool gzip_decompress(std::string_view data, std::size_t max_output, std::string* out,
                     bool* too_large) {
  out->clear();
  if (too_large) *too_large = false;
  InflateStream z;
  if (inflateInit2(&z.s, kGzipWindowBits) != Z_OK) return false;
  z.ready = true;
  std::size_t in_pos = 0;
  char buf[16384];
  for (;;) {
    std::size_t in_chunk = std::min<std::size_t>(data.size() - in_pos, UINT_MAX);
    z.s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + in_pos));
    z.s.avail_in = static_cast<uInt>(in_chunk);
    z.s.next_out = reinterpret_cast<Bytef*>(buf);
    z.s.avail_out = sizeof buf;
    int rc = inflate(&z.s, Z_NO_FLUSH);
    in_pos += in_chunk - z.s.avail_in;
    std::size_t produced = sizeof buf - z.s.avail_out;
    if (produced > max_output - out->size()) {
      out->clear();
      if (too_large) *too_large = true;
      return false;
    }
    out->append(buf, produced);
    if (rc == Z_STREAM_END) {
      // Anything after the gzip member is not part of a body we produced.
      if (in_pos != data.size()) {
        out->clear();
        return false;
      }
      return true;
    }
    if (rc == Z_BUF_ERROR && produced == 0 && in_pos == data.size()) {
      out->clear();  // truncated input
      return false;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      out->clear();
      return false;
    }
  }
}

}  // namespace sipas

#include <openssl/err.h>
#include <openssl/pem.h>

#include <array>
#include <cstdint>
#include <memory>

namespace sipas {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string openssl_error(const char* what) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return what;
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return std::string(what) + " (" + buf + ")";
}

Pkey read_key(std::string_view pem, bool is_private, std::string* error) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    *error = openssl_error("out of memory");
    return nullptr;
  }
  Pkey key(is_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                      : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!key) {
    *error = is_private ? "not a PEM private key" : "not a PEM public key";
    return nullptr;
  }
  if (EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
    *error = is_private ? "not an Ed25519 private key" : "not an Ed25519 public key";
    return nullptr;
  }
  return key;
}

bool write_pem(EVP_PKEY* key, bool is_private, std::string* out, std::string* error) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio) {
    *error = openssl_error("out of memory");
    return false;
  }
  int ok = is_private
               ? PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
               : PEM_write_bio_PUBKEY(bio.get(), key);
  if (ok != 1) {
    *error = openssl_error("cannot write the key");
    return false;
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  out->assign(data, static_cast<std::size_t>(n));
  return true;
}

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

bool ed25519_generate(Ed25519KeyPair* out, std::string* error) {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    *error = openssl_error("cannot generate an Ed25519 key");
    return false;
  }
  Pkey key(raw);
  return write_pem(key.get(), true, &out->private_pem, error) &&
         write_pem(key.get(), false, &out->public_pem, error);
}

bool ed25519_public_of(std::string_view private_pem, std::string* public_pem, std::string* error) {
  Pkey key = read_key(private_pem, true, error);
  return key && write_pem(key.get(), false, public_pem, error);
}

bool ed25519_sign(std::string_view private_pem, std::string_view data, std::string* signature,
                  std::string* error) {
  Pkey key = read_key(private_pem, true, error);
  if (!key) return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  // Ed25519 hashes internally: no digest is named, and the data goes in one call.
  std::size_t n = 64;
  signature->assign(n, '\0');
  if (!md || EVP_DigestSignInit(md.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(signature->data()), &n,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    *error = openssl_error("cannot sign");
    return false;
  }
  signature->resize(n);
  return true;
}

bool ed25519_verify(std::string_view public_pem, std::string_view data,
                    std::string_view signature, std::string* error) {
  Pkey key = read_key(public_pem, false, error);
  if (!key) return false;
  if (signature.size() != 64) {
    *error = "the signature is " + std::to_string(signature.size()) + " bytes, not 64";
    return false;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  if (!md || EVP_DigestVerifyInit(md.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    *error = openssl_error("cannot verify");
    return false;
  }
  int rc = EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                            data.size());
  ERR_clear_error();
  if (rc != 1) {
    *error = "signature does not match";
    return false;
  }
  return true;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::array<int, 256> value{};
  value.fill(-1);
  for (int i = 0; i < 64; ++i) value[static_cast<unsigned char>(kBase64[i])] = i;
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = value[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

std::string base64_encode(std::string_view data) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : data) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kBase64[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kBase64[(acc << (6 - bits)) & 0x3f]);
  while (out.size() % 4 != 0) out.push_back('=');
  return out;
}

}  // namespace sipas
