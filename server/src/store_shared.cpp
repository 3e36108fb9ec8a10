#include "store_shared.hpp"

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

#include "sipas/time.hpp"

namespace sipas {

Status check_code(const char* what, const std::string& code) {
  if (is_valid_code(code)) return Status::ok();
  return Status::error(ErrorCode::invalid_argument,
                       std::string(what) + " \"" + code + "\": use 1–64 of A-Z a-z 0-9 . _ -");
}

Status check_units(const std::vector<UnitRecord>& units) {
  for (const auto& u : units) {
    if (Status s = check_code("unit code", u.code); !s.is_ok()) return s;
    if (u.name.empty()) {
      return Status::error(ErrorCode::invalid_argument, "unit " + u.code + ": name is empty");
    }
    if (u.name.find('\0') != std::string::npos) {
      return Status::error(ErrorCode::invalid_argument,
                           "unit " + u.code + ": name contains a NUL character");
    }
    if (u.parent && *u.parent == u.code) {
      return Status::error(ErrorCode::invalid_argument, "unit " + u.code + ": its own parent");
    }
    auto tz = TimeZone::load(u.time_zone);
    if (!tz.is_ok()) {
      return Status::error(ErrorCode::invalid_argument,
                           "unit " + u.code + ": time zone: " + tz.status().message());
    }
  }
  return Status::ok();
}

Status check_procedures(const std::vector<ProcedureRecord>& procedures) {
  for (const auto& p : procedures) {
    if (Status s = check_code("procedure code", p.code); !s.is_ok()) return s;
    auto vi = p.name.find("vi");
    if (vi == p.name.end() || vi->second.empty()) {
      return Status::error(ErrorCode::invalid_argument,
                           "procedure " + p.code + ": the Vietnamese name is empty");
    }
  }
  return Status::ok();
}

Status write_units_in_order(const std::vector<UnitRecord>& units, const UnitWrites& writes) {
  // Repeatedly take the units whose parent is known (stored, or upserted in an earlier round).
  std::vector<const UnitRecord*> left;
  for (const auto& u : units) left.push_back(&u);
  while (!left.empty()) {
    std::vector<const UnitRecord*> next;
    for (const UnitRecord* u : left) {
      if (u->parent) {
        auto known = writes.exists(*u->parent);
        if (!known.is_ok()) return known.status();
        if (!*known) {
          next.push_back(u);
          continue;
        }
        // Re-parenting under one of its own descendants would make a cycle.
        auto below = writes.subtree(u->code);
        if (!below.is_ok()) return below.status();
        if (std::find(below->begin(), below->end(), *u->parent) != below->end()) {
          return Status::error(
              ErrorCode::invalid_argument,
              "unit " + u->code + ": parent " + *u->parent + " is below it (a cycle)");
        }
      }
      if (Status s = writes.upsert(*u); !s.is_ok()) return s;
    }
    if (next.size() == left.size()) {
      return Status::error(
          ErrorCode::invalid_argument,
          "unit " + next.front()->code + ": unknown parent " + *next.front()->parent);
    }
    left = std::move(next);
  }
  return Status::ok();
}

UserRecord user_of(std::string name, std::string stored_hash, std::optional<std::string> unit) {
  UserRecord u{std::move(name), std::move(stored_hash), std::move(unit)};
  if (!u.password_hash.empty() && u.password_hash[0] == kDisabledMark) {
    u.disabled = true;
    u.password_hash.erase(0, 1);
  }
  return u;
}

Status check_may_log_in(const Result<std::optional<UserRecord>>& user, const std::string& name) {
  if (!user.is_ok()) return user.status();
  if (!*user) return Status::error(ErrorCode::not_found, "unknown user " + name);
  if ((*user)->disabled) {
    return Status::error(ErrorCode::invalid_argument, "user " + name + " is disabled");
  }
  return Status::ok();
}

std::string procedure_names_text(const ProcedureRecord& p) {
  nlohmann::json names = nlohmann::json::object();
  for (const auto& [lang, text] : p.name) names[lang] = text;
  return names.dump();
}

ProcedureRecord procedure_of(std::string code, const std::string& names_text) {
  ProcedureRecord p;
  p.code = std::move(code);
  auto names = nlohmann::json::parse(names_text, nullptr, false);
  if (names.is_object()) {
    for (const auto& [lang, text] : names.items()) {
      if (text.is_string()) p.name[lang] = text.get<std::string>();
    }
  }
  return p;
}

Result<const char*> rollup_table(const RollupRead& read) {
  switch (read.level) {
    case RollupRead::Level::detail:
      if (read.below) {
        return Status::error(ErrorCode::invalid_argument, "no below rollups at the detail level");
      }
      return "rollup_detail";
    case RollupRead::Level::day: return read.below ? "rollup_below_day" : "rollup_day";
    case RollupRead::Level::month: return read.below ? "rollup_below_month" : "rollup_month";
  }
  return Status::error(ErrorCode::invalid_argument, "unknown rollup level");
}

bool is_points_survey(const std::string& body) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  return doc.is_object() && doc.value("scale", std::string()) == "points";
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::size_t p = 0;
  while (p < s.size()) {
    std::size_t e = s.find(' ', p);
    if (e == std::string::npos) e = s.size();
    if (e > p) out.push_back(s.substr(p, e - p));
    p = e + 1;
  }
  return out;
}

std::map<std::string, std::optional<int>> answer_pairs(const std::string& s) {
  std::map<std::string, std::optional<int>> out;
  for (const auto& pair : split_words(s)) {
    auto eq = pair.find('=');
    if (eq == std::string::npos) continue;
    std::string v = pair.substr(eq + 1);
    int value = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
    out[pair.substr(0, eq)] = (v.empty() || ec != std::errc() || end != v.data() + v.size())
                                  ? std::nullopt
                                  : std::optional<int>(value);
  }
  return out;
}

}  // namespace sipas
