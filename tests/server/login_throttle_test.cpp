#include <gtest/gtest.h>

#include "sipas/server/log_text.hpp"
#include "sipas/server/login_throttle.hpp"
#include "sipas/server/one_at_a_time.hpp"

namespace sipas::test {
namespace {

using std::chrono::seconds;

const TimePoint kStart = *parse_rfc3339("2026-09-30T08:00:00Z");

TEST(LoginThrottleTest, FirstFailuresAreFreeThenLocksDouble) {
  LoginThrottle t;
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(t.locked("u", "a", kStart));
    EXPECT_FALSE(t.failed("u", "a", kStart));
  }
  EXPECT_EQ(t.failed("u", "a", kStart), seconds(1));
  EXPECT_EQ(t.locked("u", "a", kStart), seconds(1));
  EXPECT_EQ(t.failed("u", "a", kStart + seconds(1)), seconds(2));
  EXPECT_EQ(t.failed("u", "a", kStart + seconds(3)), seconds(4));
  EXPECT_EQ(t.locked("u", "a", kStart + seconds(4)), seconds(3));
  EXPECT_FALSE(t.locked("u", "a", kStart + seconds(7)));
}

TEST(LoginThrottleTest, LockHasACeiling) {
  ThrottlePolicy p;
  p.longest_lock = seconds(60);
  LoginThrottle t(p);
  std::optional<seconds> last;
  for (int i = 0; i < 200; ++i) last = t.failed("u", "a", kStart + seconds(i));
  EXPECT_EQ(last, seconds(60));
}

TEST(LoginThrottleTest, SuccessClearsTheUserAndTheAddress) {
  LoginThrottle t;
  for (int i = 0; i < 6; ++i) t.failed("u", "a", kStart);
  ASSERT_TRUE(t.locked("u", "a", kStart));
  t.succeeded("u", "a");
  EXPECT_FALSE(t.locked("u", "a", kStart));
  EXPECT_FALSE(t.failed("u", "a", kStart));  // free failures again
}

TEST(LoginThrottleTest, OneUsersLockLeavesOtherUsersAlone) {
  LoginThrottle t;
  for (int i = 0; i < 8; ++i) t.failed("guessed", "10.0.0.1", kStart);
  EXPECT_TRUE(t.locked("guessed", "10.0.0.1", kStart));
  EXPECT_TRUE(t.locked("guessed", "10.0.0.2", kStart));  // the name is locked from anywhere
  EXPECT_FALSE(t.locked("colleague", "10.0.0.1", kStart));
}

TEST(LoginThrottleTest, AnAddressTryingManyNamesIsLocked) {
  LoginThrottle t;
  for (int i = 0; i < 20; ++i) {
    EXPECT_FALSE(t.failed("user" + std::to_string(i), "10.0.0.9", kStart)) << i;
  }
  EXPECT_EQ(t.failed("user20", "10.0.0.9", kStart), seconds(1));
  EXPECT_TRUE(t.locked("anyone", "10.0.0.9", kStart));
  EXPECT_FALSE(t.locked("anyone", "10.0.0.10", kStart));
}

TEST(LoginThrottleTest, OldFailuresAreForgotten) {
  LoginThrottle t;
  for (int i = 0; i < 5; ++i) t.failed("u", "a", kStart);
  EXPECT_FALSE(t.failed("u", "a", kStart + std::chrono::hours(2)));
}

TEST(LoginThrottleTest, RemembersAtMostItsCapacity) {
  ThrottlePolicy p;
  p.max_entries = 10;
  LoginThrottle t(p);
  for (int i = 0; i < 6; ++i) t.failed("victim", "a", kStart);
  ASSERT_TRUE(t.locked("victim", "a", kStart));
  for (int i = 0; i < 100; ++i) {
    t.failed("x" + std::to_string(i), "b" + std::to_string(i), kStart + seconds(i + 1));
  }
  EXPECT_FALSE(t.locked("victim", "a", kStart));  // pushed out, the oldest
}

TEST(LogTextTest, ControlBytesSpacesAndQuotesCannotForgeALine) {
  EXPECT_EQ(log_text("/unit?x=1"), "/unit?x=1");
  EXPECT_EQ(log_text("a\nb"), "a\\x0ab");
  EXPECT_EQ(log_text("a b\t\"c\\"), "a\\x20b\\x09\\x22c\\x5c");
  EXPECT_EQ(log_text("\x1b[2J"), "\\x1b[2J");
  EXPECT_EQ(log_text("\x7f"), "\\x7f");
  EXPECT_EQ(log_text("\xc2\x9b" "1m"), "\\xc2\\x9b1m");  // C1 CSI in UTF-8
  EXPECT_EQ(log_text("Nguyễn Văn A"), "Nguyễn\\x20Văn\\x20A");
}

TEST(OneAtATimeTest, AKeyIsHeldUntilItsLastTokenGoes) {
  OneAtATime exports;
  auto first = exports.try_take("pvhcc");
  ASSERT_TRUE(first);
  EXPECT_FALSE(exports.try_take("pvhcc"));
  EXPECT_TRUE(exports.try_take("province"));  // other users are not held up
  auto copy = first;
  first.reset();
  EXPECT_FALSE(exports.try_take("pvhcc"));
  copy.reset();
  EXPECT_TRUE(exports.try_take("pvhcc"));
}

}  // namespace
}  // namespace sipas::test
