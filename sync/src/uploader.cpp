#include "sipas/sync/uploader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <sys/statvfs.h>

#include <nlohmann/json.hpp>

#include "sipas/crypto.hpp"
#include "sipas/protocol.hpp"

namespace sipas {
namespace {

constexpr const char* kPending = "sync.pending";
constexpr const char* kLastAttempt = "sync.last_attempt_at";
constexpr const char* kLastSuccess = "sync.last_success_at";
constexpr const char* kNextAttempt = "sync.next_attempt_at";
constexpr const char* kLastError = "sync.last_error";
constexpr const char* kReachable = "sync.server_reachable";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

bool is_loopback_host(std::string host) {
  host = lower(host);
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  if (!host.starts_with("127.")) return false;
  int parts = 0;
  std::string_view rest = host;
  while (!rest.empty()) {
    auto dot = rest.find('.');
    std::string_view part = rest.substr(0, dot);
    int value = -1;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (ec != std::errc() || end != part.data() + part.size() || value < 0 || value > 255) {
      return false;
    }
    ++parts;
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
    if (rest.empty()) return false;
  }
  return parts == 4;
}

// The server's {"error"} words, else the start of its body, on one line.
std::string error_detail(const HttpResponse& response) {
  std::string detail;
  auto j = nlohmann::json::parse(response.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    detail = j["error"].get<std::string>();
  } else {
    detail = response.body;
  }
  for (char& c : detail) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (detail.size() > 200) detail = detail.substr(0, 200) + "...";
  return trim(detail);
}

std::string with_detail(std::string text, const HttpResponse& response) {
  std::string detail = error_detail(response);
  return detail.empty() ? text : text + ": " + detail;
}

std::optional<std::chrono::milliseconds> retry_after_header(const HttpResponse& response) {
  auto it = response.headers.find("retry-after");
  if (it == response.headers.end()) return std::nullopt;
  long long seconds = -1;
  const std::string& v = it->second;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
  if (ec != std::errc() || end != v.data() + v.size() || seconds < 0) return std::nullopt;
  return std::chrono::milliseconds(std::min<long long>(seconds, 24 * 3600) * 1000);
}

std::optional<TimePoint> parse_time_setting(const std::optional<std::string>& v) {
  if (!v || v->empty()) return std::nullopt;
  return parse_rfc3339(*v);
}

}  // namespace

void RealSleeper::sleep_for(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

RandomSource default_random_source() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

Backoff::Backoff(RandomSource random, std::chrono::milliseconds initial,
                 std::chrono::milliseconds cap)
    : random_(std::move(random)),
      initial_(std::max(initial, std::chrono::milliseconds(1))),
      cap_(std::max(cap, initial_)) {}

std::chrono::milliseconds Backoff::next_delay() {
  ++failures_;
  std::chrono::milliseconds base = initial_;
  for (int i = 1; i < failures_ && base < cap_; ++i) base *= 2;
  base = std::min(base, cap_);
  double r = std::clamp(random_ ? random_() : 0.5, 0.0, 1.0);
  auto half = base.count() / 2;
  auto jitter = static_cast<std::int64_t>(r * static_cast<double>(base.count() - half));
  return std::min(cap_, std::chrono::milliseconds(half + jitter));
}

UploaderOptions UploaderOptions::from_config(const KioskConfig& config) {
  UploaderOptions o;
  o.kiosk_id = config.kiosk_id;
  o.server_url = config.server.url;
  o.token_file = config.server.token_file;
  o.batch_size = config.server.batch_size;
  o.allow_insecure_http = config.server.allow_insecure_http;
  o.db_path = config.db_path;
  o.heartbeat_interval = std::chrono::seconds(config.server.heartbeat_seconds);
  return o;
}

Status check_server_url(const std::string& url, bool allow_insecure_http) {
  auto bad = [&](const std::string& why) {
    return Status::error(ErrorCode::invalid_argument, "server URL \"" + url + "\": " + why);
  };
  auto sep = url.find("://");
  if (url.empty()) return bad("missing");
  if (sep == std::string::npos) return bad("must start with https://");
  std::string scheme = lower(url.substr(0, sep));
  if (scheme != "https" && scheme != "http") return bad("must start with https://");
  std::string authority = url.substr(sep + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  std::string host;
  if (authority.starts_with("[")) {
    auto close = authority.find(']');
    if (close == std::string::npos) return bad("unterminated [IPv6] host");
    host = authority.substr(0, close + 1);
  } else {
    host = authority.substr(0, authority.find(':'));
  }
  if (host.empty()) return bad("no host");
  if (scheme == "https" || allow_insecure_http || is_loopback_host(host)) return Status::ok();
  return bad("plain http:// is allowed only to this machine (loopback); use https:// or set "
             "allow_insecure_http in the config");
}

Result<SyncState> read_sync_state(ResponseStore& store) {
  SyncState s;
  auto get = [&](const char* key) -> Result<std::optional<std::string>> {
    return store.setting(key);
  };
  auto pending = store.pending_count();
  if (!pending.is_ok()) return pending.status();
  s.pending = *pending;
  for (auto [key, field] : {std::pair{kLastAttempt, &s.last_attempt},
                            std::pair{kLastSuccess, &s.last_success},
                            std::pair{kNextAttempt, &s.next_attempt}}) {
    auto v = get(key);
    if (!v.is_ok()) return v.status();
    *field = parse_time_setting(*v);
  }
  auto error = get(kLastError);
  if (!error.is_ok()) return error.status();
  s.last_error = error->value_or("");
  auto reachable = get(kReachable);
  if (!reachable.is_ok()) return reachable.status();
  s.server_reachable = reachable->value_or("0") == "1";
  return s;
}

Result<KioskHealth> collect_health(ResponseStore& store, const UploaderOptions& options,
                                   TimePoint started_at, TimePoint now, std::int64_t in_body,
                                   std::int64_t body_last_seq) {
  KioskHealth h;
  h.software_version = options.software_version;
  auto pending = store.pending_count();
  if (!pending.is_ok()) return pending.status();
  h.pending = std::max<std::int64_t>(0, *pending - in_body);
  auto oldest = store.oldest_pending_submitted_at(body_last_seq);
  if (!oldest.is_ok()) return oldest.status();
  h.oldest_pending_at = *oldest;
  auto config_version = store.setting("config.version");
  if (!config_version.is_ok()) return config_version.status();
  if (*config_version) {
    std::int64_t v = -1;
    const std::string& text = **config_version;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc() && end == text.data() + text.size() && v >= 0) h.config_version = v;
  }
  for (const char* key : {kLastError, "config.last_error"}) {
    auto error = store.setting(key);
    if (!error.is_ok()) return error.status();
    if (*error && !(*error)->empty()) {
      h.last_error = **error;
      break;
    }
  }
  // The directory holds the database, its journal and the WAL: its filesystem is the one that
  // fills up.
  if (!options.db_path.empty() && options.db_path != ":memory:") {
    std::filesystem::path dir = options.db_path.parent_path();
    if (dir.empty()) dir = ".";
    struct statvfs fs {};
    if (statvfs(dir.c_str(), &fs) == 0) {
      h.disk_free_bytes = static_cast<std::int64_t>(fs.f_bavail) *
                          static_cast<std::int64_t>(fs.f_frsize);
    }
  }
  h.clock = now;
  h.uptime_seconds = std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::seconds>(now - started_at).count());
  return h;
}

BatchUploader::BatchUploader(UploaderOptions options, ResponseStore& store,
                             HttpTransport& transport, const Clock& clock, RandomSource random)
    : options_(std::move(options)),
      store_(store),
      transport_(transport),
      clock_(clock),
      backoff_(std::move(random), options_.backoff_initial, options_.backoff_cap) {
  std::string base = options_.server_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  endpoint_ = base + "/api/v1/batches";
  started_at_ = options_.started_at.value_or(clock_.now());
}

Result<std::unique_ptr<BatchUploader>> BatchUploader::create(UploaderOptions options,
                                                             ResponseStore& store,
                                                             HttpTransport& transport,
                                                             const Clock& clock,
                                                             RandomSource random) {
  if (Status s = check_server_url(options.server_url, options.allow_insecure_http); !s.is_ok()) {
    return s;
  }
  if (options.kiosk_id.empty()) {
    return Status::error(ErrorCode::invalid_argument, "kiosk id is empty");
  }
  if (options.batch_size < 1 || options.batch_size > 10000) {
    return Status::error(ErrorCode::invalid_argument,
                         "batch size " + std::to_string(options.batch_size) +
                             " is outside 1..10000");
  }
  if (options.token_file.empty()) {
    return Status::error(ErrorCode::invalid_argument, "no token file configured");
  }
  return std::unique_ptr<BatchUploader>(
      new BatchUploader(std::move(options), store, transport, clock, std::move(random)));
}

Result<std::string> BatchUploader::read_token() {
  const auto& path = options_.token_file;
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) {
    return Status::error(ErrorCode::invalid_argument,
                         "token file " + path.string() + ": not found");
  }
  if (!std::filesystem::is_regular_file(st)) {
    return Status::error(ErrorCode::invalid_argument,
                         "token file " + path.string() + ": not a regular file");
  }
  using std::filesystem::perms;
  auto p = st.permissions();
  if (!warned_token_mode_ && (p & (perms::group_read | perms::others_read)) != perms::none) {
    warned_token_mode_ = true;
    std::ostringstream mode;
    mode << std::oct << (static_cast<unsigned>(p) & 0777u);
    std::cerr << "warning: token file " << path.string()
              << " is readable by group or others (mode 0" << mode.str()
              << "); run chmod 600 on it\n";
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::error(ErrorCode::invalid_argument,
                         "token file " + path.string() + ": cannot be read");
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string token = trim(text);
  if (token.empty()) {
    return Status::error(ErrorCode::invalid_argument, "token file " + path.string() + " is empty");
  }
  for (unsigned char c : token) {
    if (c < 0x21 || c > 0x7e) {
      return Status::error(ErrorCode::invalid_argument,
                           "token file " + path.string() +
                               ": the token must be one line of printable ASCII");
    }
  }
  return token;
}

PassReport BatchUploader::sync_once() {
  PassReport report;
  std::optional<bool> reachable;
  std::optional<std::string> token;
  std::optional<std::chrono::milliseconds> server_wait;
  std::size_t limit = static_cast<std::size_t>(options_.batch_size);

  auto fail = [&](Status s) { report.status = std::move(s); };
  auto cancelled = [&] { return options_.cancel && options_.cancel->load(); };

  while (true) {
    if (cancelled()) break;
    auto pending = store_.pending(limit);
    if (!pending.is_ok()) {
      fail(pending.status());
      break;
    }
    bool heartbeat = false;
    if (pending->empty()) {
      const TimePoint now = clock_.now();
      const bool due = report.batches == 0 &&
                       (!last_reply_ || now - *last_reply_ >= options_.heartbeat_interval);
      if (!due) break;
      heartbeat = true;
    }
    if (!token) {
      auto t = read_token();
      if (!t.is_ok()) {
        report.retryable = false;
        fail(t.status());
        break;
      }
      token = std::move(t).value();
    }

    const std::int64_t first_seq = heartbeat ? 0 : pending->front().seq;
    const std::int64_t last_seq = heartbeat ? 0 : pending->back().seq;
    const std::size_t count = pending->size();
    std::set<std::string> ids;
    for (const auto& r : *pending) ids.insert(r.id);

    BatchRequest batch;
    batch.kiosk_id = options_.kiosk_id;
    batch.batch_id = random_uuid();
    batch.sent_at = clock_.now();
    batch.responses = std::move(pending).value();
    auto health = collect_health(store_, options_, started_at_, batch.sent_at,
                                 static_cast<std::int64_t>(count), last_seq);
    if (!health.is_ok()) {
      fail(health.status());
      break;
    }
    batch.health = std::move(health).value();

    HttpRequest request;
    request.method = "POST";
    request.url = endpoint_;
    request.headers = {{"Authorization", "Bearer " + *token},
                       {"Content-Type", "application/json"},
                       {"Content-Encoding", "gzip"},
                       {"Accept", "application/json"}};
    request.body = gzip_compress(batch_to_body(batch));

    auto sent = transport_.send(request);
    if (!sent.is_ok()) {
      reachable = false;
      report.http_status = 0;
      fail(Status::error(ErrorCode::unavailable,
                         "server unreachable: " + sent.status().message()));
      break;
    }
    reachable = true;
    const HttpResponse& response = *sent;
    report.http_status = response.status;

    if (response.status == 413 && count > 0) {
      if (count > 1) {
        limit = count / 2;
        continue;
      }
      const auto& only = batch.responses.front();
      Status marked = store_.mark_rejected(
          only.id, "the server refused it as too large even when sent alone (HTTP 413)");
      if (!marked.is_ok()) {
        fail(marked);
        break;
      }
      ++report.rejected;
      continue;
    }
    if (response.status != 200) {
      std::string words =
          with_detail("server answered HTTP " + std::to_string(response.status), response);
      if (response.status == 401) {
        report.retryable = false;
        words = "the server refused the token (HTTP 401); check the token file " +
                options_.token_file.string();
      } else if (response.status == 403) {
        report.retryable = false;
        words = with_detail("the server refused this kiosk's batch (HTTP 403)", response);
      }
      server_wait = retry_after_header(response);
      fail(Status::error(ErrorCode::unavailable, words));
      break;
    }

    auto reply = batch_reply_from_json(response.body);
    if (!reply.is_ok()) {
      fail(Status::error(ErrorCode::unavailable,
                         "the server's reply could not be read: " + reply.status().message()));
      break;
    }
    last_reply_ = clock_.now();
    if (heartbeat) {
      ++report.batches;
      report.heartbeat = true;
      break;
    }
    BatchReply settle = *reply;
    settle.rejected.clear();
    for (const auto& item : reply->rejected) {
      if (ids.count(item.id)) settle.rejected.push_back(item);
    }
    // A reply that accounts for every response of the batch settles the whole batch, even when
    // the server's acked_seq stays lower because of a gap it saw in this kiosk's chain.
    const auto settled = reply->accepted + reply->duplicates +
                         static_cast<std::int64_t>(reply->rejected.size());
    if (settled == static_cast<std::int64_t>(count) &&
        settle.rejected.size() == reply->rejected.size()) {
      settle.acked_seq = std::max(settle.acked_seq, last_seq);
    }
    if (Status s = store_.apply_reply(settle); !s.is_ok()) {
      fail(s);
      break;
    }
    ++report.batches;
    report.accepted += reply->accepted;
    report.duplicates += reply->duplicates;
    report.rejected += static_cast<std::int64_t>(settle.rejected.size());
    if (settle.acked_seq < first_seq && settle.rejected.empty()) {
      fail(Status::error(ErrorCode::unavailable,
                         "the server acknowledged none of the batch (acked_seq " +
                             std::to_string(reply->acked_seq) + ", batch starts at seq " +
                             std::to_string(first_seq) + ")"));
      break;
    }
  }

  auto left = store_.pending_count();
  report.pending_left = left.is_ok() ? *left : -1;
  if (cancelled()) {
    report.status = Status::error(ErrorCode::unavailable, "stopped");
    return report;
  }

  if (report.status.is_ok()) {
    backoff_.reset();
    report.retry_after = std::chrono::milliseconds(0);
  } else {
    auto wait = backoff_.next_delay();
    if (!report.retryable) wait = backoff_.cap();
    if (server_wait) wait = std::min(std::max(wait, *server_wait), backoff_.cap());
    report.retry_after = wait;
  }

  TimePoint now = clock_.now();
  auto set = [&](const char* key, const std::string& value) {
    if (Status s = store_.set_setting(key, value); !s.is_ok() && report.status.is_ok()) {
      report.status = s;
    }
  };
  if (report.pending_left >= 0) set(kPending, std::to_string(report.pending_left));
  set(kLastAttempt, format_rfc3339(now));
  if (reachable) set(kReachable, *reachable ? "1" : "0");
  if (report.status.is_ok()) {
    set(kLastSuccess, format_rfc3339(now));
    set(kLastError, "");
    set(kNextAttempt, "");
  } else {
    set(kLastError, report.status.message());
    set(kNextAttempt, format_rfc3339(now + report.retry_after));
  }
  return report;
}

PassReport BatchUploader::drain(Sleeper& sleeper, int max_attempts) {
  PassReport total;
  for (int attempt = 1;; ++attempt) {
    PassReport pass = sync_once();
    total.accepted += pass.accepted;
    total.duplicates += pass.duplicates;
    total.rejected += pass.rejected;
    total.batches += pass.batches;
    total.pending_left = pass.pending_left;
    total.http_status = pass.http_status;
    total.status = pass.status;
    total.retryable = pass.retryable;
    total.retry_after = pass.retry_after;
    // With nothing left to deliver, a failed heartbeat is not worth waiting for.
    if (pass.status.is_ok() || !pass.retryable || pass.pending_left == 0 ||
        attempt >= max_attempts) {
      return total;
    }
    sleeper.sleep_for(pass.retry_after);
  }
}

}  // namespace sipas
