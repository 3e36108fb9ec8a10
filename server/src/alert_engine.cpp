// AlertEngine: the evaluation and delivery threads, and the real senders (webhook over the sync
// uploader's CurlTransport, e-mail over libcurl's SMTP with STARTTLS required).
#include <curl/curl.h>

#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "sipas/server/alerts.hpp"
#include "sipas/sync/curl_transport.hpp"
#include "store_shared.hpp"

namespace sipas {
namespace {

using nlohmann::json;

constexpr std::size_t kPassLimit = 5000;  // responses or findings read per evaluation

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct ReadState {
  const std::string* text;
  std::size_t at = 0;
};

size_t read_mail(char* buffer, size_t size, size_t count, void* user) {
  auto* st = static_cast<ReadState*>(user);
  const std::size_t room = size * count;
  const std::size_t n = std::min(room, st->text->size() - st->at);
  std::memcpy(buffer, st->text->data() + st->at, n);
  st->at += n;
  return n;
}

Status send_email(const SmtpOptions& smtp, const std::string& to, const std::string& text,
                  std::chrono::milliseconds timeout) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, EasyDeleter> c(curl_easy_init());
  if (!c) return Status::error(ErrorCode::internal, "curl_easy_init failed");
  char error[CURL_ERROR_SIZE] = {0};
  const std::string from = "<" + smtp.from + ">";
  std::unique_ptr<curl_slist, SlistDeleter> rcpt(curl_slist_append(nullptr, ("<" + to + ">").c_str()));
  ReadState state{&text};
  curl_easy_setopt(c.get(), CURLOPT_URL, smtp.url.c_str());
  // STARTTLS or nothing: an alert names kiosks and units, and the login must not travel in clear.
  curl_easy_setopt(c.get(), CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!smtp.ca_file.empty()) curl_easy_setopt(c.get(), CURLOPT_CAINFO, smtp.ca_file.c_str());
  if (!smtp.user.empty()) {
    curl_easy_setopt(c.get(), CURLOPT_USERNAME, smtp.user.c_str());
    curl_easy_setopt(c.get(), CURLOPT_PASSWORD, smtp.password.c_str());
  }
  curl_easy_setopt(c.get(), CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c.get(), CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c.get(), CURLOPT_READFUNCTION, read_mail);
  curl_easy_setopt(c.get(), CURLOPT_READDATA, &state);
  curl_easy_setopt(c.get(), CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(c.get());
  if (rc != CURLE_OK) {
    return Status::error(ErrorCode::unavailable,
                         "SMTP " + smtp.url + ": " + (error[0] ? error : curl_easy_strerror(rc)));
  }
  return Status::ok();
}

}  // namespace

struct AlertEngine::Impl {
  Impl(std::string db_path, AlertOptions opts, const Clock& c,
       std::function<void(const std::string&)> logger, AlertSender s)
      : db(std::move(db_path)), options(std::move(opts)), clock(c), log(std::move(logger)),
        sender(std::move(s)) {}

  std::string db;
  AlertOptions options;
  const Clock& clock;
  std::function<void(const std::string&)> log;
  AlertSender sender;

  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  bool evaluate_wanted = false;
  bool deliver_wanted = false;
  std::thread evaluator, deliverer;
  std::atomic<bool> cancel{false};
  std::mt19937_64 random{std::random_device{}()};  // the delivery thread's

  void say(const std::string& line) {
    if (log) log(line);
  }

