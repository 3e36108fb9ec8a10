#include "sipas/server/scores.hpp"

#include <algorithm>
#include <charconv>
#include <set>
#include <tuple>

#include "sipas/server/rollups.hpp"
#include "sipas/server/surveys.hpp"

namespace sipas {

namespace {

using nlohmann::json;

Date next_day(Date d) { return Date(std::chrono::sys_days(d) + std::chrono::days(1)); }
Date last_of_month(Date d) { return Date{d.year() / d.month() / std::chrono::last}; }
}  // namespace

std::optional<Grouping> parse_grouping(const std::string& text) {
  for (Grouping g : {Grouping::none, Grouping::unit, Grouping::counter, Grouping::officer,
                     Grouping::day, Grouping::survey, Grouping::criterion, Grouping::element,
                     Grouping::procedure}) {
    if (text == to_string(g)) return g;
  }
  return std::nullopt;
}

const char* to_string(Grouping g) {
  switch (g) {
    case Grouping::none: return "none";
    case Grouping::unit: return "unit";
    case Grouping::counter: return "counter";
    case Grouping::officer: return "officer";
    case Grouping::day: return "day";
    case Grouping::survey: return "survey";
    case Grouping::criterion: return "criterion";
    case Grouping::element: return "element";
    case Grouping::procedure: return "procedure";
  }
  return "none";
}

json national_reference() {
  return {{"sipas",
           json::array({{{"year", 2019}, {"index", 84.45}},
                        {{"year", 2021}, {"index", 87.16}},
                        {{"year", 2022}, {"index", 80.08}, {"note", "new method"}},
                        {{"year", 2023}, {"index", 82.66}},
                        {{"year", 2024}, {"index", 83.94}}})},
          {"elements_2023",
           {{"access", 83.00}, {"procedures", 83.02}, {"officer", 83.12}, {"result", 83.03},
            {"feedback", 82.27}}},
          {"admin_services_2024", 84.09},
          {"target_2030", 95.0}};
}

struct ScoreService::Impl {
  std::vector<UnitRecord> units;
  std::map<std::string, const UnitRecord*> by_code;

  Status load(ServerStore& store) {
    auto u = store.units();
    if (!u.is_ok()) return u.status();
    units = std::move(u).value();
    by_code.clear();
    for (const auto& x : units) by_code[x.code] = &x;
    return Status::ok();
  }
  std::vector<std::string> subtree(const std::string& root) const {
    std::vector<std::string> out{root};
    for (std::size_t i = 0; i < out.size(); ++i) {
      for (const auto& u : units) {
        if (u.parent && *u.parent == out[i]) out.push_back(u.code);
      }
    }
    return out;
  }
  // The child of `root` that `unit` lies under (root itself for root's own responses).
  std::string child_of(const std::string& root, const std::string& unit) const {
    std::string cur = unit;
    for (int guard = 0; guard < 64; ++guard) {
      auto it = by_code.find(cur);
      if (it == by_code.end() || !it->second->parent) return cur;
      if (*it->second->parent == root) return cur;
      if (cur == root) return cur;
      cur = *it->second->parent;
    }
    return cur;
  }
  std::string name_of(const std::string& code) const {
    auto it = by_code.find(code);
    return it == by_code.end() ? code : it->second->name;
  }
  std::string zone_of(const std::string& code) const {
    auto it = by_code.find(code);
    return it == by_code.end() ? "Asia/Ho_Chi_Minh" : it->second->time_zone;
  }
  // Local days start at different instants in different zones, so raw-row queries run per zone.
  std::map<std::string, std::vector<std::string>> by_zone(
      const std::vector<std::string>& units) const {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& u : units) out[zone_of(u)].push_back(u);
    return out;
  }
};

ScoreService::~ScoreService() = default;

