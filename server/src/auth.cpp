#include "sipas/server/auth.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "sipas/crypto.hpp"

namespace sipas {
namespace {

bool starts_with_scheme(std::string_view header, std::string_view scheme) {
  if (header.size() <= scheme.size() || header[scheme.size()] != ' ') return false;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) !=
        std::tolower(static_cast<unsigned char>(scheme[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

Status unauthorized(std::string message) {
  return Status::error(ErrorCode::not_found, std::move(message));
}

}  // namespace

std::optional<std::string> bearer_token(std::string_view authorization) {
  if (!starts_with_scheme(authorization, "Bearer")) return std::nullopt;
  auto token = trim(authorization.substr(7));
  if (token.empty() || token.size() > 512) return std::nullopt;
  return std::string(token);
}

std::optional<BasicCredentials> basic_credentials(std::string_view authorization) {
  if (!starts_with_scheme(authorization, "Basic")) return std::nullopt;
  auto encoded = trim(authorization.substr(6));
  if (encoded.size() > 1024) return std::nullopt;
  auto decoded = base64_decode(encoded);
  if (!decoded) return std::nullopt;
  auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

std::string token_hash(std::string_view token) { return sha256_hex(token); }

Result<KioskRecord> authenticate_kiosk(ServerStore& store, std::string_view authorization) {
  auto token = bearer_token(authorization);
  if (!token) return unauthorized("missing bearer token");
  auto kiosk = store.kiosk_by_token_hash(token_hash(*token));
  if (!kiosk.is_ok()) return kiosk.status();
  if (!*kiosk) return unauthorized("unknown token");
  if ((*kiosk)->revoked_at) return unauthorized("token revoked");
  return std::move(**kiosk);
}

VerifiedCredentials::VerifiedCredentials(std::chrono::seconds lifetime, std::size_t capacity)
    : secret_(random_token(32)), lifetime_(lifetime), capacity_(capacity) {}

std::string VerifiedCredentials::key_of(const BasicCredentials& c,
                                        const std::string& stored_hash) const {
  std::string material = secret_;
  for (const std::string* part : {&c.user, &c.password, &stored_hash}) {
    material += '\0';
    material += *part;
  }
  return sha256_hex(material);
}

bool VerifiedCredentials::contains(const BasicCredentials& c, const std::string& stored_hash,
                                   TimePoint now) const {
  const std::string key = key_of(c, stored_hash);
  std::lock_guard lock(mutex_);
  auto it = verified_.find(key);
  return it != verified_.end() && now >= it->second && now - it->second < lifetime_;
}

void VerifiedCredentials::remember(const BasicCredentials& c, const std::string& stored_hash,
                                   TimePoint now) {
  const std::string key = key_of(c, stored_hash);
  std::lock_guard lock(mutex_);
  for (auto it = verified_.begin(); it != verified_.end();) {
    it = now - it->second >= lifetime_ ? verified_.erase(it) : std::next(it);
  }
  while (verified_.size() >= capacity_) {
    auto oldest = std::min_element(verified_.begin(), verified_.end(),
                                   [](const auto& a, const auto& b) { return a.second < b.second; });
    verified_.erase(oldest);
  }
  verified_[key] = now;
}

Result<ApiPrincipal> authenticate_user(ServerStore& store, std::string_view authorization,
                                       VerifiedCredentials* cache, TimePoint now) {
  auto credentials = basic_credentials(authorization);
  if (!credentials) return unauthorized("missing credentials");
  return authenticate_user(store, *credentials, cache, now);
}

Result<ApiPrincipal> authenticate_user(ServerStore& store, const BasicCredentials& credentials,
                                       VerifiedCredentials* cache, TimePoint now) {
  // Checked against when the user does not exist, so that both failures cost the same.
  static const std::string dummy_hash = hash_secret("not a password");
  auto user = store.user(credentials.user);
  if (!user.is_ok()) return user.status();
  const bool usable = *user && !(*user)->disabled;
  const std::string& stored = usable ? (*user)->password_hash : dummy_hash;
  if (usable && cache && cache->contains(credentials, stored, now)) {
    return ApiPrincipal{(*user)->name, (*user)->unit};
  }
  bool ok = verify_secret(credentials.password, stored);
  if (!usable || !ok) return unauthorized("wrong user name or password");
  if (cache) cache->remember(credentials, stored, now);
  return ApiPrincipal{(*user)->name, (*user)->unit};
}

}  // namespace sipas
