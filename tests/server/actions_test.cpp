// Improvement actions and their measured effect (issue 15): the arithmetic against hand-computed
// values, the windows, the API (effect, access, validation), the CLI, the unit page and its forms,
// and the migration from the previous schema; on SQLite and, registered again, on PostgreSQL.
#include <gtest/gtest.h>

#include <sstream>

#include "dashboard_test_support.hpp"
#include "sipas/server/actions.hpp"
#include "sipas/server/cli.hpp"
#include "sipas/server/migrate.hpp"

namespace sipas::test {
namespace {

using nlohmann::json;

Date day(const char* text) { return *parse_date(text); }

TEST(ActionArithmeticTest, OneCriterionFrom60To80PercentIsTwentyPointsWithAWaldInterval) {
  // p1 = .6, p2 = .8, n = 100 each: se = sqrt(.24/100 + .16/100) = .0632456;
  // 1.959964 * 6.32456 = 12.3959 points.
  EffectEstimate e = estimate_effect({{100, 60, 100, 80}});
  ASSERT_TRUE(e.difference && e.low && e.high);
  EXPECT_NEAR(*e.difference, 20.0, 1e-9);
  EXPECT_NEAR(*e.low, 7.6041, 1e-3);
  EXPECT_NEAR(*e.high, 32.3959, 1e-3);
  EXPECT_EQ(e.verdict, EffectVerdict::improved);
}

TEST(ActionArithmeticTest, AnElementAveragesItsCriteriaAndSumsTheirVariancesOverKSquared) {
  // Before (.6 + .5) / 2 = .55, after (.8 + .5) / 2 = .65. Variances: before (.0024 + .005) / 4
  // = .00185, after (.0016 + .005) / 4 = .00165; se = sqrt(.0035) = .0591608; half width
  // 1.959964 * 5.91608 = 11.5953.
  EffectEstimate e = estimate_effect({{100, 60, 100, 80}, {50, 25, 50, 25}});
  ASSERT_TRUE(e.difference && e.low && e.high);
  EXPECT_NEAR(*e.difference, 10.0, 1e-9);
  EXPECT_NEAR(*e.low, -1.5953, 1e-3);
  EXPECT_NEAR(*e.high, 21.5953, 1e-3);
  EXPECT_EQ(e.verdict, EffectVerdict::no_clear_change);
}

TEST(ActionArithmeticTest, AFallIsWorsenedAndAnEmptyWindowIsTooLittleData) {
  EXPECT_EQ(estimate_effect({{100, 80, 100, 50}}).verdict, EffectVerdict::worsened);
  EffectEstimate none = estimate_effect({{0, 0, 40, 30}});
  EXPECT_EQ(none.verdict, EffectVerdict::too_little_data);
  EXPECT_FALSE(none.difference);
}

TEST(ActionArithmeticTest, WindowsAreEqualAndEndYesterday) {
  EffectWindows w = effect_windows(day("2026-10-01"), day("2026-11-29"), 56);
  EXPECT_EQ(w.days, 56);
  EXPECT_EQ(w.before, (DateRange{day("2026-08-06"), day("2026-09-30")}));
  EXPECT_EQ(w.after, (DateRange{day("2026-10-01"), day("2026-11-25")}));
  // Ten days old: ten days on each side, today left out.
  EffectWindows young = effect_windows(day("2026-11-19"), day("2026-11-29"), 56);
  EXPECT_EQ(young.days, 10);
  EXPECT_EQ(young.before, (DateRange{day("2026-11-09"), day("2026-11-18")}));
  EXPECT_EQ(young.after, (DateRange{day("2026-11-19"), day("2026-11-28")}));
  EXPECT_EQ(effect_windows(day("2026-11-29"), day("2026-11-29"), 56).days, 0);
}

TEST(ActionArithmeticTest, TheSentenceSaysTheChangeInVietnameseAndEnglish) {
  ActionEffect e;
  e.days_measured = 56;
  e.difference = 20;
  e.low = 7.6041;
  e.high = 32.3959;
  e.verdict = EffectVerdict::improved;
  EXPECT_EQ(effect_sentence(e, "vi"),
            "Tăng 20,0 điểm (khoảng tin cậy 95 %: từ 7,6 đến 32,4), lớn hơn mức ngẫu nhiên.");
  EXPECT_EQ(effect_sentence(e, "en"),
            "Up 20.0 points (95 % confidence interval: 7.6 to 32.4), larger than chance.");
  e.difference = 0.5;
  e.low = -13.1;
  e.high = 14.1;
  e.verdict = EffectVerdict::no_clear_change;
  EXPECT_EQ(effect_sentence(e, "vi"),
            "Thay đổi +0,5 điểm (khoảng tin cậy 95 %: từ -13,1 đến 14,1), chưa rõ khác biệt so "
            "với mức ngẫu nhiên.");
}

// The unit 22.PVHCC: 100 responses in the 8 weeks before 2026-10-15 and 100 in the 8 weeks from
// it. officer.guidance goes from 60 % satisfied to 80 %; result.on_time stays at 60 %. Today is
// 2026-12-10 (local), so an action starting 2026-10-15 measures the full 56 days on each side.
class ActionsTest : public DashboardTest {
 protected:
  void SetUp() override {
    DashboardTest::SetUp();
    clock_.set(utc("2026-12-10T05:00:00Z"));
    std::vector<Response> rs;
    char at[32];
    for (int i = 0; i < 100; ++i) {
      std::snprintf(at, sizeof at, "2026-08-%02dT%02d:%02d:00Z", 21 + i % 10, 3 + i / 60, i % 60);
      rs.push_back(likert(kUnit, "Q1", "A", at, ResponseStatus::complete,
                          {{"officer.guidance", i < 60 ? 4 : 2}, {"result.on_time", i < 60 ? 5 : 1}}));
    }
    for (int i = 0; i < 100; ++i) {
      std::snprintf(at, sizeof at, "2026-11-%02dT%02d:%02d:00Z", 1 + i % 20, 3 + i / 60, i % 60);
      rs.push_back(likert(kUnit, "Q1", "A", at, ResponseStatus::complete,
                          {{"officer.guidance", i < 80 ? 5 : 1}, {"result.on_time", i < 60 ? 4 : 2}}));
    }
    post_chain("k1", token1_, std::move(rs));
  }

