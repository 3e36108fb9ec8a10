// The optional "health" object of protocol v1 batches (docs/protocol.md section 13).
#include <gtest/gtest.h>

#include "sipas/protocol.hpp"

namespace sipas {
namespace {

KioskHealth sample() {
  KioskHealth h;
  h.software_version = "1.2.0";
  h.config_version = 4;
  h.pending = 12;
  h.oldest_pending_at = parse_rfc3339("2026-11-29T01:00:00.000Z");
  h.disk_free_bytes = 5'000'000'000;
  h.clock = *parse_rfc3339("2026-11-29T03:00:00.000Z");
  h.uptime_seconds = 3600;
  h.last_error = "server unreachable: timeout";
  return h;
}

TEST(HealthProtocol, RoundTripsThroughJson) {
  auto back = health_from_json(health_to_json(sample()));
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(*back, sample());
}

TEST(HealthProtocol, BatchBodyCarriesHealthOnlyWhenSet) {
  BatchRequest b;
  b.kiosk_id = "k1";
  b.batch_id = "3f1c2b9e-7d4a-4c1e-9b2f-6a8d5e4c3b21";
  b.sent_at = sample().clock;
  auto without = nlohmann::json::parse(batch_to_body(b));
  EXPECT_FALSE(without.contains("health"));
  b.health = sample();
  auto with = nlohmann::json::parse(batch_to_body(b));
  EXPECT_EQ(with["health"]["pending"], 12);
  EXPECT_EQ(with["health"]["oldest_pending_at"], "2026-11-29T01:00:00.000Z");
  EXPECT_TRUE(with["responses"].empty());
}

TEST(HealthProtocol, BadFieldsAreNamed) {
  auto j = health_to_json(sample());
  j["pending"] = -1;
  EXPECT_EQ(health_from_json(j).status().message(), "health.pending: must be an integer >= 0");
  j = health_to_json(sample());
  j["clock"] = "yesterday";
  EXPECT_EQ(health_from_json(j).status().message(), "health.clock: must be an RFC 3339 date-time");
  j = health_to_json(sample());
  j.erase("software_version");
  EXPECT_EQ(health_from_json(j).status().message(),
            "health.software_version: must be a string of 1 to 64 bytes");
  EXPECT_EQ(health_from_json(nlohmann::json::array()).status().message(),
            "health: must be an object");
}

TEST(HealthProtocol, NullsAndUnknownFieldsAreAccepted) {
  auto j = health_to_json(sample());
  j["config_version"] = nullptr;
  j["oldest_pending_at"] = nullptr;
  j["last_error"] = nullptr;
  j["battery"] = 80;
  auto h = health_from_json(j);
  ASSERT_TRUE(h.is_ok()) << h.status().message();
  EXPECT_FALSE(h->config_version);
  EXPECT_FALSE(h->oldest_pending_at);
  EXPECT_FALSE(h->last_error);
}

// A long error is cut on a character boundary, so that it stays valid UTF-8.
TEST(HealthProtocol, LongLastErrorIsCutWhole) {
  auto j = health_to_json(sample());
  std::string text(999, 'x');
  text += "ữ và thêm nữa";
  j["last_error"] = text;
  auto h = health_from_json(j);
  ASSERT_TRUE(h.is_ok());
  EXPECT_EQ(*h->last_error, std::string(999, 'x'));
}

}  // namespace
}  // namespace sipas
