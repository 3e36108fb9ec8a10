#include "sipas/server/alerts.hpp"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "html.hpp"
#include "sipas/crypto.hpp"
#include "sipas/server/auth.hpp"
#include "sipas/sync/uploader.hpp"

namespace sipas {
namespace {

using nlohmann::json;

const std::set<std::string> kFindingKinds = {"gap",   "broken_chain", "bad_hash",
                                             "seq_reused", "burst",   "clock_skew"};

Status bad(const std::string& source, const std::string& field, const std::string& what) {
  return Status::error(ErrorCode::invalid_argument, source + ": " + field + ": " + what);
}

// A whole number in [lo, hi] at obj[key], or `fallback` when absent.
Result<int> int_field(const json& obj, const char* key, const std::string& path, int lo, int hi,
                      int fallback, const std::string& source) {
  if (!obj.contains(key)) return fallback;
  const json& v = obj.at(key);
  if (!v.is_number_integer() || v.get<long long>() < lo || v.get<long long>() > hi) {
    return bad(source, path + "." + key,
               "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
  }
  return static_cast<int>(v.get<long long>());
}

Status only_keys(const json& obj, const std::set<std::string>& keys, const std::string& path,
                 const std::string& source) {
  for (const auto& [k, v] : obj.items()) {
    if (!keys.count(k)) return bad(source, path.empty() ? k : path + "." + k, "unknown field");
  }
  return Status::ok();
}

bool loopback_host(const std::string& url) {
  for (const char* p : {"http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:",
                        "http://localhost/", "http://[::1]:", "http://[::1]/"}) {
    if (url.rfind(p, 0) == 0) return true;
  }
  return false;
}

bool plausible_email(const std::string& a) {
  const auto at = a.find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= a.size() || a.size() > 254) return false;
  for (unsigned char c : a) {
    // No spaces, angle brackets or line breaks: the address goes into SMTP commands and headers.
    if (c <= ' ' || c == '<' || c == '>' || c == ',' || c == ';' || c == 127) return false;
  }
  return a.find('@', at + 1) == std::string::npos;
}

template <class Rule, class Parse>
Status parse_setting(const json& root, const char* key, RuleSetting<Rule>& out, Parse&& parse,
                     const std::string& source) {
  if (!root.contains(key)) return Status::ok();
  out.given = true;
  const json& v = root.at(key);
  if (v.is_boolean() && !v.get<bool>()) return Status::ok();
  if (!v.is_object()) return bad(source, key, "must be an object, or false to switch it off");
  auto rule = parse(v, std::string(key));
  if (!rule.is_ok()) return rule.status();
  out.rule = *rule;
  return Status::ok();
}

std::string fmt_time(TimePoint t) { return format_rfc3339(t); }

// An alert's detail in both languages: English for logs and the API, Vietnamese for the
// dashboard and the e-mails.
struct Detail {
  std::string en;
  std::string vi;
};

// "08:13 04/11/2026" in the unit's zone.
std::string vi_time(const AlertInputs& in, const std::string& unit, TimePoint t) {
  const std::chrono::seconds offset = in.offset_of ? in.offset_of(unit, t) : std::chrono::hours(7);
  return format_local(t, offset, LocalStyle::day_first);
}

// "3 giờ 5 phút", "45 phút".
std::string vi_span(std::chrono::milliseconds d) {
  const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(d).count();
  if (minutes < 60) return std::to_string(minutes) + " phút";
  std::string out = std::to_string(minutes / 60) + " giờ";
  if (minutes % 60) out += " " + std::to_string(minutes % 60) + " phút";
  return out;
}

const char* vi_finding(const std::string& kind) {
  if (kind == "gap") return "thiếu phiếu trong dãy số thứ tự";
  if (kind == "broken_chain") return "đứt chuỗi liên kết phiếu";
  if (kind == "bad_hash") return "mã kiểm tra phiếu không khớp";
  if (kind == "seq_reused") return "số thứ tự phiếu bị dùng lại";
  if (kind == "burst") return "nhiều phiếu giống hệt nhau liên tiếp";
  if (kind == "clock_skew") return "đồng hồ kiosk lệch";
  return "dấu hiệu bất thường";
}

}  // namespace

json alert_to_json(const AlertRecord& a) {
  auto opt_time = [](const std::optional<TimePoint>& t) {
    return t ? json(format_rfc3339(*t)) : json(nullptr);
  };
  return json{{"id", a.id},
              {"kind", a.kind},
              {"unit", a.unit},
              {"kiosk_id", a.kiosk_id ? json(*a.kiosk_id) : json(nullptr)},
              {"state", a.state},
              {"opened_at", format_rfc3339(a.opened_at)},
              {"last_seen_at", format_rfc3339(a.last_seen_at)},
              {"cleared_at", opt_time(a.cleared_at)},
              {"count", a.count},
              {"detail", a.detail},
              {"detail_vi", a.detail_vi},
              {"acknowledged_at", opt_time(a.acked_at)},
              {"acknowledged_by", a.acked_by ? json(*a.acked_by) : json(nullptr)}};
}

Result<AlertRules> parse_alert_rules(const std::string& json_text, const std::string& source) {
  json root = json::parse(json_text, nullptr, false);
  if (root.is_discarded()) return Status::error(ErrorCode::invalid_argument, source + ": not valid JSON");
  if (!root.is_object()) return Status::error(ErrorCode::invalid_argument, source + ": must be a JSON object");
  if (Status s = only_keys(root, {"low_rating", "unhappy_share", "kiosk_offline", "backlog",
                                  "finding", "webhooks", "emails", "email_languages"},
                           "", source);
      !s.is_ok()) {
    return s;
  }
  AlertRules r;
  Status s = parse_setting(
      root, "low_rating", r.low_rating,
      [&](const json& v, const std::string& path) -> Result<LowRatingRule> {
        if (Status k = only_keys(v, {"max_value", "comment_required", "quiet_minutes"}, path, source);
            !k.is_ok()) {
          return k;
        }
        LowRatingRule rule;
        auto max = int_field(v, "max_value", path, 1, 4, rule.max_value, source);
        if (!max.is_ok()) return max.status();
        auto quiet = int_field(v, "quiet_minutes", path, 1, 7 * 24 * 60, rule.quiet_minutes, source);
        if (!quiet.is_ok()) return quiet.status();
        if (v.contains("comment_required")) {
          if (!v.at("comment_required").is_boolean()) {
            return bad(source, path + ".comment_required", "must be true or false");
          }
          rule.comment_required = v.at("comment_required").get<bool>();
        }
        rule.max_value = *max;
        rule.quiet_minutes = *quiet;
        return rule;
      },
      source);
  if (!s.is_ok()) return s;
  s = parse_setting(
      root, "unhappy_share", r.unhappy_share,
      [&](const json& v, const std::string& path) -> Result<UnhappyShareRule> {
        if (Status k = only_keys(v, {"window_minutes", "threshold_percent", "min_count"}, path, source);
            !k.is_ok()) {
          return k;
        }
        UnhappyShareRule rule;
        auto w = int_field(v, "window_minutes", path, 1, 24 * 60, rule.window_minutes, source);
        if (!w.is_ok()) return w.status();
        auto t = int_field(v, "threshold_percent", path, 1, 100, rule.threshold_percent, source);
        if (!t.is_ok()) return t.status();
        auto m = int_field(v, "min_count", path, 1, 10000, rule.min_count, source);
        if (!m.is_ok()) return m.status();
        return UnhappyShareRule{*w, *t, *m};
      },
      source);
  if (!s.is_ok()) return s;
  s = parse_setting(
      root, "kiosk_offline", r.kiosk_offline,
      [&](const json& v, const std::string& path) -> Result<OfflineRule> {
        if (Status k = only_keys(v, {"hours"}, path, source); !k.is_ok()) return k;
        auto h = int_field(v, "hours", path, 1, 24 * 365, OfflineRule{}.hours, source);
        if (!h.is_ok()) return h.status();
        return OfflineRule{*h};
      },
      source);
  if (!s.is_ok()) return s;
  s = parse_setting(
      root, "backlog", r.backlog,
      [&](const json& v, const std::string& path) -> Result<BacklogRule> {
        if (Status k = only_keys(v, {"hours"}, path, source); !k.is_ok()) return k;
        auto h = int_field(v, "hours", path, 1, 24 * 365, BacklogRule{}.hours, source);
        if (!h.is_ok()) return h.status();
        return BacklogRule{*h};
      },
      source);
  if (!s.is_ok()) return s;
  s = parse_setting(
      root, "finding", r.finding,
      [&](const json& v, const std::string& path) -> Result<FindingRule> {
        if (Status k = only_keys(v, {"kinds", "quiet_minutes"}, path, source); !k.is_ok()) return k;
        FindingRule rule;
        rule.kinds = kFindingKinds;
        if (v.contains("kinds")) {
          const json& kinds = v.at("kinds");
          if (!kinds.is_array()) return bad(source, path + ".kinds", "must be a list of finding kinds");
          rule.kinds.clear();
          for (std::size_t i = 0; i < kinds.size(); ++i) {
            const json& k = kinds[i];
            if (!k.is_string() || !kFindingKinds.count(k.get<std::string>())) {
              return bad(source, path + ".kinds[" + std::to_string(i) + "]",
                         "must be one of gap, broken_chain, bad_hash, seq_reused, burst, "
                         "clock_skew");
            }
            rule.kinds.insert(k.get<std::string>());
          }
        }
        auto quiet = int_field(v, "quiet_minutes", path, 1, 30 * 24 * 60, rule.quiet_minutes, source);
        if (!quiet.is_ok()) return quiet.status();
        rule.quiet_minutes = *quiet;
        return rule;
      },
      source);
  if (!s.is_ok()) return s;
  if (root.contains("webhooks")) {
    const json& hooks = root.at("webhooks");
    if (!hooks.is_array()) return bad(source, "webhooks", "must be a list of {\"url\", \"secret\"}");
    std::vector<Webhook> list;
    for (std::size_t i = 0; i < hooks.size(); ++i) {
      const std::string path = "webhooks[" + std::to_string(i) + "]";
      const json& h = hooks[i];
      if (!h.is_object()) return bad(source, path, "must be an object with url and secret");
      if (Status k = only_keys(h, {"url", "secret"}, path, source); !k.is_ok()) return k;
      if (!h.contains("url") || !h.at("url").is_string()) return bad(source, path + ".url", "is required");
      const std::string url = h.at("url").get<std::string>();
      if (url.rfind("https://", 0) != 0 && !loopback_host(url)) {
        return bad(source, path + ".url",
                   "must be an https:// URL (plain http:// only to this machine)");
      }
      if (url.find_first_of(" \r\n\t") != std::string::npos) {
        return bad(source, path + ".url", "must not contain spaces or line breaks");
      }
      if (!h.contains("secret") || !h.at("secret").is_string() ||
          h.at("secret").get<std::string>().size() < 16) {
        return bad(source, path + ".secret", "is required, at least 16 characters");
      }
      list.push_back({url, h.at("secret").get<std::string>()});
    }
    r.webhooks = std::move(list);
  }
  if (root.contains("emails")) {
    const json& mails = root.at("emails");
    if (!mails.is_array()) return bad(source, "emails", "must be a list of e-mail addresses");
    std::vector<std::string> list;
    for (std::size_t i = 0; i < mails.size(); ++i) {
      if (!mails[i].is_string() || !plausible_email(mails[i].get<std::string>())) {
        return bad(source, "emails[" + std::to_string(i) + "]", "must be an e-mail address");
      }
      list.push_back(mails[i].get<std::string>());
    }
    r.emails = std::move(list);
  }
  if (root.contains("email_languages")) {
    const json& langs = root.at("email_languages");
    if (!langs.is_array()) return bad(source, "email_languages", "must be a list of \"vi\", \"en\"");
    std::vector<std::string> list{"vi"};
    for (std::size_t i = 0; i < langs.size(); ++i) {
      if (!langs[i].is_string() || (langs[i] != "vi" && langs[i] != "en")) {
        return bad(source, "email_languages[" + std::to_string(i) + "]", "must be \"vi\" or \"en\"");
      }
      if (langs[i] == "en" && std::find(list.begin(), list.end(), "en") == list.end()) {
        list.push_back("en");
      }
    }
    r.email_languages = std::move(list);
  }
  return r;
}

namespace {

json low_rating_json(const LowRatingRule& r) {
  return {{"max_value", r.max_value}, {"comment_required", r.comment_required},
          {"quiet_minutes", r.quiet_minutes}};
}
json unhappy_json(const UnhappyShareRule& r) {
  return {{"window_minutes", r.window_minutes}, {"threshold_percent", r.threshold_percent},
          {"min_count", r.min_count}};
}
json finding_json(const FindingRule& r) {
  return {{"kinds", std::vector<std::string>(r.kinds.begin(), r.kinds.end())},
          {"quiet_minutes", r.quiet_minutes}};
}
template <class Rule, class ToJson>
void put(json& j, const char* key, const std::optional<Rule>& rule, ToJson&& to_json) {
  j[key] = rule ? to_json(*rule) : json(false);
}
json hooks_json(const std::vector<Webhook>& hooks) {
  json list = json::array();
  for (const auto& h : hooks) list.push_back({{"url", h.url}, {"secret", h.secret}});
  return list;
}

}  // namespace

std::string alert_rules_json(const AlertRules& r) {
  json j = json::object();
  if (r.low_rating.given) put(j, "low_rating", r.low_rating.rule, low_rating_json);
  if (r.unhappy_share.given) put(j, "unhappy_share", r.unhappy_share.rule, unhappy_json);
  if (r.kiosk_offline.given) {
    put(j, "kiosk_offline", r.kiosk_offline.rule, [](const OfflineRule& o) { return json{{"hours", o.hours}}; });
  }
  if (r.backlog.given) {
    put(j, "backlog", r.backlog.rule, [](const BacklogRule& o) { return json{{"hours", o.hours}}; });
  }
  if (r.finding.given) put(j, "finding", r.finding.rule, finding_json);
  if (r.webhooks) j["webhooks"] = hooks_json(*r.webhooks);
  if (r.emails) j["emails"] = *r.emails;
  if (r.email_languages) j["email_languages"] = *r.email_languages;
  return j.dump(2);
}

EffectiveAlertRules effective_alert_rules(
    const std::string& unit, const std::map<std::string, AlertRules>& rules,
    const std::map<std::string, std::optional<std::string>>& parents) {
  EffectiveAlertRules out;
  std::set<std::string> decided;
  auto take = [&](const char* key, const auto& setting, auto& target, const std::string& from) {
    if (decided.count(key) || !setting.given) return;
    decided.insert(key);
    target = setting.rule;
    out.source[key] = from;
  };
  std::optional<std::string> cur = unit;
  // Bounded: the unit tree has no cycles (import refuses them) and is a few levels deep.
  for (int guard = 0; cur && guard < 64; ++guard) {
    if (auto it = rules.find(*cur); it != rules.end()) {
      const AlertRules& r = it->second;
      take("low_rating", r.low_rating, out.low_rating, *cur);
      take("unhappy_share", r.unhappy_share, out.unhappy_share, *cur);
      take("kiosk_offline", r.kiosk_offline, out.kiosk_offline, *cur);
      take("backlog", r.backlog, out.backlog, *cur);
      take("finding", r.finding, out.finding, *cur);
      if (r.webhooks && !decided.count("webhooks")) {
        decided.insert("webhooks");
        out.webhooks = *r.webhooks;
        out.source["webhooks"] = *cur;
      }
      if (r.emails && !decided.count("emails")) {
        decided.insert("emails");
        out.emails = *r.emails;
        out.source["emails"] = *cur;
      }
      if (r.email_languages && !decided.count("email_languages")) {
        decided.insert("email_languages");
        out.email_languages = *r.email_languages;
        out.source["email_languages"] = *cur;
      }
    }
    auto p = parents.find(*cur);
    cur = p == parents.end() ? std::nullopt : p->second;
  }
  return out;
}

std::string effective_rules_json(const EffectiveAlertRules& r) {
  json j = json::object();
  put(j, "low_rating", r.low_rating, low_rating_json);
  put(j, "unhappy_share", r.unhappy_share, unhappy_json);
  put(j, "kiosk_offline", r.kiosk_offline, [](const OfflineRule& o) { return json{{"hours", o.hours}}; });
  put(j, "backlog", r.backlog, [](const BacklogRule& o) { return json{{"hours", o.hours}}; });
  put(j, "finding", r.finding, finding_json);
  // Secrets stay out of what is shown.
  json hooks = json::array();
  for (const auto& h : r.webhooks) hooks.push_back({{"url", h.url}});
  j["webhooks"] = hooks;
  j["emails"] = r.emails;
  j["email_languages"] = r.email_languages;
  j["from"] = r.source;
  return j.dump(2);
}

bool ack_closes(const std::string& kind) { return kind == "low_rating" || kind == "finding"; }

namespace {

// The alerts one evaluation changes, by key, over the open ones.
class Changes {
 public:
  Changes(const std::vector<AlertRecord>& open, TimePoint now) : now_(now) {
    for (const auto& a : open) open_[a.key] = a;
  }
  bool is_open(const std::string& key) const {
    if (auto it = out_.find(key); it != out_.end()) return it->second.alert.state == "open";
    return open_.count(key) > 0;
  }
  // The condition happened (again): opens the alert, or adds to the open one.
  void event(const std::string& key, const std::string& kind, const KioskAlertInput& kiosk,
             const Detail& detail, bool count_it = true) {
    if (auto it = out_.find(key); it != out_.end()) {
      AlertRecord& a = it->second.alert;
      if (a.state != "open") return;  // cleared in this same pass: the next one opens it again
      if (count_it) ++a.count;
      a.last_seen_at = now_;
      a.detail = detail.en;
      a.detail_vi = detail.vi;
      return;
    }
    if (auto it = open_.find(key); it != open_.end()) {
      AlertRecord a = it->second;
      if (count_it) ++a.count;
      a.last_seen_at = now_;
      a.detail = detail.en;
      a.detail_vi = detail.vi;
      out_[key] = {a, ""};
      return;
    }
    AlertRecord a;
    a.key = key;
    a.kind = kind;
    a.unit = kiosk.unit;
    a.kiosk_id = kiosk.kiosk_id;
    a.opened_at = a.last_seen_at = now_;
    a.detail = detail.en;
    a.detail_vi = detail.vi;
    out_[key] = {a, "opened"};
  }
  // The condition has ended.
  void clear(const std::string& key) {
    if (auto it = out_.find(key); it != out_.end()) {
      if (it->second.alert.id == 0) {
        out_.erase(it);
      } else if (it->second.alert.state == "open") {
        it->second.alert.state = "cleared";
        it->second.alert.cleared_at = now_;
        it->second.event = "cleared";
      }
      return;
    }
    if (auto it = open_.find(key); it != open_.end()) {
      AlertRecord a = it->second;
      a.state = "cleared";
      a.cleared_at = now_;
      out_[key] = {a, "cleared"};
    }
  }
  // Whether an event of this pass went into the open alert.
  bool updated(const std::string& key) const {
    auto it = out_.find(key);
    return it != out_.end() && it->second.alert.state == "open";
  }
  std::vector<AlertUpsert> take() {
    std::vector<AlertUpsert> v;
    for (auto& [k, u] : out_) v.push_back(std::move(u));
    return v;
  }