  httplib::Result send(const std::string& method, const std::string& user,
                       const std::string& target, const std::string& body = "") {
    auto c = dash_client();
    c.set_basic_auth(user, "pw-" + user);
    if (method == "POST") return c.Post(target, body, "application/json");
    if (method == "PUT") return c.Put(target, body, "application/json");
    if (method == "DELETE") return c.Delete(target);
    return c.Get(target);
  }

  // Adds an action through the API as `user`; its id, or -1.
  std::int64_t add(const std::string& user, json body) {
    auto r = send("POST", user, "/api/v1/actions", body.dump());
    EXPECT_TRUE(r);
    if (!r) return -1;
    EXPECT_EQ(r->status, 201) << r->body;
    auto j = json::parse(r->body, nullptr, false);
    return r->status == 201 ? j["action"]["id"].get<std::int64_t>() : -1;
  }

  static json action_body(const std::string& criterion, const std::string& start,
                          const std::string& deadline = "2027-03-31") {
    return json{{"unit", kUnit},          {"criterion", criterion}, {"what", "Niêm yết hướng dẫn mẫu"},
                {"owner", "Bà Lan"},      {"start", start},         {"deadline", deadline}};
  }

  json list(const std::string& user, const std::string& query) {
    auto r = send("GET", user, "/api/v1/actions?" + query);
    EXPECT_TRUE(r);
    if (!r) return json();
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body, nullptr, false);
  }

  // The criterion's n and index from GET /api/v1/scores grouped by criterion over [from, to].
  std::pair<std::int64_t, double> scores_of(const std::string& criterion, const std::string& from,
                                            const std::string& to) {
    auto r = get_as("province", "pw-province",
                    "/api/v1/scores?unit=" + std::string(kUnit) + "&from=" + from + "&to=" + to +
                        "&group=criterion");
    EXPECT_TRUE(r && r->status == 200);
    if (!r || r->status != 200) return {-1, -1};
    const json scores = json::parse(r->body);
    for (const auto& g : scores["groups"]) {
      if (g["key"] != criterion) continue;
      const auto& c = g["elements"][0]["criteria"][0];
      return {c["n"].get<std::int64_t>(), c["index"].get<double>()};
    }
    return {-1, -1};
  }

