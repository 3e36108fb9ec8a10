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

const NationalReference& national_reference() {
  static const NationalReference n{
      {{2019, 84.45, std::nullopt},
       {2021, 87.16, std::nullopt},
       {2022, 80.08, "new method"},
       {2023, 82.66, std::nullopt},
       {2024, 83.94, std::nullopt}},
      {{"access", 83.00}, {"procedures", 83.02}, {"officer", 83.12}, {"result", 83.03},
       {"feedback", 82.27}},
      84.09,
      95.0};
  return n;
}

json to_json(const NationalReference& n) {
  json years = json::array();
  for (const auto& y : n.sipas) {
    json j = {{"year", y.year}, {"index", y.index}};
    if (y.note) j["note"] = *y.note;
    years.push_back(std::move(j));
  }
  return {{"sipas", std::move(years)},
          {"elements_2023", n.elements_2023},
          {"admin_services_2024", n.admin_services_2024},
          {"target_2030", n.target_2030}};
}

namespace {

json optional_json(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }
json optional_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json to_json(const WeakCriterion& w) {
  return {{"id", w.id},       {"text", w.text},   {"element", w.element},
          {"element_name", w.element_name}, {"index", w.index}, {"n", w.n}};
}

json to_json(const ReasonCount& r) { return {{"id", r.id}, {"text", r.text}, {"count", r.count}}; }

template <typename T>
json array_of(const std::vector<T>& items) {
  json out = json::array();
  for (const auto& x : items) out.push_back(to_json(x));
  return out;
}

}  // namespace

json to_json(const Scores& s) {
  const std::string& lang = s.language;
  json result = to_json(s.overall, lang);
  result["unit"] = s.unit;
  result["unit_name"] = s.unit_name;
  result["from"] = format_date(s.range.from);
  result["to"] = format_date(s.range.to);
  result["source"] = s.source == ScoreSource::rollups ? "rollups" : "raw";
  if (s.survey) result["survey"] = *s.survey;
  if (s.counter) result["counter"] = *s.counter;
  if (s.officer) result["officer"] = *s.officer;
  if (s.procedure) {
    result["procedure"] = *s.procedure;
    result["procedure_name"] = optional_json(s.procedure_name);
  }
  if (s.group != Grouping::none) {
    const bool named = s.group == Grouping::unit || s.group == Grouping::survey ||
                       s.group == Grouping::procedure || s.group == Grouping::element ||
                       s.group == Grouping::criterion;
    json groups = json::array();
    for (const ScoreGroup& g : s.groups) {
      json j = to_json(g.score, lang);
      j["key"] = optional_json(g.key);
      if (named) j["name"] = optional_json(g.name);
      if (g.element) j["element"] = *g.element;
      groups.push_back(std::move(j));
    }
    result["group"] = to_string(s.group);
    result["groups"] = std::move(groups);
  }
  if (s.extras) {
    const ScoreExtras& x = *s.extras;
    result["fix_first"] = array_of(x.fix_first);
    result["top_reasons"] = array_of(x.top_reasons);
    result["national"] = to_json(national_reference());
    result["previous"] = {{"from", format_date(x.previous.range.from)},
                          {"to", format_date(x.previous.range.to)},
                          {"index", optional_json(x.previous.index)},
                          {"responses", x.previous.responses}};
    result["change"] = optional_json(x.change);
    json children = json::array();
    for (const ChildUnitScore& c : x.children) {
      json full = to_json(c.score, lang);
      children.push_back({{"unit", c.unit},
                          {"name", c.name},
                          {"index", full["index"]},
                          {"responses", full["responses"]},
                          {"elements", full["elements"]},
                          {"fix_first", array_of(c.fix_first)},
                          {"top_reasons", array_of(c.top_reasons)},
                          {"rank", c.rank ? json(*c.rank) : json(nullptr)}});
    }
    result["children"] = std::move(children);
    json points = json::array();
    for (const PointsSection& p : x.points) {
      json pj = to_json(p.score, lang);
      pj["survey"] = p.survey;
      pj["title"] = p.title;
      json units = json::array();
      for (const auto& u : p.units) {
        json uj = to_json(u.score, lang);
        uj["unit"] = u.key;
        uj["name"] = u.name;
        units.push_back(std::move(uj));
      }
      json officers = json::array();
      for (const auto& o : p.officers) {
        json oj = to_json(o.score, lang);
        oj["officer"] = o.key;
        officers.push_back(std::move(oj));
      }
      pj["units"] = std::move(units);
      pj["officers"] = std::move(officers);
      points.push_back(std::move(pj));
    }
    result["points"] = std::move(points);
  }
  return result;
}

