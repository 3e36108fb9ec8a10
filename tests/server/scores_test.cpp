#include <gtest/gtest.h>

#include <sstream>

#include "dashboard_test_support.hpp"
#include "sipas/server/dashboard.hpp"
#include "sipas/server/scores.hpp"

namespace sipas::test {
namespace {

using nlohmann::json;

class ScoresTest : public DashboardTest {
 protected:
  void SetUp() override {
    DashboardTest::SetUp();
    post_fixture();
    load_procedures();
    svc_ = service();
    ASSERT_TRUE(svc_);
    ASSERT_TRUE(svc_->rebuild().is_ok());
  }

  json scores(const std::string& unit, const char* from, const char* to,
              Grouping group = Grouping::none, ScoreSource source = ScoreSource::rollups,
              std::optional<std::string> procedure = std::nullopt, const char* lang = "vi") {
    ScoreQuery q;
    q.unit = unit;
    q.range = DateRange{*parse_date(from), *parse_date(to)};
    q.group = group;
    q.source = source;
    q.procedure = std::move(procedure);
    q.language = lang;
    auto r = svc_->scores(q);
    EXPECT_TRUE(r.is_ok()) << r.status().message();
    return r.is_ok() ? to_json(*r) : json();
  }

  static const json& element(const json& s, const std::string& id) {
    for (const auto& e : s["elements"]) {
      if (e["id"] == id) return e;
    }
    static const json none;
    return none;
  }

  static const json& group(const json& s, const json& key) {
    for (const auto& g : s["groups"]) {
      if (g["key"] == key) return g;
    }
    static const json none;
    return none;
  }