  int cli(std::vector<std::string> args, std::string* out_text = nullptr,
          std::string* err_text = nullptr) {
    std::ostringstream out, err;
    args.insert(args.begin() + 2, {"--db", db_path_});
    auto code = run_action_command(args, out, err);
    if (out_text) *out_text = out.str();
    if (err_text) *err_text = err.str();
    return code.value_or(-1);
  }
};

TEST_F(ActionsTest, ASixtyToEightyPercentMoveIsTwentyPointsWithAnIntervalAboveZero) {
  const std::int64_t id = add("pvhcc", action_body("officer.guidance", "2026-10-15"));
  json j = list("pvhcc", "unit=" + std::string(kUnit));
  ASSERT_EQ(j["actions"].size(), 1u);
  const json& a = j["actions"][0];
  EXPECT_EQ(a["id"], id);
  const json& e = a["effect"];
  EXPECT_EQ(e["days_measured"], 56);
  EXPECT_EQ(e["before"]["n"], 100);
  EXPECT_EQ(e["before"]["satisfied"], 60);
  EXPECT_EQ(e["after"]["n"], 100);
  EXPECT_EQ(e["after"]["satisfied"], 80);
  EXPECT_NEAR(e["difference"].get<double>(), 20.0, 1e-9);
  EXPECT_GT(e["low"].get<double>(), 0);
  EXPECT_NEAR(e["low"].get<double>(), 7.6041, 1e-3);
  EXPECT_NEAR(e["high"].get<double>(), 32.3959, 1e-3);
  EXPECT_EQ(e["verdict"], "improved");
  EXPECT_EQ(e["sentence"],
            "Tăng 20,0 điểm (khoảng tin cậy 95 %: từ 7,6 đến 32,4), lớn hơn mức ngẫu nhiên.");
}

TEST_F(ActionsTest, NoChangeGivesAnIntervalAroundZero) {
  add("pvhcc", action_body("result.on_time", "2026-10-15"));
  json e = list("pvhcc", "unit=" + std::string(kUnit) + "&lang=en")["actions"][0]["effect"];
  EXPECT_NEAR(e["difference"].get<double>(), 0.0, 1e-9);
  EXPECT_LT(e["low"].get<double>(), 0);
  EXPECT_GT(e["high"].get<double>(), 0);
  EXPECT_EQ(e["verdict"], "no_clear_change");
  EXPECT_NE(e["sentence"].get<std::string>().find("not clearly larger than chance"),
            std::string::npos);
}

TEST_F(ActionsTest, CountsAndIndicesEqualTheScoresApiOverTheSameWindows) {
  add("pvhcc", action_body("officer.guidance", "2026-10-15"));
  add("pvhcc", action_body("result.on_time", "2026-10-15"));
  json j = list("province", "unit=22");
  ASSERT_EQ(j["actions"].size(), 2u);
  for (const json& a : j["actions"]) {
    for (const char* side : {"before", "after"}) {
      const json& w = a["effect"][side];
      auto [n, index] = scores_of(a["criterion"], w["from"], w["to"]);
      EXPECT_EQ(w["n"].get<std::int64_t>(), n) << a["criterion"] << " " << side;
      EXPECT_DOUBLE_EQ(w["index"].get<double>(), index) << a["criterion"] << " " << side;
    }
  }
  EXPECT_EQ(j["actions"][0]["effect"]["before"]["from"], "2026-08-20");
  EXPECT_EQ(j["actions"][0]["effect"]["after"]["to"], "2026-12-09");
}

TEST_F(ActionsTest, AYoungActionMeasuresEqualShorterWindows) {
  add("pvhcc", action_body("officer.guidance", "2026-11-30"));
  json e = list("pvhcc", "unit=" + std::string(kUnit))["actions"][0]["effect"];
  EXPECT_EQ(e["window_days"], 56);
  EXPECT_EQ(e["days_measured"], 10);
  EXPECT_EQ(e["before"]["from"], "2026-11-20");
  EXPECT_EQ(e["before"]["to"], "2026-11-29");
  EXPECT_EQ(e["after"]["from"], "2026-11-30");
  EXPECT_EQ(e["after"]["to"], "2026-12-09");
  EXPECT_EQ(e["verdict"], "too_little_data");  // nothing was rated in those days
  // One week asked for: seven days on each side.
  e = list("pvhcc", "unit=" + std::string(kUnit) + "&window_weeks=1")["actions"][0]["effect"];
  EXPECT_EQ(e["days_measured"], 7);
  EXPECT_EQ(send("GET", "pvhcc", "/api/v1/actions?window_weeks=53")->status, 400);
}

TEST_F(ActionsTest, AnActionPastItsDeadlineAndNotDoneIsOverdue) {
  const std::int64_t late = add("pvhcc", action_body("officer.guidance", "2026-10-15", "2026-11-30"));
  add("pvhcc", action_body("result.on_time", "2026-10-15", "2026-12-31"));
  json j = list("pvhcc", "unit=" + std::string(kUnit));
  EXPECT_EQ(j["actions"][0]["overdue"], true);
  EXPECT_EQ(j["actions"][1]["overdue"], false);
  auto done = send("PUT", "pvhcc", "/api/v1/actions/" + std::to_string(late), R"({"status": "done"})");
  ASSERT_EQ(done->status, 200) << done->body;
  EXPECT_EQ(json::parse(done->body)["action"]["overdue"], false);
  EXPECT_EQ(json::parse(done->body)["action"]["what"], "Niêm yết hướng dẫn mẫu");  // kept
}

TEST_F(ActionsTest, ACommuneUserCannotReadCreateEditOrDeleteAnotherUnitsActions) {
  const std::int64_t id = add("pvhcc", action_body("officer.guidance", "2026-10-15"));
  const std::string one = "/api/v1/actions/" + std::to_string(id);
  EXPECT_EQ(send("GET", "sotp", "/api/v1/actions?unit=22.PVHCC")->status, 403);
  EXPECT_EQ(send("POST", "sotp", "/api/v1/actions", action_body("officer.guidance", "2026-10-15").dump())->status, 403);
  EXPECT_EQ(send("PUT", "sotp", one, R"({"status": "done"})")->status, 403);
  EXPECT_EQ(send("DELETE", "sotp", one)->status, 403);
  // Nor move one of their own into another unit.
  json own = action_body("officer.guidance", "2026-10-15");
  own["unit"] = kOtherUnit;
  const std::int64_t theirs = add("sotp", own);
  EXPECT_EQ(send("PUT", "sotp", "/api/v1/actions/" + std::to_string(theirs),
                 R"({"unit": "22.PVHCC"})")->status, 403);
  EXPECT_EQ(send("DELETE", "sotp", "/api/v1/actions/999999")->status, 404);
  // The action is untouched; its own unit's user still reads it, and a unit below is theirs too.
  EXPECT_EQ(list("pvhcc", "unit=22.PVHCC")["actions"][0]["status"], "planned");
  json below = action_body("officer.guidance", "2026-10-15");
  below["unit"] = kSubUnit;
  EXPECT_GT(add("pvhcc", below), 0);
  EXPECT_EQ(send("DELETE", "pvhcc", one)->status, 200);
  EXPECT_EQ(send("DELETE", "pvhcc", one)->status, 404);
}

TEST_F(ActionsTest, BadFieldsGetAMessageNamingTheField) {
  auto expect = [&](json body, int status, const std::string& field, const std::string& lang) {
    auto r = send("POST", "province", "/api/v1/actions?lang=" + lang, body.dump());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << body.dump() << " " << r->body;
    EXPECT_NE(json::parse(r->body)["error"].get<std::string>().find(field), std::string::npos)
        << r->body;
  };
  json b = action_body("officer.guidance", "2026-10-15");
  auto with = [&](json changes) {
    json out = b;
    out.update(changes);
    return out;
  };
  expect(with({{"deadline", "2026-10-14"}}), 422, "deadline: before the start", "en");
  expect(with({{"deadline", "2026-10-14"}}), 422, "Hạn hoàn thành (deadline)", "vi");
  expect(with({{"criterion", "officer.nope"}}), 422, "criterion", "en");
  expect(with({{"unit", "99.NOPE"}}), 422, "unit", "en");
  expect(with({{"what", "  "}}), 422, "what", "en");
  expect(with({{"owner", ""}}), 422, "owner", "en");
  expect(with({{"status", "finished"}}), 422, "status", "en");
  expect(with({{"start", "15/10/2026"}}), 422, "start", "en");
  expect(with({{"criterion", "officer.guidance"}, {"element", "result"}}), 422, "element", "en");
  expect(with({{"colour", "red"}}), 400, "colour", "en");
  expect(with({{"what", 5}}), 400, "what", "en");
  auto r = send("GET", "province", "/api/v1/actions?unit=22");
  EXPECT_TRUE(json::parse(r->body)["actions"].empty());  // nothing was stored
  // A whole element is a target too.
  json element = b;
  element.erase("criterion");
  element["element"] = "officer";
  EXPECT_GT(add("province", element), 0);
}

TEST_F(ActionsTest, TheCliAddsListsChangesAndRemovesActions) {
  std::string out, err;
  ASSERT_EQ(cli({"action", "add", "--unit", kUnit, "--criterion", "officer.guidance", "--what",
                 "Hướng dẫn mẫu", "--owner", "Bà Lan", "--start", "2026-10-15", "--deadline",
                 "2026-12-31", "--by", "admin"},
                &out, &err),
            0)
      << err;
  EXPECT_EQ(out, "action 1 added\n");
  EXPECT_EQ(cli({"action", "add", "--unit", kUnit, "--criterion", "officer.guidance", "--what",
                 "x", "--owner", "y", "--start", "2026-10-15", "--deadline", "2026-10-01"},
                nullptr, &err),
            1);
  EXPECT_NE(err.find("deadline: before the start date"), std::string::npos) << err;
  EXPECT_EQ(cli({"action", "add", "--unit", kUnit, "--what", "x"}, nullptr, &err), 2);
  ASSERT_EQ(cli({"action", "set", "--id", "1", "--status", "in_progress"}, &out, &err), 0) << err;
  // The effect is in the list, as text and as JSON; the JSON equals the API's.
  ASSERT_EQ(cli({"action", "list", "--unit", kUnit, "--today", "2026-12-10"}, &out, &err), 0)
      << err;
  EXPECT_NE(out.find("status: in_progress"), std::string::npos) << out;
  EXPECT_NE(out.find("before 2026-08-20..2026-10-14: n 100, index 60,0"), std::string::npos) << out;
  EXPECT_NE(out.find("Tăng 20,0 điểm"), std::string::npos) << out;
  ASSERT_EQ(cli({"action", "list", "--unit", kUnit, "--json", "--lang", "en", "--today",
                 "2026-12-10"},
                &out, &err),
            0);
  json listed = json::parse(out);
  EXPECT_EQ(listed["actions"][0]["effect"]["verdict"], "improved");
  EXPECT_EQ(listed["actions"][0]["created_by"], "admin");
  ASSERT_EQ(cli({"action", "remove", "--id", "1"}, &out, &err), 0) << err;
  EXPECT_EQ(cli({"action", "remove", "--id", "1"}, nullptr, &err), 1);
  EXPECT_NE(err.find("unknown action 1"), std::string::npos);
  ASSERT_EQ(cli({"action", "list", "--unit", kUnit}, &out, &err), 0);
  EXPECT_EQ(out, "no actions\n");
}

TEST_F(ActionsTest, TheUnitPageListsActionsAndFlagsAWeakCriterionWithoutOne) {
  add("pvhcc", action_body("officer.guidance", "2026-10-15", "2026-11-30"));
  json below = action_body("officer.guidance", "2026-11-01");
  below["unit"] = kSubUnit;
  below["what"] = "Quầy 1 <b>bổ sung</b> biển chỉ dẫn";
  add("pvhcc", below);
  auto r = get_as("pvhcc", "pw-pvhcc", "/unit?unit=22.PVHCC&period=quarter&date=2026-11-01");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const std::string& page = r->body;
  EXPECT_NE(page.find("id=\"actions\""), std::string::npos);
  EXPECT_NE(page.find("data-action=\"1\" data-verdict=\"improved\""), std::string::npos);
  EXPECT_NE(page.find("⚠ Quá hạn"), std::string::npos);
  EXPECT_NE(page.find("Quầy 1 &lt;b&gt;bổ sung&lt;/b&gt; biển chỉ dẫn"), std::string::npos);
  EXPECT_NE(page.find("data-before-n=\"100\" data-before-index=\"60.00\""), std::string::npos);
  EXPECT_NE(page.find("data-after-n=\"100\" data-after-index=\"80.00\""), std::string::npos);
  // result.on_time (60 %) is weak and has no action; officer.guidance has one.
  EXPECT_NE(page.find("data-no-action=\"result.on_time\""), std::string::npos);
  EXPECT_EQ(page.find("data-no-action=\"officer.guidance\""), std::string::npos);
  EXPECT_NE(page.find("Chưa có giải pháp cải thiện"), std::string::npos);
  auto en = get_as("pvhcc", "pw-pvhcc", "/unit?unit=22.PVHCC&period=quarter&date=2026-11-01&lang=en");
  EXPECT_NE(en->body.find("No improvement action"), std::string::npos);
  EXPECT_NE(en->body.find("⚠ Overdue"), std::string::npos);
}

TEST_F(ActionsTest, TheFormsAddAnActionAndChangeItsStatusAndKeepTheInputOnAProblem) {
  auto session = store_->create_session("pvhcc", clock_.now());
  ASSERT_TRUE(session.is_ok());
  const httplib::Headers cookie{{"Cookie", "sipas_session=" + session->token}};
  const std::string csrf = session->session.csrf;
  auto c = dash_client();
  httplib::Params form{{"csrf", csrf},         {"back", "/unit?unit=22.PVHCC&lang=en"},
                       {"unit", kUnit},        {"action_unit", kSubUnit},
                       {"lang", "en"},         {"target", "criterion:result.on_time"},
                       {"period", "quarter"},  {"date", "2026-11-01"},
                       {"what", "Nhắn tin báo ngày trả kết quả"}, {"owner", "Ông Minh"},
                       {"start", "2026-12-01"}, {"deadline", "2026-11-01"},
                       {"status", "planned"}};
  auto bad = c.Post("/actions", cookie, form);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 422);
  // In the user's language, on the page they were on, with what they chose.
  EXPECT_NE(bad->body.find("deadline: before the start date."), std::string::npos);
  EXPECT_NE(bad->body.find("<h1 id=\"title\">Trung tâm PVHCC</h1><div class=\"sub\">2026-10-01 – 2026-12-31"),
            std::string::npos);
  EXPECT_NE(bad->body.find("value=\"22.PVHCC.Q1\" selected"), std::string::npos);
  EXPECT_NE(bad->body.find("Nhắn tin báo ngày trả kết quả"), std::string::npos);  // kept
  EXPECT_NE(bad->body.find("value=\"criterion:result.on_time\" selected"), std::string::npos);
  form.erase("deadline");
  form.emplace("deadline", "2027-01-31");
  auto good = c.Post("/actions", cookie, form);
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 303);
  EXPECT_EQ(good->get_header_value("Location"), "/unit?unit=22.PVHCC&lang=en#actions");
  auto stored = store_->actions({kSubUnit});
  ASSERT_TRUE(stored.is_ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].created_by, "pvhcc");
  const std::string id = std::to_string((*stored)[0].id);
  auto changed = c.Post("/actions/status", cookie,
                        httplib::Params{{"csrf", csrf}, {"id", id}, {"status", "done"},
                                        {"back", "/unit?unit=22.PVHCC"}});
  EXPECT_EQ(changed->status, 303);
  EXPECT_EQ((*store_->action((*stored)[0].id))->status, ActionStatus::done);
  // Without the CSRF token nothing changes.
  auto forged = c.Post("/actions/status", cookie,
                       httplib::Params{{"id", id}, {"status", "planned"}, {"back", "/"}});
  EXPECT_EQ(forged->status, 403);
  EXPECT_EQ((*store_->action((*stored)[0].id))->status, ActionStatus::done);
  // Another unit's user gets 403 from the form too.
  auto other = store_->create_session("sotp", clock_.now());
  auto theirs = c.Post("/actions/status", {{"Cookie", "sipas_session=" + other->token}},
                       httplib::Params{{"csrf", other->session.csrf}, {"id", id},
                                       {"status", "planned"}, {"back", "/"}});
  EXPECT_EQ(theirs->status, 403);
}