  // The real delivery of one message.
  Status send(const AlertMessage& m) {
    if (m.channel == "webhook") {
      CurlOptions o;
      o.ca_file = options.webhook_ca_file;
      o.connect_timeout = options.send_timeout;
      o.total_timeout = options.send_timeout;
      o.user_agent = "sipas-server";
      o.cancel = &cancel;
      auto transport = CurlTransport::create(o);
      if (!transport.is_ok()) return transport.status();
      HttpRequest req;
      req.method = "POST";
      req.url = m.target;
      req.body = m.payload;
      req.headers = {{"Content-Type", "application/json"},
                     {"Sipas-Event", m.event},
                     {"Sipas-Delivery", std::to_string(m.id)}};
      for (auto& h : webhook_signature_headers(m.secret, m.payload, clock.now())) {
        req.headers.push_back(std::move(h));
      }
      auto reply = (*transport)->send(req);
      if (!reply.is_ok()) return reply.status();
      if (reply->status < 200 || reply->status > 299) {
        return Status::error(ErrorCode::unavailable,
                             m.target + " answered HTTP " + std::to_string(reply->status));
      }
      return Status::ok();
    }
    if (m.channel == "email") {
      if (options.smtp.url.empty()) {
        return Status::error(ErrorCode::unavailable, "no SMTP server configured (--smtp-url)");
      }
      json j = json::parse(m.payload, nullptr, false);
      if (!j.is_object() || !j.contains("alert")) {
        return Status::error(ErrorCode::invalid_argument, "unreadable e-mail payload");
      }
      const json& a = j["alert"];
      AlertRecord r;
      r.id = a.value("id", std::int64_t{0});
      r.kind = a.value("kind", "");
      r.unit = a.value("unit", "");
      if (a.contains("kiosk_id") && a["kiosk_id"].is_string()) r.kiosk_id = a["kiosk_id"].get<std::string>();
      r.state = a.value("state", "open");
      r.opened_at = parse_rfc3339(a.value("opened_at", "")).value_or(TimePoint{});
      r.last_seen_at = parse_rfc3339(a.value("last_seen_at", "")).value_or(TimePoint{});
      if (a.contains("cleared_at") && a["cleared_at"].is_string()) {
        r.cleared_at = parse_rfc3339(a["cleared_at"].get<std::string>());
      }
      r.count = a.value("count", std::int64_t{1});
      r.detail = a.value("detail", "");
      std::vector<std::string> languages{"vi"};
      if (j.contains("languages") && j["languages"].is_array()) {
        languages = j["languages"].get<std::vector<std::string>>();
      }
      const auto at = options.smtp.from.find('@');
      const std::string domain = at == std::string::npos ? "localhost" : options.smtp.from.substr(at + 1);
      const std::string message_id = "alert-" + std::to_string(m.alert_id) + "-" +
                                     std::to_string(m.id) + "." +
                                     std::to_string(unix_ms(m.created_at)) + "@" + domain;
      const std::string text = alert_email(r, m.event, options.smtp.from, m.target, languages,
                                           m.created_at, message_id);
      return send_email(options.smtp, m.target, text, options.send_timeout);
    }
    return Status::error(ErrorCode::invalid_argument, "unknown channel " + m.channel);
  }

  std::vector<AlertMessage> messages_for(const EffectiveAlertRules& rules, const AlertRecord& a,
                                         const std::string& event, TimePoint now) {
    std::vector<AlertMessage> out;
    const std::string payload = alert_json_text(a, event);
    for (const Webhook& h : rules.webhooks) {
      AlertMessage m;
      m.channel = "webhook";
      m.target = h.url;
      m.secret = h.secret;
      m.payload = payload;
      m.created_at = m.next_attempt_at = now;
      out.push_back(std::move(m));
    }
    if (!rules.emails.empty() && options.smtp.url.empty()) {
      say("alert " + std::to_string(a.id) + ": e-mail addresses are set but no SMTP server "
          "(--smtp-url); no e-mail queued");
      return out;
    }
    json with_languages = json::parse(payload);
    with_languages["languages"] = rules.email_languages;
    for (const std::string& to : rules.emails) {
      AlertMessage m;
      m.channel = "email";
      m.target = to;
      m.payload = with_languages.dump(-1, ' ', false, json::error_handler_t::replace);
      m.created_at = m.next_attempt_at = now;
      out.push_back(std::move(m));
    }
    return out;
  }

