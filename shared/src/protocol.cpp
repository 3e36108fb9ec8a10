#include "sipas/protocol.hpp"

#include <climits>
#include <limits>

#include "sipas/crypto.hpp"

namespace sipas {
namespace {

using nlohmann::json;

// Text that is not valid UTF-8 (a bad byte in a stored comment) must not make serialization
// throw; it is replaced with U+FFFD the same way on every side, so hashes still agree.
std::string dump_compact(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json optional_string(const std::optional<std::string>& s) {
  return s ? json(*s) : json(nullptr);
}

bool is_lower_hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Reads the fields of one JSON object, remembering the first problem as "<path>: <problem>".
class FieldReader {
 public:
  FieldReader(const json& j, std::string where) : j_(j), where_(std::move(where)) {}

  bool failed() const { return !error_.empty(); }
  Status status() const { return Status::error(ErrorCode::invalid_argument, error_); }

  std::string path(std::string_view field) const {
    if (where_.empty()) return std::string(field);
    if (!field.empty() && field.front() == '[') return where_ + std::string(field);
    return where_ + "." + std::string(field);
  }

  void fail(std::string_view field, std::string_view problem) {
    if (error_.empty()) error_ = path(field) + ": " + std::string(problem);
  }

  const json* get(const char* field) {
    if (failed()) return nullptr;
    auto it = j_.find(field);
    if (it == j_.end()) {
      fail(field, "missing");
      return nullptr;
    }
    return &*it;
  }

  std::string string(const char* field, bool allow_empty = false) {
    const json* v = get(field);
    if (v == nullptr) return {};
    if (!v->is_string()) {
      fail(field, "must be a string");
      return {};
    }
    std::string s = v->get<std::string>();
    if (!allow_empty && s.empty()) fail(field, "must not be empty");
    return s;
  }

  std::optional<std::string> nullable_string(const char* field) {
    const json* v = get(field);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_string()) {
      fail(field, "must be a string or null");
      return std::nullopt;
    }
    return v->get<std::string>();
  }

  // For fields added after v1 was fixed: absent reads as null.
  std::optional<std::string> optional_nullable_string(const char* field) {
    if (failed() || !j_.contains(field)) return std::nullopt;
    return nullable_string(field);
  }

  std::int64_t integer(const char* field, std::int64_t min, const char* problem) {
    const json* v = get(field);
    if (v == nullptr) return 0;
    std::optional<std::int64_t> n = as_int64(*v);
    if (!n || *n < min) {
      fail(field, problem);
      return 0;
    }
    return *n;
  }

  TimePoint time(const char* field) {
    const json* v = get(field);
    if (v == nullptr) return {};
    std::optional<TimePoint> t;
    if (v->is_string()) t = parse_rfc3339(v->get_ref<const std::string&>());
    if (!t) {
      fail(field, "must be an RFC 3339 date-time");
      return {};
    }
    return *t;
  }

  static std::optional<std::int64_t> as_int64(const json& v) {
    if (v.is_number_unsigned()) {
      auto u = v.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return std::nullopt;
      }
      return static_cast<std::int64_t>(u);
    }
    if (v.is_number_integer()) return v.get<std::int64_t>();
    return std::nullopt;
  }

 private:
  const json& j_;
  std::string where_;
  std::string error_;
};

}  // namespace

nlohmann::json response_to_json(const Response& r, bool include_hash) {
  json answers = json::array();
  for (const Answer& a : r.answers) {
    answers.push_back({{"criterion", a.criterion},
                       {"value", a.value ? json(*a.value) : json(nullptr)}});
  }
  json reasons = json::array();
  for (const std::string& reason : r.reasons) reasons.push_back(reason);

  json j = {
      {"id", r.id},
      {"seq", r.seq},
      {"prev_hash", r.prev_hash},
      {"survey_id", r.survey_id},
      {"survey_version", r.survey_version},
      {"unit", r.unit},
      {"counter", r.counter},
      {"officer", optional_string(r.officer)},
      {"dossier", optional_string(r.dossier)},
      {"language", r.language},
      {"started_at", format_rfc3339(r.started_at)},
      {"submitted_at", format_rfc3339(r.submitted_at)},
      {"status", to_string(r.status)},
      {"answers", std::move(answers)},
      {"reasons", std::move(reasons)},
      {"comment", optional_string(r.comment)},
  };
  // Added after protocol v1 was fixed: present only when set (see response.hpp).
  if (r.procedure) j["procedure"] = *r.procedure;
  if (include_hash) j["hash"] = r.hash;
  return j;
}