TEST_F(ActionsTest, TheApiTakesASessionsWritesOnlyWithItsCsrfToken) {
  auto session = store_->create_session("pvhcc", clock_.now());
  ASSERT_TRUE(session.is_ok());
  auto c = dash_client();
  const std::string body = action_body("officer.guidance", "2026-10-15").dump();
  auto without = c.Post("/api/v1/actions", {{"Cookie", "sipas_session=" + session->token}}, body,
                        "application/json");
  EXPECT_EQ(without->status, 403);
  auto with = c.Post("/api/v1/actions",
                     {{"Cookie", "sipas_session=" + session->token},
                      {"X-CSRF-Token", session->session.csrf}},
                     body, "application/json");
  EXPECT_EQ(with->status, 201) << with->body;
}

TEST_F(ActionsTest, ADatabaseOfThePreviousSchemaMigrates) {
  stop_server();
  store_.reset();
  if (TestDatabase::postgresql()) {
    db_.exec("DROP TABLE improvement_actions; UPDATE schema_version SET version = 8;");
  } else {
    db_.exec("DROP TABLE improvement_actions; PRAGMA user_version = 11;");
  }
  auto store = ServerStore::open(db_.db());
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  EXPECT_EQ(db_.query(TestDatabase::postgresql() ? "SELECT version FROM schema_version"
                                                 : "PRAGMA user_version"),
            TestDatabase::postgresql() ? "9" : "12");
  ImprovementAction a;
  a.unit = kUnit;
  a.element = "officer";
  a.criterion = "officer.guidance";
  a.what = "x";
  a.owner = "y";
  a.start = day("2026-10-15");
  a.deadline = day("2026-12-31");
  a.status = ActionStatus::in_progress;
  a.created_by = a.updated_by = "t";
  auto id = (*store)->add_action(a);
  ASSERT_TRUE(id.is_ok()) << id.status().message();
  auto back = (*store)->action(*id);
  ASSERT_TRUE(back.is_ok() && *back);
  EXPECT_EQ((*back)->start, a.start);
  EXPECT_EQ((*back)->status, ActionStatus::in_progress);
  EXPECT_EQ((*back)->criterion, "officer.guidance");
  EXPECT_EQ((*store)->remove_action(*id).code(), ErrorCode::ok);
  EXPECT_EQ((*store)->remove_action(*id).code(), ErrorCode::not_found);
  a.id = *id;
  EXPECT_EQ((*store)->update_action(a).code(), ErrorCode::not_found);
}