namespace {

// The unit tree as the storage last gave it, for the queries' lookups.
class ScoreUnits {
 public:
  Status load(ServerStore& store) {
    auto u = store.units();
    if (!u.is_ok()) return u.status();
    units_ = std::move(u).value();
    by_code_.clear();
    children_.clear();
    for (const auto& x : units_) {
      by_code_[x.code] = &x;
      if (x.parent) children_[*x.parent].push_back(x.code);
    }
    return Status::ok();
  }
  const std::vector<UnitRecord>& all() const { return units_; }
  bool known(const std::string& code) const { return by_code_.count(code) > 0; }
  // `root` and every unit below it, root first.
  std::vector<std::string> subtree(const std::string& root) const {
    std::vector<std::string> out{root};
    for (std::size_t i = 0; i < out.size(); ++i) {
      const auto& below = children(out[i]);
      out.insert(out.end(), below.begin(), below.end());
    }
    return out;
  }
  // The units directly below `root`, by code.
  const std::vector<std::string>& children(const std::string& root) const {
    static const std::vector<std::string> kNone;
    auto it = children_.find(root);
    return it == children_.end() ? kNone : it->second;
  }
  // The units above `unit`, its parent first.
  std::vector<std::string> ancestors_of(const std::string& unit) const {
    std::vector<std::string> out;
    std::string cur = unit;
    for (int guard = 0; guard < 64; ++guard) {
      auto it = by_code_.find(cur);
      if (it == by_code_.end() || !it->second->parent) break;
      cur = *it->second->parent;
      out.push_back(cur);
    }
    return out;
  }
  // The child of `root` that `unit` lies under (root itself for root's own responses).
  std::string child_of(const std::string& root, const std::string& unit) const {
    std::string cur = unit;
    for (int guard = 0; guard < 64; ++guard) {
      auto it = by_code_.find(cur);
      if (it == by_code_.end() || !it->second->parent) return cur;
      if (*it->second->parent == root) return cur;
      if (cur == root) return cur;
      cur = *it->second->parent;
    }
    return cur;
  }
  std::string name_of(const std::string& code) const {
    auto it = by_code_.find(code);
    return it == by_code_.end() ? code : it->second->name;
  }
  std::string zone_of(const std::string& code) const {
    auto it = by_code_.find(code);
    return it == by_code_.end() ? "Asia/Ho_Chi_Minh" : it->second->time_zone;
  }
  // Local days start at different instants in different zones, so raw-row queries run per zone.
  std::map<std::string, std::vector<std::string>> by_zone(
      const std::vector<std::string>& units) const {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& u : units) out[zone_of(u)].push_back(u);
    return out;
  }

 private:
  std::vector<UnitRecord> units_;
  std::map<std::string, const UnitRecord*> by_code_;
  std::map<std::string, std::vector<std::string>> children_;  // by parent, in code order
};

}  // namespace