Result<Response> response_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) {
    return Status::error(ErrorCode::invalid_argument,
                         (where.empty() ? std::string("response") : where) + ": must be an object");
  }
  FieldReader f(j, where);
  Response r;

  r.id = f.string("id");
  if (!f.failed() && !is_uuid(r.id)) f.fail("id", "must be a UUID");
  r.seq = f.integer("seq", 1, "must be an integer >= 1");
  r.prev_hash = f.string("prev_hash");
  if (!f.failed() && !is_lower_hex64(r.prev_hash)) {
    f.fail("prev_hash", "must be 64 lowercase hex digits");
  }
  r.hash = f.string("hash");
  if (!f.failed() && !is_lower_hex64(r.hash)) f.fail("hash", "must be 64 lowercase hex digits");
  r.survey_id = f.string("survey_id");
  std::int64_t version = f.integer("survey_version", 1, "must be an integer >= 1");
  if (!f.failed() && version > INT_MAX) f.fail("survey_version", "must be an integer >= 1");
  r.survey_version = static_cast<int>(version);
  r.unit = f.string("unit");
  r.counter = f.string("counter");
  r.officer = f.nullable_string("officer");
  r.dossier = f.nullable_string("dossier");
  r.procedure = f.optional_nullable_string("procedure");
  r.language = f.string("language");
  r.started_at = f.time("started_at");
  r.submitted_at = f.time("submitted_at");
  std::string status = f.string("status");
  if (!f.failed()) {
    if (auto s = parse_response_status(status)) {
      r.status = *s;
    } else {
      f.fail("status", "must be \"complete\" or \"partial\"");
    }
  }

  if (const json* answers = f.get("answers")) {
    if (!answers->is_array()) {
      f.fail("answers", "must be an array");
    } else {
      for (std::size_t i = 0; i < answers->size() && !f.failed(); ++i) {
        const json& a = (*answers)[i];
        std::string at = "answers[" + std::to_string(i) + "]";
        if (!a.is_object()) {
          f.fail(at, "must be an object");
          break;
        }
        Answer answer;
        auto criterion = a.find("criterion");
        if (criterion == a.end()) {
          f.fail(at + ".criterion", "missing");
        } else if (!criterion->is_string() || criterion->get_ref<const std::string&>().empty()) {
          f.fail(at + ".criterion", "must be a non-empty string");
        } else {
          answer.criterion = criterion->get<std::string>();
        }
        auto value = a.find("value");
        if (value == a.end()) {
          f.fail(at + ".value", "missing");
        } else if (!value->is_null()) {
          std::optional<std::int64_t> v = FieldReader::as_int64(*value);
          if (!v || *v < INT_MIN || *v > INT_MAX) {
            f.fail(at + ".value", "must be an integer or null");
          } else {
            answer.value = static_cast<int>(*v);
          }
        }
        r.answers.push_back(std::move(answer));
      }
    }
  }

  if (const json* reasons = f.get("reasons")) {
    if (!reasons->is_array()) {
      f.fail("reasons", "must be an array");
    } else {
      for (std::size_t i = 0; i < reasons->size(); ++i) {
        const json& reason = (*reasons)[i];
        if (!reason.is_string()) {
          f.fail("reasons[" + std::to_string(i) + "]", "must be a string");
          break;
        }
        r.reasons.push_back(reason.get<std::string>());
      }
    }
  }

  r.comment = f.nullable_string("comment");

  if (f.failed()) return f.status();
  return r;
}

std::string canonical_json(const nlohmann::json& j) {
  // nlohmann's object type is an ordered std::map, so dump() already sorts keys bytewise.
  return dump_compact(j);
}

std::string compute_hash(const Response& r) {
  return sha256_hex(r.prev_hash + "\n" + canonical_json(response_to_json(r, false)));
}

std::string compute_hash(const nlohmann::json& response_object) {
  std::string prev_hash;
  json body = response_object;
  if (body.is_object()) {
    if (auto it = body.find("prev_hash"); it != body.end() && it->is_string()) {
      prev_hash = it->get<std::string>();
    }
    body.erase("hash");
  }
  return sha256_hex(prev_hash + "\n" + canonical_json(body));
}

std::string batch_to_body(const BatchRequest& b) {
  json responses = json::array();
  for (const Response& r : b.responses) responses.push_back(response_to_json(r));
  json j = {
      {"protocol", b.protocol},
      {"kiosk_id", b.kiosk_id},
      {"batch_id", b.batch_id},
      {"sent_at", format_rfc3339(b.sent_at)},
      {"responses", std::move(responses)},
  };
  if (b.health) j["health"] = health_to_json(*b.health);
  return dump_compact(j);
}

json health_to_json(const KioskHealth& h) {
  auto opt_time = [](const std::optional<TimePoint>& t) {
    return t ? json(format_rfc3339(*t)) : json(nullptr);
  };
  return {
      {"software_version", h.software_version},
      {"config_version", h.config_version ? json(*h.config_version) : json(nullptr)},
      {"pending", h.pending},
      {"oldest_pending_at", opt_time(h.oldest_pending_at)},
      {"disk_free_bytes", h.disk_free_bytes},
      {"clock", format_rfc3339(h.clock)},
      {"uptime_seconds", h.uptime_seconds},
      {"last_error", h.last_error ? json(*h.last_error) : json(nullptr)},
  };
}

