#include <gtest/gtest.h>

#include "server_test_support.hpp"

namespace sipas::test {
namespace {

struct HostileBody {
  std::string name;
  std::string body;
  int expected_status;
  std::string content_type = "application/json";
  httplib::Headers headers = {};
};

using HostileTest = ServerTest;

nlohmann::json valid_batch(const std::string& kiosk = "k1") {
  return nlohmann::json::parse(make_body(kiosk, make_chain("22.PVHCC", 1, 3)));
}

std::string with(const std::function<void(nlohmann::json&)>& change) {
  auto j = valid_batch();
  change(j);
  return j.dump();
}

std::vector<HostileBody> corpus() {
  std::vector<HostileBody> c;
  std::string valid = valid_batch().dump();
  c.push_back({"empty body", "", 400});
  c.push_back({"JSON null", "null", 400});
  c.push_back({"JSON array", "[]", 400});
  c.push_back({"a lone brace", "{", 400});
  c.push_back({"truncated JSON", valid.substr(0, valid.size() / 2), 400});
  c.push_back({"trailing garbage", valid + "x", 400});
  c.push_back({"NaN literal", R"({"protocol": NaN, "kiosk_id": "k1"})", 400});
  c.push_back({"protocol as a string", with([](auto& j) { j["protocol"] = "1"; }), 400});
  c.push_back({"protocol version 2", with([](auto& j) { j["protocol"] = 2; }), 422});
  c.push_back({"kiosk_id missing", with([](auto& j) { j.erase("kiosk_id"); }), 400});
  c.push_back({"kiosk_id a number", with([](auto& j) { j["kiosk_id"] = 1; }), 400});
  c.push_back({"another kiosk's id", with([](auto& j) { j["kiosk_id"] = "k2"; }), 403});
  c.push_back({"SQL in kiosk_id",
               with([](auto& j) { j["kiosk_id"] = "k1'; DROP TABLE responses; --"; }), 403});
  c.push_back({"HTML in batch_id",
               with([](auto& j) { j["batch_id"] = "<script>alert(1)</script>"; }), 422});
  c.push_back({"sent_at not a time", with([](auto& j) { j["sent_at"] = "yesterday"; }), 422});
  c.push_back({"sent_at month 13",
               with([](auto& j) { j["sent_at"] = "2026-13-45T99:00:00Z"; }), 422});
  c.push_back({"responses an object", with([](auto& j) { j["responses"] = {{"a", 1}}; }), 400});
  c.push_back({"response a number", with([](auto& j) { j["responses"][1] = 42; }), 400});
  c.push_back({"response id missing", with([](auto& j) { j["responses"][0].erase("id"); }), 422});
  c.push_back({"SQL in response id",
               with([](auto& j) { j["responses"][0]["id"] = "'; DROP TABLE responses; --"; }),
               422});
  c.push_back({"negative seq", with([](auto& j) { j["responses"][0]["seq"] = -1; }), 422});
  c.push_back({"seq zero", with([](auto& j) { j["responses"][0]["seq"] = 0; }), 422});
  c.push_back({"seq a string", with([](auto& j) { j["responses"][0]["seq"] = "1"; }), 422});
  c.push_back({"seq a fraction", with([](auto& j) { j["responses"][0]["seq"] = 1.5; }), 422});
  c.push_back({"seq overflowing a double",
               R"({"protocol":1,"kiosk_id":"k1","responses":[{"seq":1e400}]})", 400});
  {
    std::string huge = valid;
    auto at = huge.find("\"seq\":1");
    huge.replace(at, 7, "\"seq\":99999999999999999999999");
    c.push_back({"seq beyond 64 bits", huge, 422});
  }
  c.push_back({"seq above 2^53",
               with([](auto& j) { j["responses"][0]["seq"] = 9007199254740993LL; }), 422});
  c.push_back({"repeated seq", with([](auto& j) { j["responses"][1]["seq"] = 1; }), 422});
  c.push_back({"descending seq", with([](auto& j) {
                 j["responses"][0]["seq"] = 3;
                 j["responses"][2]["seq"] = 1;
               }), 422});
  c.push_back({"repeated id",
               with([](auto& j) { j["responses"][1]["id"] = j["responses"][0]["id"]; }), 422});
  c.push_back({"HTML in a response's unit",
               with([](auto& j) { j["responses"][1]["unit"] = "<img src=x onerror=alert(1)>"; }),
               403});
  {
    std::string bad = with([](auto& j) { j["responses"][0]["comment"] = "MARK"; });
    bad.replace(bad.find("MARK"), 4, "ok \xff\xfe bad");
    c.push_back({"invalid UTF-8 byte", bad, 400});
  }
  {
    std::string bad = with([](auto& j) { j["responses"][0]["counter"] = "MARK"; });
    bad.replace(bad.find("MARK"), 4, "\xc0\xaf");
    c.push_back({"overlong UTF-8", bad, 400});
  }
  {
    std::string bad = with([](auto& j) { j["responses"][0]["comment"] = "MARK"; });
    bad.replace(bad.find("MARK"), 4, "\\ud800x");
    c.push_back({"lone surrogate escape", bad, 400});
  }
  c.push_back({"deeply nested arrays", std::string(100000, '[') + std::string(100000, ']'), 400});
  {
    std::string nested = with([](auto& j) { j["responses"][0]["comment"] = "MARK"; });
    nested.replace(nested.find("\"MARK\""), 6, std::string(40, '[') + std::string(40, ']'));
    c.push_back({"nesting inside a response", nested, 400});
  }
  c.push_back({"too many responses", with([](auto& j) {
                 j["responses"] = nlohmann::json::array();
                 for (int i = 0; i < 2001; ++i) j["responses"].push_back(nlohmann::json::object());
               }), 413});
  c.push_back({"gzip bomb", gzip_compress(std::string(64u << 20, ' ')), 413, "application/json",
               {{"Content-Encoding", "gzip"}}});
  c.push_back({"corrupt gzip", "\x1f\x8b\x08\x00garbage that is not deflate", 400,
               "application/json", {{"Content-Encoding", "gzip"}}});
  c.push_back({"brotli encoding", valid, 415, "application/json", {{"Content-Encoding", "br"}}});
  c.push_back({"text/plain body", valid, 415, "text/plain"});
  c.push_back({"50 MB body", std::string(50u << 20, ' '), 413});
  return c;
}

TEST_F(HostileTest, EveryMalformedOrHostileBodyGets4xxAndNothingIsStored) {
  auto bodies = corpus();
  ASSERT_GE(bodies.size(), 30u);
  for (const auto& h : bodies) {
    SCOPED_TRACE(h.name);
    auto r = post(h.body, token1_, h.content_type, h.headers);
    ASSERT_TRUE(r) << "no reply: " << httplib::to_string(r.error());
    EXPECT_EQ(r->status, h.expected_status) << r->body;
    EXPECT_GE(r->status, 400);
    EXPECT_LT(r->status, 500);
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    EXPECT_TRUE(j.is_object() && j.contains("error") && j["error"].is_string()) << r->body;
    ASSERT_EQ(stored(), 0);
    ASSERT_EQ(quarantined(), 0);
    auto health = client().Get("/healthz");
    ASSERT_TRUE(health);
    ASSERT_EQ(health->status, 200);
  }
  EXPECT_TRUE(finding_kinds("k1").empty());
  // The server still takes a good batch afterwards.
  auto ok = post(valid_batch().dump(), token1_);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(stored(), 3);
}

TEST_F(HostileTest, SqlAndHtmlInsideValidFieldsAreStoredAsPlainData) {
  auto chain = make_chain(kUnit, 1, 1);
  chain[0].comment = "'); DROP TABLE responses; -- <script>alert(1)</script>";
  chain[0].counter = "Q1\" OR 1=1 --";
  chain[0].hash = compute_hash(chain[0]);
  auto r = post(make_body("k1", chain), token1_);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json_of(r)["accepted"], 1);
  auto list = store_->quarantine("k1", 1);
  ASSERT_TRUE(list.is_ok());
  EXPECT_TRUE(list->empty());
  EXPECT_EQ(stored(), 1);
}

}  // namespace
}  // namespace sipas::test