struct ScoreService::Impl : ScoreUnits {};

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
  std::set<std::string> seen;
  for (const Survey* sv : catalog->all()) {
    for (const Criterion* c : sv->questions()) {
      if (seen.insert(c->id).second) s->criterion_ids_.push_back(c->id);
    }
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

std::string ScoreService::reason_text(const std::string& id, const std::string& language) const {
  for (const auto& s : surveys_) {
    if (const Reason* r = s.find_reason(id)) return r->text.get(language);
  }
  return id;
}

Status ScoreService::rebuild() { return store_->rebuild_rollups(); }

Result<std::vector<UnitRecord>> ScoreService::units() {
  Status s = impl_->load(*store_);
  if (!s.is_ok()) return s;
  return impl_->all();
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
// Whether a query reads the detail rollups (counters, officers, procedures).
bool reads_detail(const ScoreQuery& q, const Needs& needs) {
  return needs.counter || needs.officer || needs.procedure || q.counter || q.officer || q.procedure;
}

Status read_rollups(ServerStore& store, const std::vector<std::string>& surveys,
                    const std::vector<std::string>& units, const DateRange& range,
                    const ScoreQuery& q, const Needs& needs, Slice& slice, bool below = false) {
  const bool detail = reads_detail(q, needs);
  RollupRead read;
  read.below = below;
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

// Per survey id, the counts of a set of slice entries.
using PerSurvey = std::map<std::string, Tally>;

// One ScoreQuery's steps: read the slice, score it, group it, and add the extras. Lives for one
// call of ScoreService::scores.
class ScoreRun final : public RollupLookups {
 public:
  ScoreRun(ServerStore& store, const ScoreService& service, const ScoreUnits& units,
           const ScoreQuery& q)
      : store_(store), service_(service), units_(units), q_(q), lang_(q.language) {}

  Result<Scores> run() {
    Status s = prepare();
    if (!s.is_ok()) return s;
    Needs needs;
    needs.day = q_.group == Grouping::day;
    needs.counter = q_.group == Grouping::counter;
    needs.officer = q_.group == Grouping::officer;
    needs.procedure = q_.group == Grouping::procedure;
    Slice slice;
    s = load(q_.range, needs, slice);
    if (!s.is_ok()) return s;

    Scores out;
    out.language = lang_;
    out.unit = q_.unit;
    out.unit_name = units_.name_of(q_.unit);
    out.range = q_.range;
    out.source = q_.source;
    out.survey = q_.survey;
    out.counter = q_.counter;
    out.officer = q_.officer;
    out.procedure = q_.procedure;
    if (q_.procedure || q_.group == Grouping::procedure) {
      s = load_catalogue();
      if (!s.is_ok()) return s;
    }
    if (q_.procedure) out.procedure_name = procedure_name(*q_.procedure);
    const PerSurvey whole = per_survey(slice);
    out.overall = score_of(whole);
    out.group = q_.group;
    out.groups = groups(out.overall, slice);
    if (q_.extras) {
      auto x = extras(out.overall, whole, slice);
      if (!x.is_ok()) return x.status();
      out.extras = std::move(x).value();
    }
    return out;
  }

  // RollupLookups, for the raw path.
  Result<std::string> zone_of(const std::string& unit) override { return units_.zone_of(unit); }
  Result<bool> is_points(const std::string& survey) override { return points_survey(survey); }
  Result<std::vector<std::string>> ancestors_of(const std::string& unit) override {
    return units_.ancestors_of(unit);
  }

 private:
  // Checks the query and settles the units and surveys it covers.
  Status prepare() {
    if (!units_.known(q_.unit)) {
      return Status::error(ErrorCode::invalid_argument, "unknown unit " + q_.unit);
    }
    if (std::chrono::sys_days(q_.range.from) > std::chrono::sys_days(q_.range.to)) {
      return Status::error(ErrorCode::invalid_argument, "from is after to");
    }
    if (q_.range.days() > kMaxRangeDays) {
      return Status::error(ErrorCode::invalid_argument, "the range is longer than ten years");
    }
    subtree_ = units_.subtree(q_.unit);
    own_units_ = {q_.unit};
    for (const auto& c : units_.children(q_.unit)) {
      own_units_.push_back(c);
      if (!units_.children(c).empty()) below_units_.push_back(c);
    }
    for (const auto& sv : service_.surveys()) {
      if (q_.survey && sv.id != *q_.survey) continue;
      survey_ids_.push_back(sv.id);
      if (sv.scale == ScaleKind::likert5) likert_all_.push_back(&sv);
    }
    if (q_.survey && survey_ids_.empty()) {
      return Status::error(ErrorCode::invalid_argument, "unknown survey " + *q_.survey);
    }
    return Status::ok();
  }

  // The slice of `range` for the query's units, surveys and filters, from the rollups or the raw
  // rows as the query asks.
  Status load(const DateRange& range, const Needs& needs, Slice& slice,
              const std::vector<std::string>* surveys = nullptr) {
    const std::vector<std::string>& ids = surveys ? *surveys : survey_ids_;
    if (ids.empty()) return Status::ok();
    if (q_.source == ScoreSource::rollups) {
      if (reads_detail(q_, needs)) return read_rollups(store_, ids, subtree_, range, q_, needs, slice);
      // The unit's and its children's own rollups, and the sums below each child, counted under
      // the child: every child's entry is its whole subtree, as the ranking and groups need.
      Status s = read_rollups(store_, ids, own_units_, range, q_, needs, slice);
      if (!s.is_ok() || below_units_.empty()) return s;
      return read_rollups(store_, ids, below_units_, range, q_, needs, slice, true);
    }
    // Local days start at different instants in different zones, so raw rows are read per zone.
    for (const auto& [zone, zone_units] : units_.by_zone(subtree_)) {
      auto tz = cached_zone(zone);
      if (!tz.is_ok()) return tz.status();
      RawFilter filter;
      filter.units = zone_units;
      filter.surveys = ids;
      filter.from = tz->start_of_day(range.from);
      filter.to = tz->start_of_day(next_day(range.to));
      filter.counter = q_.counter;
      filter.officer = q_.officer;
      filter.procedure = q_.procedure;
      Status s = store_.stream_responses(
          filter, [&](const ResponseFacts& f) { return accumulate(*this, slice, f, needs); });
      if (!s.is_ok()) return s;
    }
    return Status::ok();
  }

  Status load_catalogue() {
    auto list = store_.procedures();
    if (!list.is_ok()) return list.status();
    for (auto& p : *list) catalogue_.emplace(p.code, std::move(p));
    return Status::ok();
  }

  std::optional<std::string> procedure_name(const std::string& code) const {
    auto it = catalogue_.find(code);
    if (it == catalogue_.end()) return std::nullopt;
    return it->second.name_in(lang_);
  }

  bool points_survey(const std::string& id) const {
    const Survey* sv = service_.survey(id);
    return sv && sv->scale == ScaleKind::points;
  }

  static PerSurvey per_survey(const Slice& slice) {
    PerSurvey out;
    for (const auto& [k, t] : slice) out[k.survey].merge(t);
    return out;
  }

  // SPEC's score of a set of slice entries: all responses counted, the likert surveys scored
  // together.
  SurveyScore score_of(const PerSurvey& per_survey) const {
    Tally all, likert;
    std::vector<const Survey*> used;
    for (const auto& [id, t] : per_survey) {
      all.merge(t);
      if (points_survey(id)) continue;
      likert.merge(t);
      if (const Survey* sv = service_.survey(id)) used.push_back(sv);
    }
    if (used.empty()) used = likert_all_;
    std::vector<Option> options = used.empty() ? std::vector<Option>{} : used.front()->options;
    SurveyScore sc = score_likert(merge_elements(used), options, likert);
    sc.complete = all.complete;
    sc.partial = all.partial;
    sc.responses = all.responses();
    return sc;
  }

  // The criteria of the index, weakest first.
  std::vector<WeakCriterion> fix_first(const SurveyScore& sc, std::size_t n) const {
    std::vector<WeakCriterion> all;
    for (const auto& e : sc.elements) {
      if (!e.in_index) continue;
      for (const auto& c : e.criteria) {
        if (!c.index) continue;
        all.push_back({c.id, c.text.get(lang_), e.id, e.name.get(lang_), *c.index, c.n});
      }
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const auto& a, const auto& b) { return a.index < b.index; });
    if (all.size() > n) all.resize(n);
    return all;
  }

  // The reasons chosen most often.
  std::vector<ReasonCount> top_reasons(const PerSurvey& per_survey, std::size_t n) const {
    std::map<std::string, std::int64_t> counts;
    for (const auto& [id, t] : per_survey) {
      for (const auto& [r, c] : t.reasons) counts[r] += c;
    }
    std::vector<ReasonCount> v;
    for (const auto& [id, c] : counts) v.push_back({id, service_.reason_text(id, lang_), c});
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.count > b.count; });
    if (v.size() > n) v.resize(n);
    return v;
  }

  // Every child unit of the queried one (those without responses too), with its counts.
  std::map<std::string, PerSurvey> by_child(const Slice& slice) const {
    std::map<std::string, PerSurvey> out;
    for (const auto& code : units_.children(q_.unit)) out[code];
    for (const auto& [k, t] : slice) {
      std::string c = units_.child_of(q_.unit, k.unit);
      if (c != q_.unit) out[c][k.survey].merge(t);
    }
    return out;
  }

  std::vector<ScoreGroup> groups(const SurveyScore& overall, const Slice& slice) const {
    std::vector<ScoreGroup> out;
    if (q_.group == Grouping::none) return out;
    if (q_.group == Grouping::element || q_.group == Grouping::criterion) {
      for (const auto& e : overall.elements) {
        if (q_.group == Grouping::element) {
          ScoreGroup g{e.id, e.name.get(lang_), std::nullopt, overall};
          g.score.index = e.index;
          g.score.elements = {e};
          out.push_back(std::move(g));
          continue;
        }
        for (const auto& c : e.criteria) {
          ScoreGroup g{c.id, c.text.get(lang_), e.id, overall};
          ElementScore one = e;
          one.criteria = {c};
          one.index = c.index;
          g.score.index = c.index;
          g.score.elements = {std::move(one)};
          out.push_back(std::move(g));
        }
      }
      return out;
    }
    std::map<std::string, PerSurvey> by_group;
    for (const auto& [k, t] : slice) {
      std::string key;
      switch (q_.group) {
        case Grouping::unit: key = units_.child_of(q_.unit, k.unit); break;
        case Grouping::counter: key = k.counter; break;
        case Grouping::officer: key = k.officer; break;
        case Grouping::day: key = k.day; break;
        case Grouping::survey: key = k.survey; break;
        case Grouping::procedure: key = k.procedure; break;
        default: break;
      }
      by_group[key][k.survey].merge(t);
    }
    if (q_.group == Grouping::unit) {
      for (const auto& code : units_.children(q_.unit)) by_group[code];
    }
    for (const auto& [key, per] : by_group) {
      ScoreGroup g{key, std::nullopt, std::nullopt, score_of(per)};
      if (q_.group == Grouping::unit) g.name = units_.name_of(key);
      if (q_.group == Grouping::survey) {
        const Survey* sv = service_.survey(key);
        g.name = sv ? sv->title.get(lang_) : key;
      }
      if (q_.group == Grouping::procedure) {
        if (key.empty()) g.key = std::nullopt;
        if (!key.empty()) g.name = procedure_name(key);
      }
      out.push_back(std::move(g));
    }
    return out;
  }

  Result<ScoreExtras> extras(const SurveyScore& overall, const PerSurvey& whole,
                             const Slice& slice) {
    ScoreExtras x;
    x.fix_first = fix_first(overall, 5);
    x.top_reasons = top_reasons(whole, 5);

    x.previous.range = previous_range(q_.range);
    Slice prev_slice;
    Status s = load(x.previous.range, Needs{}, prev_slice);
    if (!s.is_ok()) return s;
    SurveyScore prev = score_of(per_survey(prev_slice));
    x.previous.index = prev.index;
    x.previous.responses = prev.responses;
    if (overall.index && prev.index) x.change = *overall.index - *prev.index;

    const auto children = by_child(slice);
    x.children = ranked_children(children);
    auto points = points_sections(slice, children);
    if (!points.is_ok()) return points.status();
    x.points = std::move(points).value();
    return x;
  }

  std::vector<ChildUnitScore> ranked_children(const std::map<std::string, PerSurvey>& children) const {
    std::vector<ChildUnitScore> out;
    for (const auto& [code, per] : children) {
      SurveyScore sc = score_of(per);
      auto weak = fix_first(sc, 3);
      out.push_back({code, units_.name_of(code), std::move(sc), std::move(weak),
                     top_reasons(per, 3), std::nullopt});
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      const auto &ai = a.score.index, &bi = b.score.index;
      if (ai.has_value() != bi.has_value()) return ai.has_value();
      return ai && *ai > *bi;
    });
    int rank = 0;
    for (auto& c : out) {
      if (c.score.index) c.rank = ++rank;
    }
    return out;
  }

  // Mẫu 01: per points survey, the whole unit, each child unit and each officer.
  Result<std::vector<PointsSection>> points_sections(
      const Slice& slice, const std::map<std::string, PerSurvey>& children) {
    std::vector<PointsSection> out;
    for (const auto& sv : service_.surveys()) {
      if (sv.scale != ScaleKind::points) continue;
      if (q_.survey && *q_.survey != sv.id) continue;
      Tally t;
      for (const auto& [k, x] : slice) {
        if (k.survey == sv.id) t.merge(x);
      }
      if (t.responses() == 0) continue;
      PointsSection p;
      p.survey = sv.id;
      p.title = sv.title.get(lang_);
      p.score = score_points(sv, t);
      for (const auto& [code, per] : children) {
        auto it = per.find(sv.id);
        if (it == per.end()) continue;
        p.units.push_back({code, units_.name_of(code), score_points(sv, it->second)});
      }
      Slice officers;
      Needs by_officer;
      by_officer.officer = true;
      const std::vector<std::string> one{sv.id};
      Status s = load(q_.range, by_officer, officers, &one);
      if (!s.is_ok()) return s;
      std::map<std::string, Tally> per_officer;
      for (const auto& [k, x] : officers) {
        if (k.survey == sv.id) per_officer[k.officer].merge(x);
      }
      for (const auto& [o, x] : per_officer) p.officers.push_back({o, "", score_points(sv, x)});
      out.push_back(std::move(p));
    }
    return out;
  }

  ServerStore& store_;
  const ScoreService& service_;
  const ScoreUnits& units_;
  const ScoreQuery& q_;
  const std::string& lang_;
  std::vector<std::string> subtree_;
  std::vector<std::string> own_units_;    // the unit and its children
  std::vector<std::string> below_units_;  // its children that have units below them
  std::vector<std::string> survey_ids_;
  std::vector<const Survey*> likert_all_;
  std::map<std::string, ProcedureRecord> catalogue_;
};

}  // namespace