TEST_F(ActionsTest, AnElementsEffectEqualsTheScoresApiGroupedByElement) {
  json body = action_body("", "2026-10-15");
  body.erase("criterion");
  body["element"] = "result";
  add("pvhcc", body);
  json e = list("pvhcc", "unit=22.PVHCC")["actions"][0]["effect"];
  for (const char* side : {"before", "after"}) {
    auto r = get_as("province", "pw-province",
                    "/api/v1/scores?unit=22.PVHCC&group=element&from=" +
                        e[side]["from"].get<std::string>() + "&to=" + e[side]["to"].get<std::string>());
    ASSERT_TRUE(r && r->status == 200);
    const json scores = json::parse(r->body);
    bool found = false;
    for (const auto& g : scores["groups"]) {
      if (g["key"] != "result") continue;
      found = true;
      EXPECT_DOUBLE_EQ(e[side]["index"].get<double>(), g["index"].get<double>()) << side;
    }
    EXPECT_TRUE(found) << side;
  }
  EXPECT_EQ(e["verdict"], "no_clear_change");
}

TEST_F(ActionsTest, TheListFollowsTheUnitTreeThenTheStartDate) {
  auto at = [&](const char* unit, const char* start) {
    json b = action_body("officer.guidance", start);
    b["unit"] = unit;
    return add("province", b);
  };
  const auto other = at(kOtherUnit, "2026-09-01");
  const auto below = at(kSubUnit, "2026-09-01");
  const auto late = at(kUnit, "2026-12-10");
  const auto early = at(kUnit, "2026-10-15");
  json j = list("province", "unit=22");
  std::vector<std::int64_t> ids;
  for (const json& a : j["actions"]) ids.push_back(a["id"]);
  // 22.PVHCC (by start), then 22.PVHCC.Q1 below it, then 22.SO-TP.
  EXPECT_EQ(ids, (std::vector<std::int64_t>{early, late, below, other}));
  EXPECT_EQ(j["actions"][1]["effect"]["verdict"], "not_started");  // starts today
  EXPECT_EQ(j["actions"][2]["unit_name"], "Quầy 1");
  EXPECT_EQ(list("province", "unit=22.PVHCC")["actions"].size(), 3u);
}