  std::unique_ptr<ScoreService> svc_;
};

TEST_F(ScoresTest, ProvinceQuarterMatchesHandComputedFigures) {
  json s = scores("22", "2026-07-01", "2026-09-30");
  EXPECT_EQ(s["unit"], "22");
  EXPECT_EQ(s["from"], "2026-07-01");
  EXPECT_EQ(s["to"], "2026-09-30");
  EXPECT_EQ(s["responses"], 5);  // R1 R3 R4 and the two Mẫu 01
  EXPECT_EQ(s["complete"], 5);
  EXPECT_EQ(s["partial"], 0);
  EXPECT_NEAR(element(s, "access")["index"].get<double>(), 200.0 / 3, 1e-9);
  EXPECT_NEAR(element(s, "procedures")["index"].get<double>(), 100.0, 1e-9);
  EXPECT_NEAR(element(s, "officer")["index"].get<double>(), (100.0 / 3 + 0) / 2, 1e-9);
  EXPECT_TRUE(element(s, "result")["index"].is_null());
  EXPECT_TRUE(element(s, "feedback")["index"].is_null());
  EXPECT_NEAR(index_of(s), (200.0 / 3 + 100 + 50.0 / 3) / 3, 1e-9);
  const json& polite = element(s, "officer")["criteria"][0];
  EXPECT_EQ(polite["id"], "officer.polite");
  EXPECT_EQ(polite["n"], 3);
  EXPECT_NEAR(polite["mean"].get<double>(), 3.0, 1e-9);
  EXPECT_EQ(polite["counts"]["2"], 1);
  EXPECT_EQ(polite["counts"]["3"], 1);
  EXPECT_EQ(polite["counts"]["4"], 1);
  EXPECT_EQ(polite["counts"]["5"], 0);
}

TEST_F(ScoresTest, UnitIncludesUnitsBelowIt) {
  json s = scores(kUnit, "2026-07-01", "2026-09-30");
  EXPECT_EQ(s["responses"], 4);  // R1, R3 from 22.PVHCC.Q1, R5, R6
  EXPECT_NEAR(index_of(s), 75.0, 1e-9);
  json sub = scores(kSubUnit, "2026-07-01", "2026-09-30");
  EXPECT_EQ(sub["responses"], 1);
  EXPECT_NEAR(index_of(sub), (100.0 + 100.0 + 0.0) / 3, 1e-9);
}

TEST_F(ScoresTest, ResponseAt2359LocalBelongsToThatDay) {
  json day = scores("22", "2026-09-30", "2026-09-30");
  EXPECT_EQ(day["responses"], 2);  // R1 at 23:59 and R4
  EXPECT_EQ(day["partial"], 0);
}

TEST_F(ScoresTest, ResponseAt0001LocalBelongsToNextDay) {
  json day = scores("22", "2026-10-01", "2026-10-01");
  EXPECT_EQ(day["responses"], 1);
  EXPECT_EQ(day["partial"], 1);
  EXPECT_NEAR(index_of(day), (0.0 + 100.0 + 0.0) / 3, 1e-9);
}

TEST_F(ScoresTest, QuarterLastDayStaysInItsQuarter) {
  DateRange q3 = period_containing(PeriodKind::quarter, *parse_date("2026-09-30"));
  DateRange q4 = period_containing(PeriodKind::quarter, *parse_date("2026-10-01"));
  json a = scores("22", format_date(q3.from).c_str(), format_date(q3.to).c_str());
  json b = scores("22", format_date(q4.from).c_str(), format_date(q4.to).c_str());
  EXPECT_EQ(a["responses"], 5);
  EXPECT_EQ(b["responses"], 1);
}

TEST_F(ScoresTest, GroupByDaySplitsAtLocalMidnight) {
  json s = scores("22", "2026-09-30", "2026-10-01", Grouping::day);
  ASSERT_EQ(s["groups"].size(), 2u);
  EXPECT_EQ(group(s, "2026-09-30")["responses"], 2);
  EXPECT_NEAR(index_of(group(s, "2026-09-30")), (50.0 + 25.0) / 2, 1e-9);
  EXPECT_EQ(group(s, "2026-10-01")["responses"], 1);
}

TEST_F(ScoresTest, GroupByUnitGivesEachChildItsSubtree) {
  json s = scores("22", "2026-07-01", "2026-09-30", Grouping::unit);
  EXPECT_NEAR(index_of(group(s, kUnit)), 75.0, 1e-9);
  EXPECT_EQ(group(s, kUnit)["responses"], 4);
  EXPECT_NEAR(index_of(group(s, kOtherUnit)), 0.0, 1e-9);
}

TEST_F(ScoresTest, GroupByCounter) {
  json s = scores(kUnit, "2026-07-01", "2026-09-30", Grouping::counter);
  EXPECT_NEAR(index_of(group(s, "Q1")), 75.0, 1e-9);
  EXPECT_NEAR(index_of(group(s, "Q3")), 200.0 / 3, 1e-9);
  EXPECT_EQ(group(s, "Q2")["responses"], 1);  // R6 (Mẫu 01 only)
  EXPECT_TRUE(group(s, "Q2")["index"].is_null());
}

TEST_F(ScoresTest, GroupByOfficer) {
  json s = scores(kUnit, "2026-07-01", "2026-09-30", Grouping::officer);
  EXPECT_NEAR(index_of(group(s, "A")), 75.0, 1e-9);
  EXPECT_EQ(group(s, "A")["responses"], 3);
  EXPECT_EQ(group(s, "B")["responses"], 1);
}

TEST_F(ScoresTest, GroupBySurvey) {
  json s = scores("22", "2026-07-01", "2026-09-30", Grouping::survey);
  EXPECT_EQ(group(s, "counter-short")["responses"], 3);
  EXPECT_EQ(group(s, "mau01")["responses"], 2);
}

TEST_F(ScoresTest, GroupByElementAndCriterion) {
  json e = scores("22", "2026-07-01", "2026-09-30", Grouping::element);
  EXPECT_NEAR(index_of(group(e, "officer")), 50.0 / 3, 1e-9);
  json c = scores("22", "2026-07-01", "2026-09-30", Grouping::criterion);
  EXPECT_NEAR(index_of(group(c, "officer.guidance")), 0.0, 1e-9);
  EXPECT_EQ(group(c, "officer.polite")["elements"][0]["criteria"][0]["n"], 3);
}

TEST_F(ScoresTest, PreviousPeriodAndChange) {
  json s = scores("22", "2026-10-01", "2026-12-31");
  EXPECT_EQ(s["previous"]["from"], "2026-07-01");
  EXPECT_EQ(s["previous"]["to"], "2026-09-30");
  EXPECT_NEAR(s["previous"]["index"].get<double>(), (200.0 / 3 + 100 + 50.0 / 3) / 3, 1e-9);
  EXPECT_NEAR(s["change"].get<double>(), 100.0 / 3 - (200.0 / 3 + 100 + 50.0 / 3) / 3, 1e-9);
}

TEST_F(ScoresTest, RanksChildUnitsWithTheirWeakestCriteriaAndReasons) {
  json s = scores("22", "2026-07-01", "2026-09-30");
  ASSERT_EQ(s["children"].size(), 2u);
  EXPECT_EQ(s["children"][0]["unit"], kUnit);
  EXPECT_EQ(s["children"][0]["rank"], 1);
  EXPECT_EQ(s["children"][1]["unit"], kOtherUnit);
  EXPECT_EQ(s["children"][0]["fix_first"][0]["id"], "officer.guidance");
  EXPECT_EQ(s["children"][1]["top_reasons"][0]["id"], "long_wait");
  EXPECT_EQ(s["fix_first"][0]["id"], "officer.guidance");
  EXPECT_EQ(s["fix_first"][1]["id"], "officer.polite");
  ASSERT_EQ(s["top_reasons"].size(), 2u);
  EXPECT_EQ(s["top_reasons"][0]["count"], 1);
}

TEST_F(ScoresTest, NationalReferenceFigures) {
  json s = scores("22", "2026-07-01", "2026-09-30");
  const json& n = s["national"];
  EXPECT_DOUBLE_EQ(n["sipas"][0]["index"].get<double>(), 84.45);
  EXPECT_DOUBLE_EQ(n["sipas"][3]["index"].get<double>(), 82.66);
  EXPECT_DOUBLE_EQ(n["elements_2023"]["feedback"].get<double>(), 82.27);
  EXPECT_DOUBLE_EQ(n["admin_services_2024"].get<double>(), 84.09);
  EXPECT_DOUBLE_EQ(n["target_2030"].get<double>(), 95.0);
}

TEST_F(ScoresTest, Mau01PointsPerUnitAndOfficer) {
  json s = scores(kUnit, "2026-09-01", "2026-09-30");
  ASSERT_EQ(s["points"].size(), 1u);
  const json& p = s["points"][0];
  EXPECT_EQ(p["responses"], 2);
  EXPECT_NEAR(p["mean_total"].get<double>(), 12.5, 1e-9);
  std::map<std::string, std::int64_t> grades;
  for (const auto& g : p["grades"]) grades[g["id"]] = g["count"];
  EXPECT_EQ(grades["xuat_sac"], 1);
  EXPECT_EQ(grades["kha"], 1);
  EXPECT_EQ(grades["tot"], 0);
  std::map<std::string, double> officers;
  for (const auto& o : p["officers"]) officers[o["officer"]] = o["mean_total"];
  EXPECT_DOUBLE_EQ(officers["A"], 16.0);
  EXPECT_DOUBLE_EQ(officers["B"], 9.0);
  EXPECT_NEAR(p["indicators"][7]["mean"].get<double>(), 1.0, 1e-9);
}

TEST_F(ScoresTest, RollupsEqualRawForEveryGrouping) {
  for (Grouping g : {Grouping::none, Grouping::unit, Grouping::counter, Grouping::officer,
                     Grouping::day, Grouping::survey, Grouping::criterion, Grouping::element,
                     Grouping::procedure}) {
    for (auto [from, to] : {std::pair{"2026-09-30", "2026-10-01"}, std::pair{"2026-07-01", "2026-12-31"},
                            std::pair{"2026-09-15", "2026-11-02"}}) {
      for (std::optional<std::string> procedure :
           {std::optional<std::string>(), std::optional<std::string>("1.001193")}) {
        json a = scores("22", from, to, g, ScoreSource::rollups, procedure);
        json b = scores("22", from, to, g, ScoreSource::raw, procedure);
        a.erase("source");
        b.erase("source");
        EXPECT_EQ(a, b) << to_string(g) << " " << from << ".." << to << " "
                        << procedure.value_or("-");
      }
    }
  }
}

// A counter moved to another department (a reorganisation): the sums below both units follow
// it, and every unit's scores still equal those computed from the raw rows.
TEST_F(ScoresTest, AUnitMovedToAnotherParentTakesItsResponsesAlong) {
  EXPECT_EQ(scores(kUnit, "2026-07-01", "2026-12-31")["responses"], 5);
  EXPECT_EQ(scores(kOtherUnit, "2026-07-01", "2026-12-31")["responses"], 1);
  ASSERT_TRUE(svc_->store().import_units({{kSubUnit, "Quầy 1", std::string(kOtherUnit)}}).is_ok());
  EXPECT_EQ(scores(kUnit, "2026-07-01", "2026-12-31")["responses"], 4);
  EXPECT_EQ(scores(kOtherUnit, "2026-07-01", "2026-12-31")["responses"], 2);
  for (const char* unit : {"22", kUnit, kOtherUnit}) {
    for (Grouping g : {Grouping::none, Grouping::unit, Grouping::day}) {
      for (auto [from, to] : {std::pair{"2026-07-01", "2026-12-31"}, std::pair{"2026-09-15", "2026-11-02"}}) {
        json a = scores(unit, from, to, g, ScoreSource::rollups);
        json b = scores(unit, from, to, g, ScoreSource::raw);
        a.erase("source");
        b.erase("source");
        EXPECT_EQ(a, b) << unit << " " << to_string(g) << " " << from << ".." << to;
      }
    }
  }
}

// 1.001193: R1 and R2. Access: waiting 5 and 1, 50. Officer: polite 4 and 5 (100), guidance 2
// (0), 50. Result: on time 3, 0. Index (50 + 50 + 0) / 3.
// 2.002154: R3. Access 100, procedures 100, officer 0: 200 / 3.
// None: R4 (access 0, officer 0) and the two Mẫu 01 responses, which have no likert answers.
TEST_F(ScoresTest, GroupByProcedureMatchesHandComputedFigures) {
  json s = scores("22", "2026-07-01", "2026-12-31", Grouping::procedure);
  EXPECT_EQ(s["group"], "procedure");
  ASSERT_EQ(s["groups"].size(), 3u);
  const json& birth = group(s, "1.001193");
  EXPECT_EQ(birth["name"], "Đăng ký khai sinh");
  EXPECT_EQ(birth["responses"], 2);
  EXPECT_EQ(birth["complete"], 1);
  EXPECT_EQ(birth["partial"], 1);
  EXPECT_NEAR(index_of(birth), 100.0 / 3, 1e-9);
  EXPECT_NEAR(element(birth, "access")["index"].get<double>(), 50.0, 1e-9);
  EXPECT_NEAR(element(birth, "officer")["index"].get<double>(), 50.0, 1e-9);
  EXPECT_NEAR(element(birth, "result")["index"].get<double>(), 0.0, 1e-9);
  const json& unnamed = group(s, "2.002154");
  EXPECT_TRUE(unnamed["name"].is_null());
  EXPECT_EQ(unnamed["responses"], 1);
  EXPECT_NEAR(index_of(unnamed), 200.0 / 3, 1e-9);
  const json& none = group(s, nullptr);
  EXPECT_TRUE(none.is_object());
  EXPECT_TRUE(none["name"].is_null());
  EXPECT_EQ(none["responses"], 3);
  EXPECT_NEAR(index_of(none), 0.0, 1e-9);
}

TEST_F(ScoresTest, ProcedureNamesFollowTheLanguageWithVietnameseFallback) {
  ASSERT_TRUE(store_->import_procedures({{"2.002154", {{"vi", "Cấp giấy phép xây dựng"}}}}).is_ok());
  json en = scores("22", "2026-07-01", "2026-12-31", Grouping::procedure, ScoreSource::rollups,
                   std::nullopt, "en");
  EXPECT_EQ(group(en, "1.001193")["name"], "Birth registration");
  EXPECT_EQ(group(en, "2.002154")["name"], "Cấp giấy phép xây dựng");
}

TEST_F(ScoresTest, ProcedureFilterCountsOnlyThatProcedure) {
  json s = scores("22", "2026-07-01", "2026-12-31", Grouping::none, ScoreSource::rollups,
                  "1.001193");
  EXPECT_EQ(s["procedure"], "1.001193");
  EXPECT_EQ(s["procedure_name"], "Đăng ký khai sinh");
  EXPECT_EQ(s["responses"], 2);
  EXPECT_NEAR(index_of(s), 100.0 / 3, 1e-9);
  json by_counter = scores(kUnit, "2026-07-01", "2026-12-31", Grouping::counter,
                           ScoreSource::rollups, "1.001193");
  ASSERT_EQ(by_counter["groups"].size(), 2u);
  EXPECT_EQ(group(by_counter, "Q1")["responses"], 1);
  EXPECT_NEAR(index_of(group(by_counter, "Q1")), (100.0 + 50.0) / 2, 1e-9);
  EXPECT_EQ(group(by_counter, "Q2")["responses"], 1);
  json other = scores(kOtherUnit, "2026-07-01", "2026-12-31", Grouping::none,
                      ScoreSource::rollups, "1.001193");
  EXPECT_EQ(other["responses"], 0);
  EXPECT_TRUE(other["index"].is_null());
}

TEST_F(ScoresTest, ApiGroupsAndFiltersByProcedure) {
  auto g = get_as("province", "pw-province",
                  "/api/v1/scores?unit=22&from=2026-07-01&to=2026-12-31&group=procedure&lang=en");
  ASSERT_TRUE(g);
  ASSERT_EQ(g->status, 200) << g->body;
  json gj = json::parse(g->body);
  EXPECT_EQ(group(gj, "1.001193")["name"], "Birth registration");
  EXPECT_EQ(group(gj, nullptr)["responses"], 3);
  auto f = get_as("pvhcc", "pw-pvhcc",
                  "/api/v1/scores?unit=22.PVHCC&from=2026-07-01&to=2026-12-31&procedure=2.002154");
  ASSERT_TRUE(f);
  ASSERT_EQ(f->status, 200) << f->body;
  json fj = json::parse(f->body);
  EXPECT_EQ(fj["responses"], 1);
  EXPECT_NEAR(index_of(fj), 200.0 / 3, 1e-9);
}

TEST_F(ScoresTest, RebuildGivesTheSameRollupsTwice) {
  json before = scores("22", "2026-01-01", "2026-12-31", Grouping::day);
  ASSERT_TRUE(svc_->rebuild().is_ok());
  json after = scores("22", "2026-01-01", "2026-12-31", Grouping::day);
  EXPECT_EQ(before, after);
}

TEST_F(ScoresTest, RollupRebuildCommandRecomputesFromRawRows) {
  db_.exec("DELETE FROM rollup_month; DELETE FROM rollup_day; DELETE FROM rollup_below_month; "
           "DELETE FROM rollup_below_day;");
  EXPECT_EQ(scores("22", "2026-07-01", "2026-09-30")["responses"], 0);
  std::ostringstream out, err;
  auto code = run_dashboard_command({"rollup", "rebuild", "--db", db_path_}, out, err);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << err.str();
  EXPECT_EQ(scores("22", "2026-07-01", "2026-09-30")["responses"], 5);
}

// The dashboard and the reports read the typed result; the API writes its JSON. Both must say
// the same thing.
TEST_F(ScoresTest, TypedResultHoldsTheFiguresItsJsonShows) {
  ScoreQuery q;
  q.unit = "22";
  q.range = DateRange{*parse_date("2026-07-01"), *parse_date("2026-09-30")};
  auto r = svc_->scores(q);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  json j = to_json(*r);
  EXPECT_EQ(r->overall.responses, 5);
  EXPECT_EQ(j["responses"], 5);
  ASSERT_TRUE(r->overall.index);
  EXPECT_DOUBLE_EQ(*r->overall.index, j["index"].get<double>());
  ASSERT_TRUE(r->extras);
  ASSERT_EQ(r->extras->children.size(), 2u);
  EXPECT_EQ(r->extras->children[0].unit, kUnit);
  EXPECT_EQ(r->extras->children[0].rank, 1);
  EXPECT_EQ(r->extras->fix_first[0].id, "officer.guidance");
  EXPECT_EQ(r->extras->previous.range.to, *parse_date("2026-06-30"));
  EXPECT_EQ(j["previous"]["to"], "2026-06-30");
  ASSERT_EQ(r->extras->points.size(), 1u);
  EXPECT_EQ(r->extras->points[0].survey, "mau01");
  EXPECT_EQ(j["points"][0]["responses"], r->extras->points[0].score.responses);
}

TEST_F(ScoresTest, WithoutExtrasTheJsonHasNoExtraKeys) {
  ScoreQuery q;
  q.unit = "22";
  q.range = DateRange{*parse_date("2026-07-01"), *parse_date("2026-09-30")};
  q.extras = false;
  auto r = svc_->scores(q);
  ASSERT_TRUE(r.is_ok());
  EXPECT_FALSE(r->extras);
  json j = to_json(*r);
  for (const char* key : {"previous", "change", "children", "fix_first", "top_reasons", "points",
                          "national", "groups"}) {
    EXPECT_FALSE(j.contains(key)) << key;
  }
}

TEST_F(ScoresTest, GroupsHaveANameOnlyWhereTheGroupingNamesThem) {
  json counters = scores(kUnit, "2026-07-01", "2026-09-30", Grouping::counter);
  ASSERT_FALSE(counters["groups"].empty());
  for (const auto& g : counters["groups"]) EXPECT_FALSE(g.contains("name")) << g.dump();
  json units = scores("22", "2026-07-01", "2026-09-30", Grouping::unit);
  for (const auto& g : units["groups"]) EXPECT_TRUE(g["name"].is_string()) << g.dump();
  json criteria = scores("22", "2026-07-01", "2026-09-30", Grouping::criterion);
  EXPECT_EQ(group(criteria, "officer.polite")["element"], "officer");
  EXPECT_EQ(group(criteria, "officer.polite")["responses"], criteria["responses"]);
}

TEST_F(ScoresTest, UnknownUnitIsInvalid) {
  ScoreQuery q;
  q.unit = "nope";
  q.range = DateRange{*parse_date("2026-01-01"), *parse_date("2026-01-31")};
  EXPECT_EQ(svc_->scores(q).status().code(), ErrorCode::invalid_argument);
}

TEST_F(ScoresTest, ApiAnswersSpecShapeWithPeriodParameters) {
  auto r = get_as("province", "pw-province", "/api/v1/scores?unit=22&period=quarter&date=2026-09-30");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  for (const char* k : {"unit", "from", "to", "responses", "complete", "partial", "index", "elements"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_EQ(j["from"], "2026-07-01");
  EXPECT_EQ(j["to"], "2026-09-30");
  EXPECT_EQ(j["responses"], 5);
  for (const char* k : {"id", "text", "index", "mean", "n", "counts"}) {
    EXPECT_TRUE(j["elements"][0]["criteria"][0].contains(k)) << k;
  }
  auto g = get_as("province", "pw-province",
                  "/api/v1/scores?unit=22&from=2026-09-30&to=2026-10-01&group=day&lang=en");
  ASSERT_TRUE(g);
  ASSERT_EQ(g->status, 200) << g->body;
  json gj = json::parse(g->body);
  EXPECT_EQ(gj["groups"].size(), 2u);
  EXPECT_EQ(gj["elements"][0]["name"], "Access to the service");
}

TEST_F(ScoresTest, ApiRejectsBadParameters) {
  auto a = get_as("province", "pw-province", "/api/v1/scores?unit=22&from=2026-10-01&to=2026-09-01");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 400);
  auto b = get_as("province", "pw-province", "/api/v1/scores?unit=22&group=colour");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 400);
  auto c = get_as("province", "pw-province", "/api/v1/scores?unit=nope");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, 404);
}

class RollupIngestTest : public DashboardTest {
 protected:
  json both(Grouping g, ScoreSource source) {
    ScoreQuery q;
    q.unit = "22";
    q.range = DateRange{*parse_date("2026-07-01"), *parse_date("2026-12-31")};
    q.group = g;
    q.source = source;
    auto svc = service();
    auto r = svc->scores(q);
    EXPECT_TRUE(r.is_ok()) << r.status().message();
    json j = r.is_ok() ? to_json(*r) : json();
    j.erase("source");
    return j;
  }
};

TEST_F(RollupIngestTest, IngestKeepsRollupsEqualToRawRows) {
  post_fixture();
  for (Grouping g : {Grouping::none, Grouping::unit, Grouping::counter, Grouping::officer,
                     Grouping::day, Grouping::procedure}) {
    json a = both(g, ScoreSource::rollups);
    EXPECT_EQ(a["responses"], 6) << to_string(g);
    EXPECT_EQ(a, both(g, ScoreSource::raw)) << to_string(g);
  }
}

TEST_F(RollupIngestTest, ResentBatchIsNotCountedTwice) {
  std::vector<Response> rs = {likert(kUnit, "Q1", "A", "2026-09-30T16:59:00Z",
                                     ResponseStatus::complete, {{"officer.polite", 4}})};
  rs[0].seq = 1;
  rs[0].prev_hash = kGenesisHash;
  rs[0].hash = compute_hash(rs[0]);
  for (int i = 0; i < 2; ++i) {
    auto res = post(make_body("k1", rs), token1_);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200);
  }
  EXPECT_EQ(both(Grouping::none, ScoreSource::rollups)["responses"], 1);
}

}  // namespace
}  // namespace sipas::test
