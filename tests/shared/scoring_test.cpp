#include "sipas/scoring.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "sipas/response.hpp"

namespace sipas {
namespace {

using nlohmann::json;

LocalizedText text(std::string vi, std::string en = "") {
  LocalizedText t;
  t.by_language["vi"] = std::move(vi);
  if (!en.empty()) t.by_language["en"] = std::move(en);
  return t;
}

Criterion criterion(std::string id, std::string vi = "") {
  return {std::move(id), text(vi.empty() ? "?" : std::move(vi)), {}};
}

std::vector<Option> likert_options() {
  std::vector<Option> o;
  for (int v = 1; v <= 5; ++v) o.push_back({v, text(std::to_string(v))});
  return o;
}

Survey counter_survey() {
  Survey s;
  s.id = "sipas-counter";
  s.options = likert_options();
  s.allow_not_applicable = true;
  s.elements = {
      {"access", text("Tiếp cận dịch vụ", "Access"), true,
       {criterion("access.signage", "Biển chỉ dẫn"), criterion("access.clean")}},
      {"procedures", text("Thủ tục hành chính"), true, {criterion("procedures.public")}},
      {"officer", text("Công chức"), true,
       {criterion("officer.polite"), criterion("officer.guidance")}},
      {"result", text("Kết quả"), true, {criterion("result.on_time")}},
      {"feedback", text("Góp ý, phản ánh"), true, {criterion("feedback.channels")}},
      {"general", text("Hài lòng chung"), false, {criterion("general.overall")}},
  };
  return s;
}

// What the store's aggregation does for one response, so that examples read as responses.
void add(Tally* t, ResponseStatus status, const std::vector<Answer>& answers) {
  (status == ResponseStatus::complete ? t->complete : t->partial) += 1;
  for (const Answer& a : answers) {
    if (a.value) t->answers[a.criterion][*a.value] += 1;
  }
}

void add_points(Tally* t, const std::vector<std::optional<int>>& points) {
  t->complete += 1;
  int total = 0;
  bool any = false;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (!points[i]) continue;
    t->answers["m01." + std::to_string(i + 1)][*points[i]] += 1;
    total += *points[i];
    any = true;
  }
  if (any) t->totals[total] += 1;
}

const ElementScore& element(const SurveyScore& s, const std::string& id) {
  for (const ElementScore& e : s.elements) {
    if (e.id == id) return e;
  }
  ADD_FAILURE() << "no element " << id;
  return s.elements.front();
}

const CriterionScore& crit(const SurveyScore& s, const std::string& id) {
  for (const ElementScore& e : s.elements) {
    for (const CriterionScore& c : e.criteria) {
      if (c.id == id) return c;
    }
  }
  ADD_FAILURE() << "no criterion " << id;
  return s.elements.front().criteria.front();
}

std::map<int, std::int64_t> likert_counts(std::int64_t c1, std::int64_t c2, std::int64_t c3,
                                          std::int64_t c4, std::int64_t c5) {
  return {{1, c1}, {2, c2}, {3, c3}, {4, c4}, {5, c5}};
}

TEST(Scoring, LikertIndexCountsFourAndFiveOverValidAnswers) {
  // 6 of 10 answers are 4 or 5.
  EXPECT_DOUBLE_EQ(*likert_index(likert_counts(1, 1, 2, 3, 3)), 60.0);
  EXPECT_DOUBLE_EQ(*likert_index({{4, 1}}), 100.0);
  EXPECT_DOUBLE_EQ(*likert_index({{3, 7}}), 0.0);
  EXPECT_FALSE(likert_index({}).has_value());
  EXPECT_FALSE(likert_index(likert_counts(0, 0, 0, 0, 0)).has_value());
}

TEST(Scoring, LikertIndexIgnoresValuesOffTheScale) {
  // 0 and 9 are not answers on the 1–5 scale: 1 of 2 valid answers is satisfied.
  EXPECT_DOUBLE_EQ(*likert_index({{0, 3}, {2, 1}, {5, 1}, {9, 4}}), 50.0);
  EXPECT_FALSE(likert_index({{0, 3}, {6, 1}}).has_value());
}

TEST(Scoring, EmptyTallyHasNullIndicesAndZeroCounts) {
  SurveyScore s = score_likert(counter_survey(), Tally{});
  EXPECT_EQ(s.responses, 0);
  EXPECT_FALSE(s.index.has_value());
  ASSERT_EQ(s.elements.size(), 6u);
  for (const ElementScore& e : s.elements) {
    EXPECT_FALSE(e.index.has_value()) << e.id;
    for (const CriterionScore& c : e.criteria) {
      EXPECT_EQ(c.n, 0) << c.id;
      EXPECT_FALSE(c.index.has_value()) << c.id;
      EXPECT_FALSE(c.mean.has_value()) << c.id;
      EXPECT_EQ(c.counts, likert_counts(0, 0, 0, 0, 0)) << c.id;
    }
  }
  json j = to_json(s, "vi");
  EXPECT_TRUE(j["index"].is_null());
  EXPECT_TRUE(j["elements"][0]["index"].is_null());
  EXPECT_TRUE(j["elements"][0]["criteria"][0]["index"].is_null());
  EXPECT_TRUE(j["elements"][0]["criteria"][0]["mean"].is_null());
}

TEST(Scoring, CriterionIndexMeanAndCounts) {
  Tally t;
  t.answers["access.signage"] = likert_counts(1, 1, 2, 3, 3);
  t.complete = 10;
  SurveyScore s = score_likert(counter_survey(), t);
  const CriterionScore& c = crit(s, "access.signage");
  EXPECT_EQ(c.n, 10);
  EXPECT_DOUBLE_EQ(*c.index, 60.0);
  // (1 + 2 + 3*2 + 4*3 + 5*3) / 10 = 36 / 10
  EXPECT_DOUBLE_EQ(*c.mean, 3.6);
  EXPECT_EQ(c.counts, likert_counts(1, 1, 2, 3, 3));
}

TEST(Scoring, SkippedAnswersAreNotCounted) {
  // Four responses; one skipped officer.polite (no Answer at all).
  Tally t;
  add(&t, ResponseStatus::complete, {{"officer.polite", 5}});
  add(&t, ResponseStatus::complete, {{"officer.polite", 5}});
  add(&t, ResponseStatus::complete, {{"officer.polite", 2}});
  add(&t, ResponseStatus::complete, {{"officer.guidance", 4}});
  SurveyScore s = score_likert(counter_survey(), t);
  EXPECT_EQ(s.responses, 4);
  EXPECT_EQ(crit(s, "officer.polite").n, 3);
  EXPECT_DOUBLE_EQ(*crit(s, "officer.polite").index, 200.0 / 3.0);
  EXPECT_DOUBLE_EQ(*crit(s, "officer.polite").mean, 4.0);
}

TEST(Scoring, NotApplicableAnswersAreNotCounted) {
  Tally t;
  add(&t, ResponseStatus::complete, {{"result.on_time", std::nullopt}});
  add(&t, ResponseStatus::complete, {{"result.on_time", std::nullopt}});
  add(&t, ResponseStatus::complete, {{"result.on_time", 4}});
  add(&t, ResponseStatus::complete, {{"result.on_time", 1}});
  SurveyScore s = score_likert(counter_survey(), t);
  EXPECT_EQ(crit(s, "result.on_time").n, 2);
  EXPECT_DOUBLE_EQ(*crit(s, "result.on_time").index, 50.0);
  EXPECT_DOUBLE_EQ(*crit(s, "result.on_time").mean, 2.5);
}

TEST(Scoring, ValuesOffTheScaleInATallyAreNotCounted) {
  Tally t;
  t.answers["access.clean"] = {{0, 4}, {4, 1}, {2, 1}, {7, 2}};
  SurveyScore s = score_likert(counter_survey(), t);
  const CriterionScore& c = crit(s, "access.clean");
  EXPECT_EQ(c.n, 2);
  EXPECT_DOUBLE_EQ(*c.index, 50.0);
  EXPECT_EQ(c.counts, likert_counts(0, 1, 0, 1, 0));
}

TEST(Scoring, PartialResponsesCountAndAreReportedApart) {
  Tally t;
  add(&t, ResponseStatus::complete, {{"access.signage", 5}, {"officer.polite", 4}});
  add(&t, ResponseStatus::complete, {{"access.signage", 3}, {"officer.polite", 4}});
  // Walked away after the first question.
  add(&t, ResponseStatus::partial, {{"access.signage", 4}});
  SurveyScore s = score_likert(counter_survey(), t);
  EXPECT_EQ(s.responses, 3);
  EXPECT_EQ(s.complete, 2);
  EXPECT_EQ(s.partial, 1);
  EXPECT_EQ(crit(s, "access.signage").n, 3);
  EXPECT_DOUBLE_EQ(*crit(s, "access.signage").index, 200.0 / 3.0);
  json j = to_json(s, "vi");
  EXPECT_EQ(j["responses"], 3);
  EXPECT_EQ(j["complete"], 2);
  EXPECT_EQ(j["partial"], 1);
}

// The hand-computed example of the element and overall rules:
//   access:     signage 5,4,2,5 -> 75;  clean 3,4 -> 50;  element (75+50)/2 = 62.5
//   procedures: public 5,5,1 -> 66.67;                   element 66.67
//   officer:    polite 4,4,4,1 -> 75;   guidance 2,3 -> 0; element 37.5
//   result:     on_time 5 -> 100;                         element 100
//   feedback:   nothing answered                          element null, left out
//   general:    overall 1,1 -> 0, in_index = false        reported, left out
//   overall = (62.5 + 66.67 + 37.5 + 100) / 4 = 200/3
Tally worked_example() {
  Tally t;
  add(&t, ResponseStatus::complete,
      {{"access.signage", 5}, {"access.clean", 3}, {"procedures.public", 5},
       {"officer.polite", 4}, {"officer.guidance", 2}, {"result.on_time", 5},
       {"feedback.channels", std::nullopt}, {"general.overall", 1}});
  add(&t, ResponseStatus::complete,
      {{"access.signage", 4}, {"access.clean", 4}, {"procedures.public", 5},
       {"officer.polite", 4}, {"officer.guidance", 3}, {"general.overall", 1}});
  add(&t, ResponseStatus::complete,
      {{"access.signage", 2}, {"procedures.public", 1}, {"officer.polite", 4}});
  add(&t, ResponseStatus::partial, {{"access.signage", 5}, {"officer.polite", 1}});
  return t;
}

TEST(Scoring, ElementIndexIsTheMeanOfItsAnsweredCriteria) {
  SurveyScore s = score_likert(counter_survey(), worked_example());
  EXPECT_DOUBLE_EQ(*crit(s, "access.signage").index, 75.0);
  EXPECT_DOUBLE_EQ(*crit(s, "access.clean").index, 50.0);
  EXPECT_DOUBLE_EQ(*element(s, "access").index, 62.5);
  EXPECT_DOUBLE_EQ(*element(s, "procedures").index, 200.0 / 3.0);
  EXPECT_DOUBLE_EQ(*element(s, "officer").index, 37.5);
  EXPECT_DOUBLE_EQ(*element(s, "result").index, 100.0);
}

TEST(Scoring, CriterionWithoutAnswersIsLeftOutOfItsElement) {
  Tally t;
  add(&t, ResponseStatus::complete, {{"access.signage", 5}});
  SurveyScore s = score_likert(counter_survey(), t);
  EXPECT_FALSE(crit(s, "access.clean").index.has_value());
  EXPECT_DOUBLE_EQ(*element(s, "access").index, 100.0);
}

TEST(Scoring, ElementWithNoAnswersIsLeftOutOfTheOverallIndex) {
  SurveyScore s = score_likert(counter_survey(), worked_example());
  EXPECT_FALSE(element(s, "feedback").index.has_value());
  EXPECT_DOUBLE_EQ(*s.index, 200.0 / 3.0);
}

TEST(Scoring, ElementOutsideTheIndexIsReportedButExcluded) {
  SurveyScore s = score_likert(counter_survey(), worked_example());
  const ElementScore& general = element(s, "general");
  EXPECT_FALSE(general.in_index);
  EXPECT_DOUBLE_EQ(*general.index, 0.0);
  EXPECT_EQ(crit(s, "general.overall").n, 2);
  // Were it included, the overall index would be (800/3 + 0) / 5 = 53.33.
  EXPECT_DOUBLE_EQ(*s.index, 200.0 / 3.0);
}

TEST(Scoring, TallyMergeAddsEveryCount) {
  Tally a;
  add(&a, ResponseStatus::complete, {{"access.signage", 5}, {"officer.polite", 2}});
  a.reasons["long_wait"] = 1;
  a.totals[12] = 1;
  Tally b;
  add(&b, ResponseStatus::partial, {{"access.signage", 5}, {"access.clean", 3}});
  b.reasons["long_wait"] = 2;
  b.reasons["fees"] = 1;
  b.totals[12] = 2;
  b.totals[3] = 1;

  Tally merged = a;
  merged.merge(b);
  EXPECT_EQ(merged.complete, 1);
  EXPECT_EQ(merged.partial, 1);
  EXPECT_EQ(merged.responses(), 2);
  EXPECT_EQ(merged.answers["access.signage"][5], 2);
  EXPECT_EQ(merged.answers["access.clean"][3], 1);
  EXPECT_EQ(merged.answers["officer.polite"][2], 1);
  EXPECT_EQ(merged.reasons, (std::map<std::string, std::int64_t>{{"fees", 1}, {"long_wait", 3}}));
  EXPECT_EQ(merged.totals, (std::map<int, std::int64_t>{{3, 1}, {12, 3}}));

  Tally empty;
  empty.merge(Tally{});
  EXPECT_EQ(empty, Tally{});
}

TEST(Scoring, DailyTalliesMergedScoreLikeOneTally) {
  Tally day1;
  add(&day1, ResponseStatus::complete, {{"access.signage", 5}, {"officer.polite", 1}});
  Tally day2;
  add(&day2, ResponseStatus::complete, {{"access.signage", 3}, {"officer.polite", 4}});
  Tally both;
  add(&both, ResponseStatus::complete, {{"access.signage", 5}, {"officer.polite", 1}});
  add(&both, ResponseStatus::complete, {{"access.signage", 3}, {"officer.polite", 4}});
  Tally merged = day1;
  merged.merge(day2);
  EXPECT_EQ(merged, both);
  EXPECT_DOUBLE_EQ(*score_likert(counter_survey(), merged).index, 50.0);
}

TEST(Scoring, MergedSurveysShareElementsAndCriteria) {
  Survey counter;
  counter.id = "sipas-counter";
  counter.elements = {{"access", text("Tiếp cận"), true, {criterion("access.signage", "Ngắn")}},
                      {"officer", text("Công chức"), true, {criterion("officer.polite")}}};
  Survey full;
  full.id = "sipas-full";
  full.elements = {
      {"access", text("Tiếp cận (đầy đủ)"), true,
       {criterion("access.signage", "Dài"), criterion("access.equipment")}},
      {"procedures", text("Thủ tục"), true, {criterion("procedures.fees")}},
      {"officer", text("Công chức"), true, {criterion("officer.polite")}},
  };
  std::vector<Element> merged = merge_elements({&counter, &full});
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(merged[0].id, "access");
  EXPECT_EQ(merged[0].name.get("vi"), "Tiếp cận");
  ASSERT_EQ(merged[0].criteria.size(), 2u);
  EXPECT_EQ(merged[0].criteria[0].id, "access.signage");
  EXPECT_EQ(merged[0].criteria[0].text.get("vi"), "Ngắn");
  EXPECT_EQ(merged[0].criteria[1].id, "access.equipment");
  EXPECT_EQ(merged[1].id, "officer");
  ASSERT_EQ(merged[1].criteria.size(), 1u);
  EXPECT_EQ(merged[2].id, "procedures");

  // Answers to access.signage from both questionnaires count together.
  Tally t;
  add(&t, ResponseStatus::complete, {{"access.signage", 5}, {"officer.polite", 4}});
  add(&t, ResponseStatus::complete,
      {{"access.signage", 2}, {"access.equipment", 4}, {"procedures.fees", 1},
       {"officer.polite", 5}});
  SurveyScore s = score_likert(merged, likert_options(), t);
  EXPECT_EQ(crit(s, "access.signage").n, 2);
  EXPECT_DOUBLE_EQ(*element(s, "access").index, 75.0);      // (50 + 100) / 2
  EXPECT_DOUBLE_EQ(*element(s, "procedures").index, 0.0);
  EXPECT_DOUBLE_EQ(*element(s, "officer").index, 100.0);
  EXPECT_DOUBLE_EQ(*s.index, 175.0 / 3.0);                  // (75 + 0 + 100) / 3
}

Survey mau01() {
  Survey s;
  s.id = "mau-01";
  s.scale = ScaleKind::points;
  s.options = {{0, text("0 điểm")}, {1, text("1 điểm")}, {2, text("2 điểm")}};
  Element e{"dossier", text("Đánh giá hồ sơ"), true, {}};
  for (int i = 1; i <= 9; ++i) e.criteria.push_back(criterion("m01." + std::to_string(i)));
  s.elements = {e};
  s.grades = {{"excellent", 15, text("Xuất sắc", "Excellent")},
              {"good", 12, text("Tốt")},
              {"fair", 9, text("Khá")},
              {"average", 6, text("Trung bình")},
              {"weak", 0, text("Yếu")}};
  return s;
}

// Nine dossiers with totals 18, 15, 14, 9, 8, 0, 12, 6, 5 (the last with one indicator not
// applicable): mean total 87 / 9; grades 2 excellent (18, 15), 2 good (14, 12), 1 fair (9),
// 2 average (8, 6), 2 weak (0, 5).
Tally points_example() {
  Tally t;
  const std::optional<int> na;
  add_points(&t, {2, 2, 2, 2, 2, 2, 2, 2, 2});
  add_points(&t, {2, 2, 2, 2, 2, 2, 1, 1, 1});
  add_points(&t, {2, 2, 2, 2, 1, 1, 1, 1, 2});
  add_points(&t, {1, 1, 1, 1, 1, 1, 1, 1, 1});
  add_points(&t, {1, 1, 1, 1, 1, 1, 1, 1, 0});
  add_points(&t, {0, 0, 0, 0, 0, 0, 0, 0, 0});
  add_points(&t, {2, 2, 2, 1, 1, 1, 1, 1, 1});
  add_points(&t, {1, 1, 1, 1, 1, 1, 0, 0, 0});
  add_points(&t, {1, 1, 1, 1, 1, 0, 0, 0, na});
  return t;
}

TEST(Scoring, PointsScaleMeanPerIndicator) {
  PointsScore s = score_points(mau01(), points_example());
  ASSERT_EQ(s.indicators.size(), 9u);
  // m01.1: 2,2,2,1,1,0,2,1,1 = 12 points over 9 answers.
  EXPECT_EQ(s.indicators[0].id, "m01.1");
  EXPECT_EQ(s.indicators[0].n, 9);
  EXPECT_DOUBLE_EQ(*s.indicators[0].mean, 12.0 / 9.0);
  EXPECT_EQ(s.indicators[0].counts, (std::map<int, std::int64_t>{{0, 1}, {1, 4}, {2, 4}}));
  EXPECT_FALSE(s.indicators[0].index.has_value());
  // m01.9: 2,1,2,1,0,0,1,0 and one not applicable = 7 points over 8 answers.
  EXPECT_EQ(s.indicators[8].n, 8);
  EXPECT_DOUBLE_EQ(*s.indicators[8].mean, 7.0 / 8.0);
  EXPECT_EQ(s.indicators[8].counts, (std::map<int, std::int64_t>{{0, 3}, {1, 3}, {2, 2}}));
}

TEST(Scoring, PointsScaleMeanTotal) {
  PointsScore s = score_points(mau01(), points_example());
  EXPECT_EQ(s.responses, 9);
  EXPECT_DOUBLE_EQ(*s.mean_total, 87.0 / 9.0);
}

TEST(Scoring, PointsScaleGradeBandsIncludingBoundaries) {
  PointsScore s = score_points(mau01(), points_example());
  ASSERT_EQ(s.grades.size(), 5u);
  std::vector<std::pair<std::string, std::int64_t>> got;
  for (const GradeCount& g : s.grades) got.emplace_back(g.id, g.count);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::int64_t>>{
                     {"excellent", 2}, {"good", 2}, {"fair", 1}, {"average", 2}, {"weak", 2}}));
  EXPECT_EQ(s.grades[0].name.get("vi"), "Xuất sắc");
}