  Status evaluate(ServerStore& store);
  Result<int> deliver(ServerStore& store);
  void worker_loop(bool Impl::*wanted, std::chrono::milliseconds every,
                   std::chrono::milliseconds gap, const char* what,
                   const std::function<Status(ServerStore&)>& step);
  void evaluate_loop();
  void deliver_loop();
  bool cursor_written = false;  // the evaluation thread's (and evaluate_once's caller's)
  // Time zones by name, loaded once (the same thread as cursor_written); nullopt: not loadable.
  std::map<std::string, std::optional<TimeZone>> zones;
};

Status AlertEngine::Impl::evaluate(ServerStore& store) {
  const TimePoint now = clock.now();
  auto cursor = store.alert_cursor();
  if (!cursor.is_ok()) return cursor.status();
  auto texts = store.alert_rules();
  if (!texts.is_ok()) return texts.status();
  std::map<std::string, AlertRules> rules;
  for (const auto& [unit, text] : *texts) {
    auto parsed = parse_alert_rules(text, "the stored alert rules of " + unit);
    if (parsed.is_ok()) {
      rules[unit] = *parsed;
    } else {
      say("alerts: " + parsed.status().message());
    }
  }
  auto units = store.units();
  if (!units.is_ok()) return units.status();
  std::map<std::string, std::optional<std::string>> parents;
  for (const auto& u : *units) parents[u.code] = u.parent;
  auto kiosks = store.kiosks();
  if (!kiosks.is_ok()) return kiosks.status();
  auto health = store.latest_health();
  if (!health.is_ok()) return health.status();
  auto responses = store.alert_responses(cursor->response_rid, kPassLimit);
  if (!responses.is_ok()) return responses.status();
  auto findings = store.alert_findings(cursor->finding_fid, kPassLimit);
  if (!findings.is_ok()) return findings.status();
  AlertFilter open_filter;
  open_filter.limit = 1'000'000;
  auto open = store.alerts(open_filter);
  if (!open.is_ok()) return open.status();
  auto surveys = store.survey_texts();
  if (!surveys.is_ok()) return surveys.status();
  std::set<std::string> points;
  for (const auto& text : *surveys) {
    json j = json::parse(text, nullptr, false);
    if (j.is_object() && j.contains("id") && j["id"].is_string() && is_points_survey(text)) {
      points.insert(j["id"].get<std::string>());
    }
  }

  AlertInputs in;
  in.now = now;
  std::map<std::string, std::string> unit_of;
  for (const KioskRecord& k : *kiosks) {
    KioskAlertInput x;
    x.kiosk_id = k.kiosk_id;
    x.unit = k.unit;
    x.created_at = parse_rfc3339(k.created_at).value_or(now);
    if (k.last_contact) x.last_contact = parse_rfc3339(*k.last_contact);
    // The backlog as the kiosk last reported it (protocol section 13): a kiosk that went silent
    // keeps its last backlog; one that never sent health has none to judge.
    if (auto h = health->find(k.kiosk_id); h != health->end()) {
      x.oldest_pending_at = h->second.health.oldest_pending_at;
    }
    x.revoked = k.revoked_at.has_value();
    unit_of[k.kiosk_id] = k.unit;
    in.kiosks.push_back(std::move(x));
  }
  in.new_responses = std::move(responses).value();
  in.new_findings = std::move(findings).value();
  in.open = std::move(open).value();
  in.rules = [&](const std::string& unit) { return effective_alert_rules(unit, rules, parents); };
  in.is_points = [&](const std::string& survey) { return points.count(survey) > 0; };
  std::map<std::string, std::string> zone_of;
  for (const auto& u : *units) zone_of[u.code] = u.time_zone;
  in.offset_of = [&](const std::string& unit, TimePoint t) -> std::chrono::seconds {
    auto z = zone_of.find(unit);
    const std::string name = z == zone_of.end() ? "Asia/Ho_Chi_Minh" : z->second;
    auto cached = zones.find(name);
    if (cached == zones.end()) {
      auto loaded = TimeZone::load(name);
      cached = zones.emplace(name, loaded.is_ok() ? std::optional<TimeZone>(*loaded)
                                                  : std::nullopt).first;
    }
    return cached->second ? cached->second->offset_at(t) : std::chrono::hours(7);
  };
  for (const std::string& kiosk : kiosks_needing_windows(in)) {
    auto unit = unit_of.find(kiosk);
    if (unit == unit_of.end()) continue;
    auto rule = in.rules(unit->second).unhappy_share;
    std::vector<AlertResponse> window;
    if (rule) {
      auto read = store.alert_window(kiosk, now - std::chrono::minutes(rule->window_minutes), 100000);
      if (!read.is_ok()) return read.status();
      window = std::move(read).value();
    }
    in.windows[kiosk] = std::move(window);
  }

  AlertPass pass;
  pass.from = *cursor;
  pass.to = *cursor;
  if (!in.new_responses.empty()) pass.to.response_rid = in.new_responses.back().rid;
  if (!in.new_findings.empty()) pass.to.finding_fid = in.new_findings.back().fid;
  pass.upserts = evaluate_alerts(in);
  if (pass.upserts.empty() && pass.to == pass.from && cursor_written) return Status::ok();
  pass.messages = [&](const AlertRecord& a, const std::string& event) {
    return messages_for(in.rules(a.unit), a, event, now);
  };
  auto applied = store.apply_alert_pass(pass);
  if (!applied.is_ok()) return applied.status();
  cursor_written = true;
  bool queued = false;
  if (*applied) {
    for (const AlertUpsert& u : pass.upserts) {
      if (u.event.empty()) continue;
      queued = true;
      say("alert " + u.event + ": " + u.alert.key + " (" + u.alert.detail + ")");
    }
  }
  const bool more = !*applied || in.new_responses.size() >= kPassLimit ||
                    in.new_findings.size() >= kPassLimit;
  if (queued || more) {
    {
      std::lock_guard lock(mutex);
      deliver_wanted = deliver_wanted || queued;
      evaluate_wanted = evaluate_wanted || more;
    }
    wake.notify_all();
  }
  return Status::ok();
}

Result<int> AlertEngine::Impl::deliver(ServerStore& store) {
  constexpr std::size_t kRound = 50;
  auto due = store.due_alert_messages(clock.now(), kRound);
  if (!due.is_ok()) return due.status();
  int sent = 0;
  std::uniform_real_distribution<double> unit_interval(0.0, 1.0);
  for (const AlertMessage& m : *due) {
    if (cancel) break;
    const std::string what = "alert message " + std::to_string(m.id) + " (" + m.channel + " to " +
                             m.target + ", alert " + std::to_string(m.alert_id) + " " + m.event + ")";
    if (clock.now() - m.created_at > options.expire_after) {
      Status s = store.finish_alert_message(m.id, "expired", clock.now(), m.last_error);
      if (!s.is_ok()) return s;
      say(what + " given up after " + std::to_string(m.attempts) + " attempts: " + m.last_error);
      continue;
    }
    Status result = sender ? sender(m) : send(m);
    if (result.is_ok()) {
      Status s = store.finish_alert_message(m.id, "sent", clock.now(), "");
      if (!s.is_ok()) return s;
      ++sent;
      continue;
    }
    const std::int64_t attempts = m.attempts + 1;
    const TimePoint next = next_alert_attempt(clock.now(), attempts, options.retry_initial,
                                              options.retry_cap, unit_interval(random));
    Status s = store.retry_alert_message(m.id, attempts, next, result.message());
    if (!s.is_ok()) return s;
    say(what + " failed (attempt " + std::to_string(attempts) + "): " + result.message() +
        "; next attempt at " + format_rfc3339(next));
  }
  if (due->size() >= kRound) {
    {
      std::lock_guard lock(mutex);
      deliver_wanted = true;
    }
    wake.notify_all();
  }
  return sent;
}

AlertEngine::AlertEngine(std::string db, AlertOptions options, const Clock& clock,
                         std::function<void(const std::string&)> log, AlertSender sender)
    : impl_(std::make_unique<Impl>(std::move(db), std::move(options), clock, std::move(log),
                                   std::move(sender))) {}

AlertEngine::~AlertEngine() { stop(); }

void AlertEngine::start() {
  if (!impl_->options.enabled || impl_->evaluator.joinable()) return;
  // The first evaluation runs here, before the server takes any batch: it fixes where evaluation
  // starts (the responses stored until now make no alerts), so that no batch can slip in between.
  if (auto store = ServerStore::open(impl_->db); store.is_ok()) {
    if (Status s = impl_->evaluate(**store); !s.is_ok()) {
      impl_->say("alerts: evaluation failed: " + s.message());
    }
  } else {
    impl_->say("alerts: cannot open the database: " + store.status().message());
  }
  std::lock_guard lock(impl_->mutex);
  impl_->stopping = false;
  impl_->evaluate_wanted = impl_->deliver_wanted = true;
  impl_->evaluator = std::thread([this] { impl_->evaluate_loop(); });
  impl_->deliverer = std::thread([this] { impl_->deliver_loop(); });
}

void AlertEngine::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->cancel = true;
  impl_->wake.notify_all();
  if (impl_->evaluator.joinable()) impl_->evaluator.join();
  if (impl_->deliverer.joinable()) impl_->deliverer.join();
  impl_->cancel = false;
}