Result<KioskHealth> health_from_json(const json& j) {
  auto bad = [](const std::string& field, const std::string& why) {
    return Status::error(ErrorCode::invalid_argument, "health." + field + ": " + why);
  };
  if (!j.is_object()) return Status::error(ErrorCode::invalid_argument, "health: must be an object");
  KioskHealth h;
  auto find = [&](const char* key) -> const json* {
    auto it = j.find(key);
    return it == j.end() || it->is_null() ? nullptr : &*it;
  };
  auto count = [&](const char* key, std::int64_t& out, bool required) -> Status {
    const json* v = find(key);
    if (!v) return required ? bad(key, "missing") : Status::ok();
    if (!v->is_number_integer() || v->get<std::int64_t>() < 0) {
      return bad(key, "must be an integer >= 0");
    }
    out = v->get<std::int64_t>();
    return Status::ok();
  };
  const json* version = find("software_version");
  if (!version || !version->is_string() || version->get<std::string>().empty() ||
      version->get<std::string>().size() > 64) {
    return bad("software_version", "must be a string of 1 to 64 bytes");
  }
  h.software_version = version->get<std::string>();
  if (find("config_version")) {
    std::int64_t v = 0;
    if (Status s = count("config_version", v, false); !s.is_ok()) return s;
    h.config_version = v;
  }
  for (auto [key, field] : {std::pair{"pending", &h.pending},
                            std::pair{"disk_free_bytes", &h.disk_free_bytes},
                            std::pair{"uptime_seconds", &h.uptime_seconds}}) {
    if (Status s = count(key, *field, true); !s.is_ok()) return s;
  }
  if (const json* v = find("oldest_pending_at")) {
    auto t = v->is_string() ? parse_rfc3339(v->get<std::string>()) : std::nullopt;
    if (!t) return bad("oldest_pending_at", "must be an RFC 3339 date-time or null");
    h.oldest_pending_at = *t;
  }
  const json* clock = find("clock");
  auto t = clock && clock->is_string() ? parse_rfc3339(clock->get<std::string>()) : std::nullopt;
  if (!t) return bad("clock", "must be an RFC 3339 date-time");
  h.clock = *t;
  if (const json* v = find("last_error")) {
    if (!v->is_string()) return bad("last_error", "must be a string or null");
    std::string e = v->get<std::string>();
    if (e.size() > 1000) {
      // Cut on a character boundary: half a UTF-8 sequence would make the stored text invalid.
      std::size_t cut = 1000;
      while (cut > 0 && (static_cast<unsigned char>(e[cut]) & 0xC0) == 0x80) --cut;
      e.resize(cut);
    }
    if (!e.empty()) h.last_error = std::move(e);
  }
  return h;
}

nlohmann::json batch_reply_to_json(const BatchReply& r) {
  json rejected = json::array();
  for (const RejectedItem& item : r.rejected) {
    rejected.push_back({{"id", item.id}, {"error", item.error}});
  }
  return {
      {"accepted", r.accepted},
      {"duplicates", r.duplicates},
      {"rejected", std::move(rejected)},
      {"acked_seq", r.acked_seq},
  };
}

Result<BatchReply> batch_reply_from_json(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) {
    return Status::error(ErrorCode::unavailable, "batch reply: not valid JSON");
  }
  if (!j.is_object()) {
    return Status::error(ErrorCode::unavailable, "batch reply: must be an object");
  }
  FieldReader f(j, "");
  BatchReply reply;
  reply.accepted = f.integer("accepted", 0, "must be an integer >= 0");
  reply.duplicates = f.integer("duplicates", 0, "must be an integer >= 0");
  reply.acked_seq = f.integer("acked_seq", 0, "must be an integer >= 0");
  if (const json* rejected = f.get("rejected")) {
    if (!rejected->is_array()) {
      f.fail("rejected", "must be an array");
    } else {
      for (std::size_t i = 0; i < rejected->size() && !f.failed(); ++i) {
        const json& item = (*rejected)[i];
        FieldReader g(item, f.path("rejected[" + std::to_string(i) + "]"));
        if (!item.is_object()) {
          f.fail("rejected[" + std::to_string(i) + "]", "must be an object");
          break;
        }
        RejectedItem r;
        r.id = g.string("id");
        r.error = g.string("error", true);
        if (g.failed()) {
          return Status::error(ErrorCode::unavailable, "batch reply: " + g.status().message());
        }
        reply.rejected.push_back(std::move(r));
      }
    }
  }
  if (f.failed()) {
    return Status::error(ErrorCode::unavailable, "batch reply: " + f.status().message());
  }
  return reply;
}

}  // namespace sipas