// serve --effect-window-weeks sets the default window (DashboardOptions::effect_window_days).
class ActionsTwoWeekWindowTest : public ActionsTest {
  void adjust(DashboardOptions& options) override { options.effect_window_days = 14; }
};

TEST_F(ActionsTwoWeekWindowTest, TheServersDefaultWindowHoldsUnlessARequestAsks) {
  add("pvhcc", action_body("officer.guidance", "2026-10-15"));
  EXPECT_EQ(list("pvhcc", "unit=22.PVHCC")["actions"][0]["effect"]["days_measured"], 14);
  EXPECT_EQ(list("pvhcc", "unit=22.PVHCC&window_weeks=4")["actions"][0]["effect"]["days_measured"],
            28);
}

TEST(ActionServeFlagTest, AWindowOutsideOneToFiftyTwoWeeksIsRefused) {
  std::istringstream in;
  std::ostringstream out, err;
  EXPECT_EQ(run_cli({"serve", "--db", "/nonexistent/x.db", "--listen", "127.0.0.1:0",
                     "--effect-window-weeks", "53"},
                    in, out, err),
            2);
  EXPECT_EQ(err.str(), "sipas-server serve: --effect-window-weeks must be a number from 1 to 52\n");
}

// sipas-server migrate carries the actions into PostgreSQL, and new ones number on from them.
TEST(ActionMigrateTest, MigrateCopiesTheActions) {
  if (!TestDatabase::postgresql()) GTEST_SKIP() << "PostgreSQL only: runs under the pg/ prefix";
  TempDir dir;
  const std::string source = (dir.path() / "province.db").string();
  ImprovementAction a;
  a.unit = "22";
  a.element = "officer";
  a.criterion = "officer.guidance";
  a.what = "Hướng dẫn mẫu";
  a.owner = "Bà Lan";
  a.start = day("2026-10-15");
  a.deadline = day("2026-12-31");
  a.created_by = a.updated_by = "t";
  {
    auto store = ServerStore::open(source);
    ASSERT_TRUE(store.is_ok()) << store.status().message();
    ASSERT_TRUE((*store)->add_unit({"22", "Tỉnh Quảng Ninh", std::nullopt}).is_ok());
    ASSERT_TRUE((*store)->add_action(a).is_ok());
  }
  TestDatabase target(dir.path());
  auto report = migrate_to_postgresql(source, target.db(), [](const std::string&) {});
  ASSERT_TRUE(report.is_ok()) << report.status().message();
  auto to = ServerStore::open(target.db());
  ASSERT_TRUE(to.is_ok()) << to.status().message();
  auto copied = (*to)->action(1);
  ASSERT_TRUE(copied.is_ok() && *copied);
  EXPECT_EQ((*copied)->what, "Hướng dẫn mẫu");
  EXPECT_EQ((*copied)->start, a.start);
  auto next = (*to)->add_action(a);
  ASSERT_TRUE(next.is_ok()) << next.status().message();
  EXPECT_EQ(*next, 2);
}

}  // namespace
}  // namespace sipas::test
