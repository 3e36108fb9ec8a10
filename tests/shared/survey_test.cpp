#include "sipas/survey.hpp"

#include <gtest/gtest.h>

#include "sipas/response.hpp"

namespace sipas {
namespace {

LocalizedText text(std::string vi, std::string en = "") {
  LocalizedText t;
  t.by_language["vi"] = std::move(vi);
  if (!en.empty()) t.by_language["en"] = std::move(en);
  return t;
}

Survey sample() {
  Survey s;
  s.id = "sipas-counter";
  for (int v = 1; v <= 5; ++v) s.options.push_back({v, text(std::to_string(v))});
  Element access{"access", text("Tiếp cận dịch vụ", "Access"), true, {}};
  access.criteria.push_back({"access.signage", text("Biển chỉ dẫn rõ ràng"), {}});
  access.criteria.push_back({"access.clean", text("Nơi làm việc sạch sẽ"), {}});
  Element officer{"officer", text("Công chức", "Officer"), true, {}};
  officer.criteria.push_back({"officer.polite", text("Lịch sự"), {{0, text("Không")}, {1, text("Có")}}});
  Element general{"general", text("Chung"), false, {}};
  general.criteria.push_back({"general.overall", text("Hài lòng chung"), {}});
  s.elements = {access, officer, general};
  s.reasons = {{"long_wait", text("Chờ lâu")}, {"fees", text("Phí")}};
  return s;
}

TEST(Survey, LocalizedTextFallsBackToVietnameseThenAny) {
  LocalizedText t = text("Xin chào", "Hello");
  EXPECT_EQ(t.get("en"), "Hello");
  EXPECT_EQ(t.get("vi"), "Xin chào");
  EXPECT_EQ(t.get("fr"), "Xin chào");
  LocalizedText only_en;
  only_en.by_language["en"] = "Hello";
  EXPECT_EQ(only_en.get("vi"), "Hello");
  EXPECT_EQ(LocalizedText{}.get("vi"), "");
}

TEST(Survey, EnumNames) {
  EXPECT_STREQ(to_string(ScaleKind::likert5), "likert5");
  EXPECT_STREQ(to_string(ScaleKind::points), "points");
  EXPECT_STREQ(to_string(ResponseStatus::complete), "complete");
  EXPECT_STREQ(to_string(ResponseStatus::partial), "partial");
  EXPECT_EQ(parse_response_status("partial"), ResponseStatus::partial);
  EXPECT_EQ(parse_response_status("complete"), ResponseStatus::complete);
  EXPECT_FALSE(parse_response_status("Complete").has_value());
}

TEST(Survey, FindsCriteriaElementsAndReasons) {
  Survey s = sample();
  ASSERT_NE(s.find_criterion("access.clean"), nullptr);
  EXPECT_EQ(s.find_criterion("access.clean")->text.get("vi"), "Nơi làm việc sạch sẽ");
  EXPECT_EQ(s.find_criterion("nope"), nullptr);
  ASSERT_NE(s.element_of("officer.polite"), nullptr);
  EXPECT_EQ(s.element_of("officer.polite")->id, "officer");
  EXPECT_EQ(s.element_of("nope"), nullptr);
  ASSERT_NE(s.find_reason("fees"), nullptr);
  EXPECT_EQ(s.find_reason("fees")->text.get("vi"), "Phí");
  EXPECT_EQ(s.find_reason("rude"), nullptr);
}

TEST(Survey, QuestionsInElementOrder) {
  Survey s = sample();
  std::vector<const Criterion*> q = s.questions();
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[0]->id, "access.signage");
  EXPECT_EQ(q[1]->id, "access.clean");
  EXPECT_EQ(q[2]->id, "officer.polite");
  EXPECT_EQ(q[3]->id, "general.overall");
}

TEST(Survey, AskingOrderPutsTheFirstQuestionFirst) {
  Survey s = sample();
  auto ids = [](const std::vector<const Criterion*>& q) {
    std::vector<std::string> out;
    for (const Criterion* c : q) out.push_back(c->id);
    return out;
  };
  EXPECT_EQ(ids(s.asking_order()), ids(s.questions()));
  s.first_question = "general.overall";
  EXPECT_EQ(ids(s.asking_order()), (std::vector<std::string>{"general.overall", "access.signage",
                                                              "access.clean", "officer.polite"}));
  EXPECT_EQ(s.questions().front()->id, "access.signage");
}

TEST(Survey, ReasonsFollowTheCriteriaAnsweredLow) {
  Survey s = sample();
  s.reasons = {Reason{"long_wait", text("Chờ lâu"), {"access.signage", "general.overall"}},
               Reason{"rude", text("Thái độ"), {"officer.polite"}},
               Reason{"dirty", text("Bẩn"), {"access.clean"}},
               Reason{"fees", text("Phí"), {}}};
  auto ids = [](const std::vector<const Reason*>& rs) {
    std::vector<std::string> out;
    for (const Reason* r : rs) out.push_back(r->id);
    return out;
  };
  EXPECT_TRUE(s.reasons_for({}).empty());
  EXPECT_EQ(ids(s.reasons_for({"officer.polite"})), (std::vector<std::string>{"rude", "fees"}));
  EXPECT_EQ(ids(s.reasons_for({"access.clean", "general.overall"})),
            (std::vector<std::string>{"long_wait", "dirty", "fees"}));
}

TEST(Survey, CriterionOptionsOverrideTheSurveys) {
  Survey s = sample();
  const Criterion& signage = *s.find_criterion("access.signage");
  const Criterion& polite = *s.find_criterion("officer.polite");
  EXPECT_EQ(s.options_for(signage).size(), 5u);
  EXPECT_EQ(s.options_for(polite).size(), 2u);
  EXPECT_TRUE(s.is_valid_value(signage, 1));
  EXPECT_TRUE(s.is_valid_value(signage, 5));
  EXPECT_FALSE(s.is_valid_value(signage, 0));
  EXPECT_FALSE(s.is_valid_value(signage, 6));
  EXPECT_TRUE(s.is_valid_value(polite, 0));
  EXPECT_FALSE(s.is_valid_value(polite, 2));
}

TEST(Survey, GradeForPicksTheHighestBandReached) {
  Survey s = sample();
  s.scale = ScaleKind::points;
  s.grades = {{"excellent", 15, text("Xuất sắc")}, {"good", 12, text("Tốt")},
              {"fair", 9, text("Khá")},           {"average", 6, text("Trung bình")},
              {"weak", 0, text("Yếu")}};
  EXPECT_EQ(s.grade_for(18)->id, "excellent");
  EXPECT_EQ(s.grade_for(15)->id, "excellent");
  EXPECT_EQ(s.grade_for(14.99)->id, "good");
  EXPECT_EQ(s.grade_for(12)->id, "good");
  EXPECT_EQ(s.grade_for(11)->id, "fair");
  EXPECT_EQ(s.grade_for(9)->id, "fair");
  EXPECT_EQ(s.grade_for(8.5)->id, "average");
  EXPECT_EQ(s.grade_for(6)->id, "average");
  EXPECT_EQ(s.grade_for(5)->id, "weak");
  EXPECT_EQ(s.grade_for(0)->id, "weak");
  EXPECT_EQ(s.grade_for(-1), nullptr);
  Survey none;
  EXPECT_EQ(none.grade_for(10), nullptr);
}

}  // namespace
}  // namespace sipas
