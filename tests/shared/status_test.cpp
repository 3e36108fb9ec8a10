#include "sipas/status.hpp"

#include <gtest/gtest.h>

namespace sipas {
namespace {

TEST(Status, OkHasNoMessage) {
  Status s = Status::ok();
  EXPECT_TRUE(s.is_ok());
  EXPECT_EQ(s.code(), ErrorCode::ok);
  EXPECT_EQ(s.to_string(), "ok");
}

TEST(Status, ToStringJoinsCodeAndMessage) {
  Status s = Status::error(ErrorCode::disk_full, "database or disk is full");
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(s.to_string(), "disk_full: database or disk is full");
  EXPECT_EQ(Status::error(ErrorCode::busy, "").to_string(), "busy");
}

TEST(Status, EveryCodeHasItsName) {
  EXPECT_STREQ(to_string(ErrorCode::ok), "ok");
  EXPECT_STREQ(to_string(ErrorCode::invalid_argument), "invalid_argument");
  EXPECT_STREQ(to_string(ErrorCode::not_found), "not_found");
  EXPECT_STREQ(to_string(ErrorCode::conflict), "conflict");
  EXPECT_STREQ(to_string(ErrorCode::disk_full), "disk_full");
  EXPECT_STREQ(to_string(ErrorCode::read_only), "read_only");
  EXPECT_STREQ(to_string(ErrorCode::corrupt), "corrupt");
  EXPECT_STREQ(to_string(ErrorCode::io_error), "io_error");
  EXPECT_STREQ(to_string(ErrorCode::busy), "busy");
  EXPECT_STREQ(to_string(ErrorCode::unavailable), "unavailable");
  EXPECT_STREQ(to_string(ErrorCode::internal), "internal");
}

TEST(Status, ResultHoldsValueOrStatus) {
  Result<int> good = 7;
  ASSERT_TRUE(good.is_ok());
  EXPECT_EQ(*good, 7);
  EXPECT_TRUE(good.status().is_ok());
  Result<int> bad = Status::error(ErrorCode::not_found, "no such unit: X");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::not_found);
  EXPECT_EQ(bad.status().message(), "no such unit: X");
}

}  // namespace
}  // namespace sipas