 private:
  TimePoint now_;
  std::map<std::string, AlertRecord> open_;
  std::map<std::string, AlertUpsert> out_;
};

std::string minutes_text(std::chrono::milliseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::minutes>(d).count());
}

}  // namespace

std::set<std::string> kiosks_needing_windows(const AlertInputs& in) {
  std::set<std::string> out;
  for (const auto& r : in.new_responses) out.insert(r.kiosk_id);
  for (const auto& a : in.open) {
    if (a.kind == "unhappy_share" && a.kiosk_id) out.insert(*a.kiosk_id);
  }
  return out;
}

std::vector<AlertUpsert> evaluate_alerts(const AlertInputs& in) {
  Changes changes(in.open, in.now);
  std::map<std::string, const KioskAlertInput*> kiosks;
  for (const auto& k : in.kiosks) kiosks[k.kiosk_id] = &k;
  std::map<std::string, EffectiveAlertRules> rules_cache;
  auto rules = [&](const std::string& unit) -> const EffectiveAlertRules& {
    auto it = rules_cache.find(unit);
    if (it == rules_cache.end()) it = rules_cache.emplace(unit, in.rules(unit)).first;
    return it->second;
  };
  auto points = [&](const std::string& survey) { return in.is_points && in.is_points(survey); };

  std::set<std::string> with_new;
  for (const AlertResponse& r : in.new_responses) {
    auto k = kiosks.find(r.kiosk_id);
    if (k == kiosks.end()) continue;
    with_new.insert(r.kiosk_id);
    const auto& rule = rules(k->second->unit).low_rating;
    if (!rule || points(r.survey_id)) continue;
    if (rule->comment_required && !r.has_comment) continue;
    std::optional<int> lowest;
    for (int v : r.values) {
      if (v >= 1 && v <= 5 && (!lowest || v < *lowest)) lowest = v;
    }
    if (!lowest || *lowest > rule->max_value) continue;
    changes.event("low_rating:" + r.kiosk_id, "low_rating", *k->second,
                  {"an answer of " + std::to_string(*lowest) + " submitted at " +
                       fmt_time(r.submitted_at) + (r.has_comment ? ", with a comment" : ""),
                   "Một câu trả lời mức " + std::to_string(*lowest) + " lúc " +
                       vi_time(in, k->second->unit, r.submitted_at) +
                       (r.has_comment ? ", kèm ý kiến" : "")});
  }

  for (const auto& [kiosk_id, window] : in.windows) {
    auto k = kiosks.find(kiosk_id);
    if (k == kiosks.end()) continue;
    const std::string key = "unhappy_share:" + kiosk_id;
    const auto& rule = rules(k->second->unit).unhappy_share;
    if (!rule) {
      changes.clear(key);
      continue;
    }
    const TimePoint from = in.now - std::chrono::minutes(rule->window_minutes);
    std::int64_t n = 0, unhappy = 0;
    for (const AlertResponse& r : window) {
      if (r.submitted_at < from || r.submitted_at > in.now || points(r.survey_id)) continue;
      for (int v : r.values) {
        if (v < 1 || v > 5) continue;
        ++n;
        if (v <= 2) ++unhappy;
      }
    }
    const bool holds = n >= rule->min_count && unhappy * 100 >= rule->threshold_percent * n;
    if (holds && changes.is_open(key) && !with_new.count(kiosk_id)) {
      continue;  // still so, and nothing new to add
    }
    if (holds) {
      changes.event(key, "unhappy_share", *k->second,
                    {std::to_string(unhappy) + " of " + std::to_string(n) +
                         " answers were 1 or 2 in the last " +
                         std::to_string(rule->window_minutes) + " minutes",
                     std::to_string(unhappy) + "/" + std::to_string(n) +
                         " câu trả lời ở mức 1–2 trong " +
                         vi_span(std::chrono::minutes(rule->window_minutes)) + " qua"},
                    with_new.count(kiosk_id) > 0);
    } else {
      changes.clear(key);
    }
  }

  for (const AlertFinding& f : in.new_findings) {
    auto k = kiosks.find(f.kiosk_id);
    if (k == kiosks.end()) continue;
    const auto& rule = rules(k->second->unit).finding;
    if (!rule || !rule->kinds.count(f.kind)) continue;
    changes.event("finding:" + f.kiosk_id + ":" + f.kind, "finding", *k->second,
                  {f.kind + ": " + f.detail,
                   std::string(vi_finding(f.kind)) + " (" + f.kind + ": " + f.detail + ")"});
  }

  for (const KioskAlertInput& k : in.kiosks) {
    const EffectiveAlertRules& r = rules(k.unit);
    const std::string offline_key = "kiosk_offline:" + k.kiosk_id;
    const TimePoint seen = k.last_contact.value_or(k.created_at);
    if (!k.revoked && r.kiosk_offline && in.now - seen > std::chrono::hours(r.kiosk_offline->hours)) {
      if (!changes.is_open(offline_key)) {
        changes.event(
            offline_key, "kiosk_offline", k,
            {std::string(k.last_contact ? "no contact since " : "never in contact; added ") +
                 fmt_time(seen) + " (" + minutes_text(in.now - seen) + " minutes)",
             std::string(k.last_contact ? "Không liên lạc từ " : "Chưa liên lạc lần nào; thêm lúc ") +
                 vi_time(in, k.unit, seen) + " (" + vi_span(in.now - seen) + ")"});
      }
    } else {
      changes.clear(offline_key);
    }
    const std::string backlog_key = "backlog:" + k.kiosk_id;
    if (!k.revoked && r.backlog && k.oldest_pending_at &&
        in.now - *k.oldest_pending_at > std::chrono::hours(r.backlog->hours)) {
      if (!changes.is_open(backlog_key)) {
        changes.event(backlog_key, "backlog", k,
                      {"the oldest response waiting on the kiosk is from " +
                           fmt_time(*k.oldest_pending_at),
                       "Phiếu chờ gửi cũ nhất trên kiosk từ " +
                           vi_time(in, k.unit, *k.oldest_pending_at) + " (" +
                           vi_span(in.now - *k.oldest_pending_at) + ")"});
      }
    } else {
      changes.clear(backlog_key);
    }
  }

  // Events (low ratings, findings) clear after a quiet time without another, or at once when
  // their rule has been switched off.
  for (const AlertRecord& a : in.open) {
    if (a.kind != "low_rating" && a.kind != "finding") continue;
    const EffectiveAlertRules& r = rules(a.unit);
    std::optional<int> quiet;
    if (a.kind == "low_rating" && r.low_rating) quiet = r.low_rating->quiet_minutes;
    if (a.kind == "finding" && r.finding) quiet = r.finding->quiet_minutes;
    if (!quiet) {
      changes.clear(a.key);
    } else if (!changes.updated(a.key) &&
               in.now - a.last_seen_at >= std::chrono::minutes(*quiet)) {
      changes.clear(a.key);
    }
  }
  return changes.take();
}