void AlertEngine::notify() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->evaluate_wanted = true;
  }
  impl_->wake.notify_all();
}

// One worker thread: waits until `every` has passed, `*wanted` was set or the engine stops; opens
// its storage connection when it has none; runs `step`. A failed step is logged and drops the
// connection, so the next round opens a fresh one. After each step it waits `gap` at least.
void AlertEngine::Impl::worker_loop(bool Impl::*wanted, std::chrono::milliseconds every,
                                    std::chrono::milliseconds gap, const char* what,
                                    const std::function<Status(ServerStore&)>& step) {
  std::unique_ptr<ServerStore> store;
  for (;;) {
    {
      std::unique_lock lock(mutex);
      wake.wait_for(lock, every, [&] { return stopping || this->*wanted; });
      if (stopping) return;
      this->*wanted = false;
    }
    if (!store) {
      auto opened = ServerStore::open(db);
      if (!opened.is_ok()) {
        say("alerts: cannot open the database: " + opened.status().message());
        continue;
      }
      store = std::move(opened).value();
    }
    Status s = step(*store);
    if (!s.is_ok()) {
      say(std::string("alerts: ") + what + " failed: " + s.message());
      store.reset();
    }
    if (gap.count() > 0) {
      std::unique_lock lock(mutex);
      wake.wait_for(lock, gap, [&] { return stopping; });
    }
  }
}

void AlertEngine::Impl::evaluate_loop() {
  // At most a few evaluations a second however many batches arrive: each one reads the alert
  // state, and on PostgreSQL waits for the batches being written.
  worker_loop(&Impl::evaluate_wanted, options.evaluate_every, options.min_gap, "evaluation",
              [this](ServerStore& store) { return evaluate(store); });
}

void AlertEngine::Impl::deliver_loop() {
  worker_loop(&Impl::deliver_wanted, options.deliver_every, std::chrono::milliseconds(0),
              "delivery", [this](ServerStore& store) { return deliver(store).status(); });
}

Status AlertEngine::evaluate_once(ServerStore& store) { return impl_->evaluate(store); }
Result<int> AlertEngine::deliver_once(ServerStore& store) { return impl_->deliver(store); }

}  // namespace sipas
