// Authentication of requests. Kiosks present a bearer token (POST /api/v1/batches); people using
// the API present HTTP Basic credentials of a user made with `sipas-server user add` (the
// dashboard will add a session cookie as a second way in).
//
// Pure functions over header values and a ServerStore; thread-safe as long as each thread uses
// its own ServerStore.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "sipas/crypto.hpp"
#include "sipas/server/server_store.hpp"
#include "sipas/status.hpp"
#include "sipas/time.hpp"

namespace sipas {

// "Bearer TOKEN" -> TOKEN (scheme case-insensitive); nullopt when absent or malformed.
std::optional<std::string> bearer_token(std::string_view authorization);

struct BasicCredentials {
  std::string user;
  std::string password;
};
// "Basic base64(user:password)" -> credentials; nullopt when absent or malformed.
std::optional<BasicCredentials> basic_credentials(std::string_view authorization);

// base64_decode and base64_encode: sipas/crypto.hpp.

// The hash under which a kiosk token is stored. Tokens are 32 random bytes, so a plain SHA-256
// is enough (no salt or stretching needed).
std::string token_hash(std::string_view token);

// The kiosk a bearer token belongs to. not_found (HTTP 401) when the header is missing, the token
// unknown or the kiosk revoked; storage errors otherwise.
Result<KioskRecord> authenticate_kiosk(ServerStore& store, std::string_view authorization);

// Who is calling the API, and what part of the province they may see.
struct ApiPrincipal {
  std::string user;
  std::optional<std::string> unit;  // nullopt: the whole province
};

// Recently verified HTTP Basic credentials, so that a script calling the API many times does not
// pay a full PBKDF2 per request. An entry is a keyed hash (the key is random per process, so the
// table says nothing about passwords) of the user name and password, with the stored password
// hash it was verified against: a new password, a disabled or deleted user take effect at the
// next request, because the stored hash is read every time. Entries last `lifetime`; at most
// `capacity` are kept (the oldest go first). Thread-safe.
class VerifiedCredentials {
 public:
  explicit VerifiedCredentials(std::chrono::seconds lifetime = std::chrono::minutes(5),
                               std::size_t capacity = 1024);
  bool contains(const BasicCredentials& c, const std::string& stored_hash, TimePoint now) const;
  void remember(const BasicCredentials& c, const std::string& stored_hash, TimePoint now);

 private:
  std::string key_of(const BasicCredentials& c, const std::string& stored_hash) const;
  const std::string secret_;
  const std::chrono::seconds lifetime_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::map<std::string, TimePoint> verified_;  // key -> when verified
};

// Checks HTTP Basic credentials against the users table (verify_secret). not_found (HTTP 401)
// for a missing header, unknown or disabled user or wrong password; the time taken does not
// reveal which. With `cache`, credentials verified within its lifetime skip the hash.
Result<ApiPrincipal> authenticate_user(ServerStore& store, std::string_view authorization,
                                       VerifiedCredentials* cache = nullptr, TimePoint now = {});
// The same for a user name and password already taken apart (the login form).
Result<ApiPrincipal> authenticate_user(ServerStore& store, const BasicCredentials& credentials,
                                       VerifiedCredentials* cache = nullptr, TimePoint now = {});

}  // namespace sipas
