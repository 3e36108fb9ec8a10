#include "sipas/server/batch.hpp"

#include <algorithm>
#include <set>
#include <string>

#include "sipas/crypto.hpp"
#include "sipas/protocol.hpp"

namespace sipas {
namespace {

// Integers above 2^53 do not survive a round trip through JavaScript and most JSON tools.
constexpr std::int64_t kMaxSeq = (std::int64_t{1} << 53) - 1;

std::size_t code_points(std::string_view utf8) {
  std::size_t n = 0;
  for (unsigned char c : utf8) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::optional<std::int64_t> as_seq(const nlohmann::json& j) {
  if (j.is_number_unsigned()) {
    auto v = j.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(kMaxSeq)) return std::nullopt;
    return static_cast<std::int64_t>(v);
  }
  if (j.is_number_integer()) {
    auto v = j.get<std::int64_t>();
    if (v < 1 || v > kMaxSeq) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

BatchRefusal refuse(int status, std::string message) { return BatchRefusal{status, std::move(message)}; }

// Procedure codes follow the catalogue's rule (docs/protocol.md); whether the code is in the
// catalogue is not checked, since the catalogue may be loaded after the responses arrive.
bool is_procedure_code(const std::string& code) {
  if (code.empty() || code.size() > 64) return false;
  for (char c : code) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string answers_key(const Response& r) {
  std::string key = r.survey_id;
  key += '|';
  key += std::to_string(r.survey_version);
  for (const auto& a : r.answers) {
    key += '|';
    key += a.criterion;
    key += '=';
    key += a.value ? std::to_string(*a.value) : "na";
  }
  return sha256_hex(key);
}

}  // namespace

void SurveyCatalog::add(Survey survey) {
  auto key = std::make_pair(survey.id, survey.version);
  surveys_.insert_or_assign(std::move(key), std::move(survey));
}

const Survey* SurveyCatalog::find(const std::string& id, int version) const {
  auto it = surveys_.find(std::make_pair(id, version));
  return it == surveys_.end() ? nullptr : &it->second;
}

std::vector<const Survey*> SurveyCatalog::all() const {
  std::vector<const Survey*> out;
  for (const auto& [key, survey] : surveys_) out.push_back(&survey);
  return out;
}

std::size_t json_depth(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  std::size_t max_depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        max_depth = depth;
        if (max_depth > limit) return limit + 1;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return max_depth;
}

std::string validate_response(const Response& r, const SurveyCatalog& surveys,
                              const IngestLimits& limits) {
  const Survey* survey = surveys.find(r.survey_id, r.survey_version);
  if (!survey) {
    return "survey_id: unknown survey \"" + r.survey_id + "\" version " +
           std::to_string(r.survey_version);
  }
  auto check_field = [&](const char* name, const std::string& v, bool required) -> std::string {
    if (required && v.empty()) return std::string(name) + ": must not be empty";
    // No storage keeps it the same way (PostgreSQL's text has no NUL at all).
    if (v.find('\0') != std::string::npos) return std::string(name) + ": contains a NUL character";
    if (v.size() > limits.max_field_bytes) {
      return std::string(name) + ": longer than " + std::to_string(limits.max_field_bytes) +
             " bytes";
    }
    return {};
  };
  for (auto [name, value, required] :
       {std::tuple<const char*, const std::string*, bool>{"unit", &r.unit, true},
        {"counter", &r.counter, true},
        {"language", &r.language, true}}) {
    if (auto e = check_field(name, *value, required); !e.empty()) return e;
  }
  // The language ends up in exports and spreadsheets: only a language the survey is written in.
  if (auto langs = survey->languages();
      std::find(langs.begin(), langs.end(), r.language) == langs.end()) {
    std::string offered;
    for (const auto& l : langs) offered += (offered.empty() ? "" : ", ") + l;
    return "language: \"" + r.language.substr(0, 16) + "\" is not a language of survey \"" +
           r.survey_id + "\" (" + offered + ")";
  }
  if (r.officer) {
    if (auto e = check_field("officer", *r.officer, true); !e.empty()) return e;
  }
  if (r.dossier) {
    if (auto e = check_field("dossier", *r.dossier, true); !e.empty()) return e;
  }
  if (r.procedure && !is_procedure_code(*r.procedure)) {
    if (r.procedure->empty()) return "procedure: must not be empty (send null for none)";
    if (r.procedure->size() > 64) return "procedure: longer than 64 characters";
    return "procedure: \"" + *r.procedure + "\" has characters other than A-Z a-z 0-9 . _ -";
  }
  if (r.answers.size() > limits.max_answers) return "answers: too many answers";
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < r.answers.size(); ++i) {
    const Answer& a = r.answers[i];
    std::string where = "answers[" + std::to_string(i) + "]";
    const Criterion* c = survey->find_criterion(a.criterion);
    if (!c) return where + ".criterion: unknown criterion \"" + a.criterion + "\"";
    if (!seen.insert(a.criterion).second) {
      return where + ".criterion: \"" + a.criterion + "\" answered twice";
    }
    if (!a.value) {
      if (!survey->allow_not_applicable) {
        return where + ".value: null (not applicable) is not allowed in this survey";
      }
    } else if (!survey->is_valid_value(*c, *a.value)) {
      return where + ".value: " + std::to_string(*a.value) + " is not on the scale";
    }
  }
  std::set<std::string_view> seen_reasons;
  for (std::size_t i = 0; i < r.reasons.size(); ++i) {
    std::string where = "reasons[" + std::to_string(i) + "]";
    if (!survey->find_reason(r.reasons[i])) {
      return where + ": unknown reason \"" + r.reasons[i] + "\"";
    }
    if (!seen_reasons.insert(r.reasons[i]).second) return where + ": repeated";
  }
  if (r.comment) {
    if (r.comment->find('\0') != std::string::npos) return "comment: contains a NUL character";
    auto n = code_points(*r.comment);
    if (n > static_cast<std::size_t>(survey->comment_max_length)) {
      return "comment: " + std::to_string(n) + " characters, at most " +
             std::to_string(survey->comment_max_length) + " allowed";
    }
  }
  return {};
}

std::variant<ParsedBatch, BatchRefusal> parse_batch(std::string_view body,
                                                    const SurveyCatalog& surveys,
                                                    const BatchPoster& poster,
                                                    const IngestLimits& limits) {
  if (body.size() > limits.max_decompressed_bytes) {
    return refuse(413, "body larger than " + std::to_string(limits.max_decompressed_bytes) +
                           " bytes");
  }
  if (json_depth(body, limits.max_depth) > limits.max_depth) {
    return refuse(400, "JSON nested deeper than " + std::to_string(limits.max_depth) + " levels");
  }
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {
    return refuse(400, std::string("malformed JSON: ") + e.what());
  }
  if (!doc.is_object()) return refuse(400, "body: must be a JSON object");

  auto member = [&](const char* key) -> const nlohmann::json* {
    auto it = doc.find(key);
    return it == doc.end() ? nullptr : &*it;
  };
  const auto* protocol = member("protocol");
  if (!protocol || !protocol->is_number_integer()) {
    return refuse(400, "protocol: must be an integer");
  }
  if (protocol->get<std::int64_t>() != kProtocolVersion) {
    return refuse(422, "protocol: version " + protocol->dump() + " is not supported (only 1)");
  }
  const auto* kiosk_id = member("kiosk_id");
  if (!kiosk_id || !kiosk_id->is_string()) return refuse(400, "kiosk_id: must be a string");
  const auto* batch_id = member("batch_id");
  if (!batch_id || !batch_id->is_string()) return refuse(400, "batch_id: must be a string");
  const auto* sent_at = member("sent_at");
  if (!sent_at || !sent_at->is_string()) return refuse(400, "sent_at: must be a string");
  const auto* responses = member("responses");
  if (!responses || !responses->is_array()) return refuse(400, "responses: must be an array");

  ParsedBatch batch;
  batch.kiosk_id = kiosk_id->get<std::string>();
  if (batch.kiosk_id != poster.kiosk_id) {
    return refuse(403, "kiosk_id: the token belongs to another kiosk");
  }
  batch.batch_id = batch_id->get<std::string>();
  if (!is_uuid(batch.batch_id)) return refuse(422, "batch_id: must be a UUID");
  auto sent = parse_rfc3339(sent_at->get<std::string>());
  if (!sent) return refuse(422, "sent_at: must be an RFC 3339 date-time");
  batch.sent_at = *sent;
  if (responses->size() > limits.max_responses) {
    return refuse(413, "responses: more than " + std::to_string(limits.max_responses) +
                           " in one batch");
  }

  std::set<std::string> ids;
  std::int64_t last_seq = 0;
  batch.responses.reserve(responses->size());
  for (std::size_t i = 0; i < responses->size(); ++i) {
    const auto& obj = (*responses)[i];
    std::string where = "responses[" + std::to_string(i) + "]";
    if (!obj.is_object()) return refuse(400, where + ": must be an object");
    auto id_it = obj.find("id");
    if (id_it == obj.end() || !id_it->is_string() || !is_uuid(id_it->get<std::string>())) {
      return refuse(422, where + ".id: must be a UUID");
    }
    auto seq_it = obj.find("seq");
    std::optional<std::int64_t> seq;
    if (seq_it != obj.end()) seq = as_seq(*seq_it);
    if (!seq) return refuse(422, where + ".seq: must be an integer from 1 to 2^53-1");
    if (*seq <= last_seq) {
      return refuse(422, where + ".seq: " + std::to_string(*seq) +
                             " does not follow the previous response's seq " +
                             std::to_string(last_seq) + " (seqs must be strictly ascending)");
    }
    last_seq = *seq;
    ParsedResponse p;
    p.id = id_it->get<std::string>();
    if (!ids.insert(p.id).second) return refuse(422, where + ".id: repeated in this batch");
    p.seq = *seq;
    auto unit_it = obj.find("unit");
    if (unit_it != obj.end() && unit_it->is_string() &&
        !(poster.unit_allowed && poster.unit_allowed(unit_it->get<std::string>()))) {
      return refuse(403, where + ".unit: \"" + unit_it->get<std::string>() +
                             "\" is not this kiosk's unit or a unit below it");
    }
    if (auto h = obj.find("hash"); h != obj.end() && h->is_string()) {
      p.hash_field = h->get<std::string>();
    }
    if (auto h = obj.find("prev_hash"); h != obj.end() && h->is_string()) {
      p.prev_hash_field = h->get<std::string>();
    }
    p.canonical = canonical_json(obj);
    p.content_hash = sha256_hex(p.canonical);

    auto parsed = response_from_json(obj, where);
    if (!parsed.is_ok()) {
      p.error = parsed.status().message();
    } else {
      std::string problem = validate_response(*parsed, surveys, limits);
      if (!problem.empty()) {
        p.error = where + "." + problem;
      } else {
        p.hash_matches = compute_hash(obj) == parsed->hash;
        p.answers_key = answers_key(*parsed);
        p.response = std::move(parsed).value();
      }
    }
    batch.responses.push_back(std::move(p));
  }
  if (auto h = doc.find("health"); h != doc.end() && !h->is_null()) {
    auto health = health_from_json(*h);
    if (health.is_ok()) {
      batch.health = std::move(health).value();
    } else {
      batch.health_error = health.status().message();
    }
  }
  return batch;
}

}  // namespace sipas