std::string alert_json_text(const AlertRecord& a, const std::string& event) {
  return json{{"event", event}, {"alert", alert_to_json(a)}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

std::vector<std::pair<std::string, std::string>> webhook_signature_headers(
    const std::string& secret, const std::string& body, TimePoint now) {
  const std::string ts = std::to_string(unix_ms(now) / 1000);
  return {{"Sipas-Timestamp", ts},
          {"Sipas-Signature", "sha256=" + hmac_sha256_hex(secret, ts + "." + body)}};
}

namespace {

std::string rfc5322_date(TimePoint t) {
  const std::time_t secs = static_cast<std::time_t>(unix_ms(t) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
                tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

// Base64 in lines of 76 characters (RFC 2045).
std::string base64_lines(const std::string& text) {
  const std::string b = base64_encode(text);
  std::string out;
  for (std::size_t i = 0; i < b.size(); i += 76) out += b.substr(i, 76) + "\r\n";
  return out;
}

// An RFC 2047 header value: encoded words of at most 75 characters (45 bytes of UTF-8 each, cut
// between characters), folded onto continuation lines.
std::string encoded_words(const std::string& text) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = std::min(text.size(), at + 45);
    // Back off to the start of a character (a byte that is not 10xxxxxx).
    while (end < text.size() && end > at + 1 &&
           (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      --end;
    }
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64_encode(text.substr(at, end - at)) + "?=";
    at = end;
  }
  return out;
}

std::string subject_of(const AlertRecord& a, const std::string& event, const std::string& lang) {
  return std::string(html::tr(event == "cleared" ? "alert_cleared" : "alert_opened", lang)) + ": " +
         html::tr("alert_" + a.kind, lang) + " — " + (a.kiosk_id ? *a.kiosk_id : a.unit);
}

std::string body_of(const AlertRecord& a, const std::string& event, const std::string& lang) {
  auto line = [&](const char* key, const std::string& value) {
    return std::string(html::tr(key, lang)) + ": " + value + "\n";
  };
  std::string text = subject_of(a, event, lang) + "\n\n";
  text += line("alert_kind", html::tr("alert_" + a.kind, lang));
  text += line("unit", a.unit);
  if (a.kiosk_id) text += line("kiosk", *a.kiosk_id);
  text += line("alert_opened_at", format_rfc3339(a.opened_at));
  text += line("alert_last_seen", format_rfc3339(a.last_seen_at));
  if (a.cleared_at) text += line("alert_cleared_at", format_rfc3339(*a.cleared_at));
  text += line("alert_count", std::to_string(a.count));
  const std::string& detail = lang == "vi" && !a.detail_vi.empty() ? a.detail_vi : a.detail;
  if (lang == "en" || !a.detail_vi.empty()) text += line("alert_detail", detail);
  text += line("alert_number", std::to_string(a.id));
  return text;
}

}  // namespace

std::string alert_email(const AlertRecord& a, const std::string& event, const std::string& from,
                        const std::string& to, const std::vector<std::string>& languages,
                        TimePoint date, const std::string& message_id) {
  std::string subject = subject_of(a, event, "vi");
  std::string body = body_of(a, event, "vi");
  for (const auto& lang : languages) {
    if (lang == "vi") continue;
    body += "\n----\n\n" + body_of(a, event, lang);
  }
  std::string crlf_body;
  for (char c : body) {
    if (c == '\n') crlf_body += "\r\n";
    else crlf_body += c;
  }
  return "Date: " + rfc5322_date(date) + "\r\n" +
         "From: <" + from + ">\r\n" +
         "To: <" + to + ">\r\n" +
         "Message-ID: <" + message_id + ">\r\n" +
         "Subject: " + encoded_words(subject) + "\r\n" +
         "MIME-Version: 1.0\r\n" +
         "Content-Type: text/plain; charset=UTF-8\r\n" +
         "Content-Transfer-Encoding: base64\r\n" +
         "\r\n" + base64_lines(crlf_body);
}

TimePoint next_alert_attempt(TimePoint now, std::int64_t attempts, std::chrono::milliseconds initial,
                             std::chrono::milliseconds cap, double random01) {
  Backoff backoff([random01] { return random01; }, initial, cap);
  std::chrono::milliseconds delay{0};
  // Past about 20 doublings every wait is the cap anyway.
  const std::int64_t n = std::clamp<std::int64_t>(attempts, 1, 40);
  for (std::int64_t i = 0; i < n; ++i) delay = backoff.next_delay();
  return now + delay;
}

}  // namespace sipas