Result<std::unique_ptr<ScoreService>> ScoreService::open(const std::string& db_path) {
  std::unique_ptr<ScoreService> s(new ScoreService());
  auto store = ServerStore::open(db_path);
  if (!store.is_ok()) return store.status();
  s->store_ = std::move(store).value();
  auto catalog = load_catalog(*s->store_);
  if (!catalog.is_ok()) return catalog.status();
  auto texts = s->store_->survey_texts();
  if (!texts.is_ok()) return texts.status();
  std::map<std::string, int> latest;
  for (const auto& t : *texts) {
    auto doc = json::parse(t, nullptr, false);
    if (!doc.is_object() || !doc.contains("id") || !doc["id"].is_string()) continue;
    int v = doc.value("version", 1);
    auto& best = latest[doc["id"].get<std::string>()];
    best = std::max(best, v);
  }
  for (const auto& [id, v] : latest) {
    if (const Survey* sv = catalog->find(id, v)) s->surveys_.push_back(*sv);
  }
  s->impl_ = std::make_unique<Impl>();
  Status st = s->impl_->load(*s->store_);
  if (!st.is_ok()) return st;
  return s;
}

const Survey* ScoreService::survey(const std::string& id) const {
  for (const auto& s : surveys_) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

Status ScoreService::rebuild() { return store_->rebuild_rollups(); }

Result<std::vector<UnitRecord>> ScoreService::units() {
  Status s = impl_->load(*store_);
  if (!s.is_ok()) return s;
  return impl_->units;
}

Result<std::vector<ProcedureRecord>> ScoreService::procedures() { return store_->procedures(); }

Result<bool> ScoreService::is_within(const std::string& unit, const std::string& root) {
  Status s = impl_->load(*store_);
  if (!s.is_ok()) return s;
  auto below = impl_->subtree(root);
  return std::find(below.begin(), below.end(), unit) != below.end();
}

Result<Date> ScoreService::today(const std::string& unit, TimePoint now) {
  auto tz = cached_zone(impl_->zone_of(unit));
  if (!tz.is_ok()) return tz.status();
  return tz->local_date(now);
}

namespace {

// Reads one query's rollups into a slice: survey and unit always, the rest as `needs` says. A
// range without day keys reads whole months from the month level and the days at either edge
// from the day level.
Status read_rollups(ServerStore& store, const std::vector<std::string>& surveys,
                    const std::vector<std::string>& units, const DateRange& range,
                    const ScoreQuery& q, const Needs& needs, Slice& slice) {
  const bool detail = needs.counter || needs.officer || needs.procedure || q.counter ||
                      q.officer || q.procedure;
  RollupRead read;
  read.surveys = surveys;
  read.units = units;
  read.needs = needs;
  read.counter = q.counter;
  read.officer = q.officer;
  read.procedure = q.procedure;
  auto part = [&](RollupRead::Level level, std::string from, std::string to) {
    read.level = level;
    read.from = std::move(from);
    read.to = std::move(to);
    return store.read_rollups(read, slice);
  };
  if (detail) return part(RollupRead::Level::detail, format_date(range.from), format_date(range.to));
  if (needs.day) return part(RollupRead::Level::day, format_date(range.from), format_date(range.to));
  std::optional<std::string> month_from, month_to;
  Date d = range.from;
  while (std::chrono::sys_days(d) <= std::chrono::sys_days(range.to)) {
    Date eom = last_of_month(d);
    if (d.day() == std::chrono::day(1) &&
        std::chrono::sys_days(eom) <= std::chrono::sys_days(range.to)) {
      std::string m = format_date(d).substr(0, 7);
      if (!month_from) month_from = m;
      month_to = m;
      d = next_day(eom);
    } else {
      Date end = std::chrono::sys_days(eom) < std::chrono::sys_days(range.to) ? eom : range.to;
      Status s = part(RollupRead::Level::day, format_date(d), format_date(end));
      if (!s.is_ok()) return s;
      d = next_day(end);
    }
  }
  if (month_from) return part(RollupRead::Level::month, *month_from, *month_to);
  return Status::ok();
}

// The raw path's lookups, answered from what the service has loaded.
class ServiceLookups final : public RollupLookups {
 public:
  ServiceLookups(std::function<std::string(const std::string&)> zone_of,
                 std::function<bool(const std::string&)> is_points)
      : zone_of_(std::move(zone_of)), is_points_(std::move(is_points)) {}
  Result<std::string> zone_of(const std::string& unit) override { return zone_of_(unit); }
  Result<bool> is_points(const std::string& survey) override { return is_points_(survey); }

 private:
  std::function<std::string(const std::string&)> zone_of_;
  std::function<bool(const std::string&)> is_points_;
};

}  // namespace

Result<nlohmann::json> ScoreService::scores(const ScoreQuery& q) {
  Status ls = impl_->load(*store_);
  if (!ls.is_ok()) return ls;
  if (!impl_->by_code.count(q.unit)) {
    return Status::error(ErrorCode::invalid_argument, "unknown unit " + q.unit);
  }
  if (std::chrono::sys_days(q.range.from) > std::chrono::sys_days(q.range.to)) {
    return Status::error(ErrorCode::invalid_argument, "from is after to");
  }
  if (q.range.days() > 3700) {
    return Status::error(ErrorCode::invalid_argument, "the range is longer than ten years");
  }
  const std::vector<std::string> units = impl_->subtree(q.unit);
  std::vector<std::string> survey_ids;
  for (const auto& s : surveys_) {
    if (!q.survey || s.id == *q.survey) survey_ids.push_back(s.id);
  }
  if (q.survey && survey_ids.empty()) {
    return Status::error(ErrorCode::invalid_argument, "unknown survey " + *q.survey);
  }
  const std::string& lang = q.language;

  Needs needs;
  needs.day = q.group == Grouping::day;
  needs.counter = q.group == Grouping::counter;
  needs.officer = q.group == Grouping::officer;
  needs.procedure = q.group == Grouping::procedure;

  auto load = [&](const DateRange& range, const Needs& n, Slice& slice) -> Status {
    if (survey_ids.empty()) return Status::ok();
    if (q.source == ScoreSource::rollups) {
      return read_rollups(*store_, survey_ids, units, range, q, n, slice);
    }
    // From the raw rows: per time zone, the instants of the range's local days.
    auto by_zone = impl_->by_zone(units);
    ServiceLookups lk([&](const std::string& u) { return impl_->zone_of(u); },
                      [&](const std::string& id) {
                        const Survey* sv = survey(id);
                        return sv && sv->scale == ScaleKind::points;
                      });
    for (const auto& zone_entry : by_zone) {
      auto tz = cached_zone(zone_entry.first);
      if (!tz.is_ok()) return tz.status();
      RawFilter filter;
      filter.units = zone_entry.second;
      filter.surveys = survey_ids;
      filter.from = tz->start_of_day(range.from);
      filter.to = tz->start_of_day(next_day(range.to));
      filter.counter = q.counter;
      filter.officer = q.officer;
      filter.procedure = q.procedure;
      Status s = store_->stream_responses(
          filter, [&](const ResponseFacts& f) { return accumulate(lk, slice, f, n); });
      if (!s.is_ok()) return s;
    }
    return Status::ok();
  };

  Slice slice;
  Status s = load(q.range, needs, slice);
  if (!s.is_ok()) return s;

  auto is_points = [&](const std::string& id) {
    const Survey* sv = survey(id);
    return sv && sv->scale == ScaleKind::points;
  };
  std::vector<const Survey*> likert_all;
  for (const auto& sv : surveys_) {
    if (sv.scale == ScaleKind::likert5 && (!q.survey || sv.id == *q.survey)) likert_all.push_back(&sv);
  }

  // Scores a set of slice entries: SPEC's shape, all responses counted, the likert surveys scored
  // together.
  auto score_of = [&](const std::map<std::string, Tally>& per_survey, SurveyScore* out) {
    Tally all, likert;
    std::vector<const Survey*> used;
    for (const auto& [id, t] : per_survey) {
      all.merge(t);
      if (!is_points(id)) {
        likert.merge(t);
        if (const Survey* sv = survey(id)) used.push_back(sv);
      }
    }
    if (used.empty()) used = likert_all;
    std::vector<Option> options = used.empty() ? std::vector<Option>{} : used.front()->options;
    SurveyScore sc = score_likert(merge_elements(used), options, likert);
    sc.complete = all.complete;
    sc.partial = all.partial;
    sc.responses = all.responses();
    json j = to_json(sc, lang);
    if (out) *out = std::move(sc);
    return j;
  };

  auto reason_text = [&](const std::string& id) {
    for (const auto& sv : surveys_) {
      if (const Reason* r = sv.find_reason(id)) return r->text.get(lang);
    }
    return id;
  };
  auto fix_first = [&](const SurveyScore& sc, std::size_t n) {
    std::vector<std::pair<double, json>> all;
    for (const auto& e : sc.elements) {
      if (!e.in_index) continue;
      for (const auto& c : e.criteria) {
        if (!c.index) continue;
        all.push_back({*c.index, json{{"id", c.id},
                                       {"text", c.text.get(lang)},
                                       {"element", e.id},
                                       {"element_name", e.name.get(lang)},
                                       {"index", *c.index},
                                       {"n", c.n}}});
      }
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    json out = json::array();
    for (std::size_t i = 0; i < all.size() && i < n; ++i) out.push_back(all[i].second);
    return out;
  };
  auto top_reasons = [&](const std::map<std::string, Tally>& per_survey, std::size_t n) {
    std::map<std::string, std::int64_t> counts;
    for (const auto& [id, t] : per_survey) {
      for (const auto& [r, c] : t.reasons) counts[r] += c;
    }
    std::vector<std::pair<std::string, std::int64_t>> v(counts.begin(), counts.end());
    std::stable_sort(v.begin(), v.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    json out = json::array();
    for (std::size_t i = 0; i < v.size() && i < n; ++i) {
      out.push_back({{"id", v[i].first}, {"text", reason_text(v[i].first)}, {"count", v[i].second}});
    }
    return out;
  };

  std::map<std::string, Tally> whole;
  for (const auto& [k, t] : slice) whole[k.survey].merge(t);
  SurveyScore overall;
  json result = score_of(whole, &overall);
  result["unit"] = q.unit;
  result["unit_name"] = impl_->name_of(q.unit);
  result["from"] = format_date(q.range.from);
  result["to"] = format_date(q.range.to);
  result["source"] = q.source == ScoreSource::rollups ? "rollups" : "raw";
  if (q.survey) result["survey"] = *q.survey;
  if (q.counter) result["counter"] = *q.counter;
  if (q.officer) result["officer"] = *q.officer;
  std::map<std::string, ProcedureRecord> catalogue;
  if (q.procedure || q.group == Grouping::procedure) {
    auto list = store_->procedures();
    if (!list.is_ok()) return list.status();
    for (auto& p : *list) catalogue.emplace(p.code, std::move(p));
  }
  auto procedure_name = [&](const std::string& code) -> json {
    auto it = catalogue.find(code);
    if (it == catalogue.end()) return nullptr;
    return it->second.name_in(lang);
  };
  if (q.procedure) {
    result["procedure"] = *q.procedure;
    result["procedure_name"] = procedure_name(*q.procedure);
  }

  if (q.group != Grouping::none) {
    json groups = json::array();
    if (q.group == Grouping::element || q.group == Grouping::criterion) {
      json base = result;
      for (const auto& e : base["elements"]) {
        if (q.group == Grouping::element) {
          json g = {{"key", e["id"]}, {"name", e["name"]}, {"index", e["index"]},
                    {"responses", base["responses"]}, {"complete", base["complete"]},
                    {"partial", base["partial"]}, {"elements", json::array({e})}};
          groups.push_back(std::move(g));
        } else {
          for (const auto& c : e["criteria"]) {
            json one = e;
            one["criteria"] = json::array({c});
            one["index"] = c["index"];
            groups.push_back({{"key", c["id"]}, {"name", c["text"]}, {"element", e["id"]},
                              {"index", c["index"]}, {"responses", base["responses"]},
                              {"complete", base["complete"]}, {"partial", base["partial"]},
                              {"elements", json::array({one})}});
          }
        }
      }
    } else {
      std::map<std::string, std::map<std::string, Tally>> by_group;
      for (const auto& [k, t] : slice) {
        std::string key;
        switch (q.group) {
          case Grouping::unit: key = impl_->child_of(q.unit, k.unit); break;
          case Grouping::counter: key = k.counter; break;
          case Grouping::officer: key = k.officer; break;
          case Grouping::day: key = k.day; break;
          case Grouping::survey: key = k.survey; break;
          case Grouping::procedure: key = k.procedure; break;
          default: break;
        }
        by_group[key][k.survey].merge(t);
      }
      if (q.group == Grouping::unit) {
        for (const auto& u : impl_->units) {
          if (u.parent && *u.parent == q.unit) by_group[u.code];
        }
      }
      for (const auto& [key, per_survey] : by_group) {
        json g = score_of(per_survey, nullptr);
        g["key"] = key;
        if (q.group == Grouping::unit) g["name"] = impl_->name_of(key);
        if (q.group == Grouping::survey) {
          const Survey* sv = survey(key);
          g["name"] = sv ? sv->title.get(lang) : key;
        }
        if (q.group == Grouping::procedure) {
          g["key"] = key.empty() ? json(nullptr) : json(key);
          g["name"] = key.empty() ? json(nullptr) : procedure_name(key);
        }
        groups.push_back(std::move(g));
      }
    }
    result["group"] = to_string(q.group);
    result["groups"] = std::move(groups);
  }

  if (q.extras) {
    result["fix_first"] = fix_first(overall, 5);
    result["top_reasons"] = top_reasons(whole, 5);
    result["national"] = national_reference();

    DateRange prev = previous_range(q.range);
    Slice prev_slice;
    s = load(prev, Needs{}, prev_slice);
    if (!s.is_ok()) return s;
    std::map<std::string, Tally> prev_whole;
    for (const auto& [k, t] : prev_slice) prev_whole[k.survey].merge(t);
    json pj = score_of(prev_whole, nullptr);
    result["previous"] = {{"from", format_date(prev.from)},
                          {"to", format_date(prev.to)},
                          {"index", pj["index"]},
                          {"responses", pj["responses"]}};
    result["change"] = (result["index"].is_number() && pj["index"].is_number())
                           ? json(result["index"].get<double>() - pj["index"].get<double>())
                           : json(nullptr);

    // Child units from the slice's unit column (present at every level).
    std::map<std::string, std::map<std::string, Tally>> by_child;
    for (const auto& u : impl_->units) {
      if (u.parent && *u.parent == q.unit) by_child[u.code];
    }
    for (const auto& [k, t] : slice) {
      std::string c = impl_->child_of(q.unit, k.unit);
      if (c != q.unit) by_child[c][k.survey].merge(t);
    }
    std::vector<json> children;
    for (const auto& [code, per_survey] : by_child) {
      SurveyScore sc;
      json cj = score_of(per_survey, &sc);
      children.push_back({{"unit", code},
                          {"name", impl_->name_of(code)},
                          {"index", cj["index"]},
                          {"responses", cj["responses"]},
                          {"elements", cj["elements"]},
                          {"fix_first", fix_first(sc, 3)},
                          {"top_reasons", top_reasons(per_survey, 3)}});
    }
    std::stable_sort(children.begin(), children.end(), [](const json& a, const json& b) {
      bool an = a["index"].is_number(), bn = b["index"].is_number();
      if (an != bn) return an;
      return an && a["index"].get<double>() > b["index"].get<double>();
    });
    json ranked = json::array();
    int rank = 0;
    for (auto& c : children) {
      c["rank"] = c["index"].is_number() ? json(++rank) : json(nullptr);
      ranked.push_back(std::move(c));
    }
    result["children"] = std::move(ranked);

    // Mẫu 01: per survey, the whole unit, each child unit and each officer.
    json points = json::array();
    for (const auto& sv : surveys_) {
      if (sv.scale != ScaleKind::points) continue;
      if (q.survey && *q.survey != sv.id) continue;
      Tally t;
      for (const auto& [k, x] : slice) {
        if (k.survey == sv.id) t.merge(x);
      }
      if (t.responses() == 0) continue;
      json pj2 = to_json(score_points(sv, t), lang);
      pj2["survey"] = sv.id;
      pj2["title"] = sv.title.get(lang);
      json by_unit = json::array();
      for (const auto& [code, per_survey] : by_child) {
        auto it = per_survey.find(sv.id);
        if (it == per_survey.end()) continue;
        json u = to_json(score_points(sv, it->second), lang);
        u["unit"] = code;
        u["name"] = impl_->name_of(code);
        by_unit.push_back(std::move(u));
      }
      pj2["units"] = std::move(by_unit);
      Slice officers;
      ScoreQuery oq = q;
      oq.survey = sv.id;
      Needs on;
      on.officer = true;
      if (q.source == ScoreSource::rollups) {
        s = read_rollups(*store_, {sv.id}, units, q.range, oq, on, officers);
      } else {
        s = load(q.range, on, officers);
      }
      if (!s.is_ok()) return s;
      std::map<std::string, Tally> per_officer;
      for (const auto& [k, x] : officers) {
        if (k.survey == sv.id) per_officer[k.officer].merge(x);
      }
      json by_officer = json::array();
      for (const auto& [o, x] : per_officer) {
        json oj = to_json(score_points(sv, x), lang);
        oj["officer"] = o;
        by_officer.push_back(std::move(oj));
      }
      pj2["officers"] = std::move(by_officer);
      points.push_back(std::move(pj2));
    }
    result["points"] = std::move(points);
  }
  return result;
}

Result<std::vector<CommentRow>> ScoreService::comments(const std::string& unit,
                                                       const DateRange& range, std::size_t limit,
                                                       const CommentFilter& filter) {
  Status ls = impl_->load(*store_);
  if (!ls.is_ok()) return ls;
  std::vector<CommentRow> rows;
  // Local days start at different instants in different zones, so the storage is asked per zone.
  for (const auto& [zone_name, zone_units] : impl_->by_zone(impl_->subtree(unit))) {
    auto tz = cached_zone(zone_name);
    if (!tz.is_ok()) return tz.status();
    auto part = store_->comments(zone_units, tz->start_of_day(range.from),
                                 tz->start_of_day(next_day(range.to)), filter, limit);
    if (!part.is_ok()) return part.status();
    for (CommentRow& c : *part) {
      c.local_time = format_rfc3339(c.at + tz->offset_at(c.at)).substr(0, 16);
      if (c.local_time.size() > 10) c.local_time[10] = ' ';
      rows.push_back(std::move(c));
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.at > b.at; });
  if (rows.size() > limit) rows.resize(limit);
  return rows;
}

Result<std::vector<RawRow>> ScoreService::raw_responses(const std::string& unit,
                                                        const DateRange& range,
                                                        std::size_t limit) {
  Status ls = impl_->load(*store_);
  if (!ls.is_ok()) return ls;
  std::vector<RawRow> rows;
  for (const auto& [zone_name, zone_units] : impl_->by_zone(impl_->subtree(unit))) {
    auto tz = cached_zone(zone_name);
    if (!tz.is_ok()) return tz.status();
    auto part = store_->raw_responses(zone_units, tz->start_of_day(range.from),
                                      tz->start_of_day(next_day(range.to)), limit);
    if (!part.is_ok()) return part.status();
    for (RawRow& r : *part) {
      r.local_day = format_date(tz->local_date(r.at));
      rows.push_back(std::move(r));
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
  if (rows.size() > limit) rows.resize(limit);
  return rows;
}

}  // namespace sipas