TEST(Scoring, PointsScaleEmptyHasZeroGradesAndNullMeans) {
  PointsScore s = score_points(mau01(), Tally{});
  EXPECT_EQ(s.responses, 0);
  EXPECT_FALSE(s.mean_total.has_value());
  EXPECT_FALSE(s.indicators[0].mean.has_value());
  EXPECT_EQ(s.indicators[0].counts, (std::map<int, std::int64_t>{{0, 0}, {1, 0}, {2, 0}}));
  ASSERT_EQ(s.grades.size(), 5u);
  for (const GradeCount& g : s.grades) EXPECT_EQ(g.count, 0) << g.id;
  json j = to_json(s, "vi");
  EXPECT_TRUE(j["mean_total"].is_null());
}

TEST(Scoring, LikertJsonHasTheApiShape) {
  SurveyScore s = score_likert(counter_survey(), worked_example());
  json j = to_json(s, "en");
  for (const char* key : {"responses", "complete", "partial", "index", "elements"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_DOUBLE_EQ(j["index"].get<double>(), 200.0 / 3.0);
  ASSERT_EQ(j["elements"].size(), 6u);
  const json& access = j["elements"][0];
  EXPECT_EQ(access["id"], "access");
  EXPECT_EQ(access["name"], "Access");
  EXPECT_EQ(access["index"], 62.5);
  const json& signage = access["criteria"][0];
  for (const char* key : {"id", "text", "index", "mean", "n", "counts"}) {
    EXPECT_TRUE(signage.contains(key)) << key;
  }
  EXPECT_EQ(signage["id"], "access.signage");
  EXPECT_EQ(signage["text"], "Biển chỉ dẫn");  // no English text: Vietnamese
  EXPECT_EQ(signage["index"], 75.0);
  EXPECT_EQ(signage["mean"], 4.0);
  EXPECT_EQ(signage["n"], 4);
  EXPECT_EQ(signage["counts"], json::parse(R"({"1":0,"2":1,"3":0,"4":1,"5":2})"));
  EXPECT_TRUE(j["elements"][4]["index"].is_null());
  EXPECT_TRUE(j["elements"][4]["criteria"][0]["index"].is_null());
  EXPECT_TRUE(j["elements"][4]["criteria"][0]["mean"].is_null());
  EXPECT_EQ(j["elements"][4]["criteria"][0]["n"], 0);
  EXPECT_EQ(j["elements"][5]["in_index"], false);
}

TEST(Scoring, PointsJsonHasIndicatorsAndGrades) {
  json j = to_json(score_points(mau01(), points_example()), "en");
  EXPECT_EQ(j["responses"], 9);
  EXPECT_DOUBLE_EQ(j["mean_total"].get<double>(), 87.0 / 9.0);
  ASSERT_EQ(j["indicators"].size(), 9u);
  EXPECT_EQ(j["indicators"][0]["counts"], json::parse(R"({"0":1,"1":4,"2":4})"));
  EXPECT_EQ(j["indicators"][8]["n"], 8);
  ASSERT_EQ(j["grades"].size(), 5u);
  EXPECT_EQ(j["grades"][0], json::parse(R"({"id":"excellent","name":"Excellent","count":2})"));
  EXPECT_EQ(j["grades"][4]["name"], "Yếu");
}

}  // namespace
}  // namespace sipas