Result<Scores> ScoreService::scores(const ScoreQuery& q) {
  Status ls = impl_->load(*store_);
  if (!ls.is_ok()) return ls;
  return ScoreRun(*store_, *this, *impl_, q).run();
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
      c.local_time = format_local(c.at, tz->offset_at(c.at), LocalStyle::year_first);
      rows.push_back(std::move(c));
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.at > b.at; });
  if (rows.size() > limit) rows.resize(limit);
  return rows;
}

namespace {

// The storage's rows with each one's local day, in its unit's time zone.
class LocalDayCursor final : public RawCursor {
 public:
  LocalDayCursor(std::unique_ptr<RawCursor> rows,
                 std::map<std::string, std::shared_ptr<const TimeZone>> zones)
      : rows_(std::move(rows)), zones_(std::move(zones)) {}
  Result<bool> next(RawRow& r) override {
    auto more = rows_->next(r);
    if (!more.is_ok() || !*more) return more;
    auto it = zones_.find(r.unit);
    if (it != zones_.end()) r.local_day = format_date(it->second->local_date(r.at));
    return true;
  }

 private:
  std::unique_ptr<RawCursor> rows_;
  std::map<std::string, std::shared_ptr<const TimeZone>> zones_;  // by unit
};

}  // namespace

Result<std::unique_ptr<RawCursor>> ScoreService::raw_responses(const std::string& unit,
                                                               const DateRange& range,
                                                               std::size_t limit) {
  Status ls = impl_->load(*store_);
  if (!ls.is_ok()) return ls;
  std::vector<RawSpan> spans;
  std::map<std::string, std::shared_ptr<const TimeZone>> zones;
  // Local days start at different instants in different zones: a span per zone.
  for (const auto& [zone_name, zone_units] : impl_->by_zone(impl_->subtree(unit))) {
    auto tz = cached_zone(zone_name);
    if (!tz.is_ok()) return tz.status();
    auto zone = std::make_shared<const TimeZone>(std::move(tz).value());
    for (const auto& u : zone_units) zones[u] = zone;
    spans.push_back({zone_units, zone->start_of_day(range.from), zone->start_of_day(next_day(range.to))});
  }
  auto rows = store_->raw_responses(spans, limit);
  if (!rows.is_ok()) return rows.status();
  return std::unique_ptr<RawCursor>(new LocalDayCursor(std::move(rows).value(), std::move(zones)));
}

}  // namespace sipas
