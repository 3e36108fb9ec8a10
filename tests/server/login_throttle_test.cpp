#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sipas/server/log_text.hpp"
#include "sipas/server/login_throttle.hpp"
#include "sipas/server/one_at_a_time.hpp"
#include "sipas/server/server_store.hpp"
#include "temp_dir.hpp"
#include "test_database.hpp"

namespace sipas::test {
namespace {

using std::chrono::seconds;

const TimePoint kStart = *parse_rfc3339("2026-09-30T08:00:00Z");

// The policy, on the storage's own book (SQLite, or PostgreSQL in the pg/ run).
class LoginThrottleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(db_.db().empty());
    auto store = ServerStore::open(db_.db());  // creates and migrates the database
    ASSERT_TRUE(store.is_ok()) << store.status().message();
    use(ThrottlePolicy{});
  }
  void use(ThrottlePolicy p) { throttle_ = std::make_unique<LoginThrottle>(p, book_); }

  std::optional<seconds> locked(const std::string& u, const std::string& a, TimePoint now) {
    auto r = throttle_->locked(u, a, now);
    EXPECT_TRUE(r.is_ok()) << r.status().message();
    return r.is_ok() ? *r : std::nullopt;
  }
  std::optional<seconds> failed(const std::string& u, const std::string& a, TimePoint now) {
    auto r = throttle_->failed(u, a, now);
    EXPECT_TRUE(r.is_ok()) << r.status().message();
    return r.is_ok() ? *r : std::nullopt;
  }

  TempDir dir_;
  TestDatabase db_{dir_.path()};
  StoreThrottleBook book_{db_.db()};
  std::unique_ptr<LoginThrottle> throttle_;
};

TEST_F(LoginThrottleTest, FirstFailuresAreFreeThenLocksDouble) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(locked("u", "a", kStart));
    EXPECT_FALSE(failed("u", "a", kStart));
  }
  EXPECT_EQ(failed("u", "a", kStart), seconds(1));
  EXPECT_EQ(locked("u", "a", kStart), seconds(1));
  EXPECT_EQ(failed("u", "a", kStart + seconds(1)), seconds(2));
  EXPECT_EQ(failed("u", "a", kStart + seconds(3)), seconds(4));
  EXPECT_EQ(locked("u", "a", kStart + seconds(4)), seconds(3));
  EXPECT_FALSE(locked("u", "a", kStart + seconds(7)));
}

TEST_F(LoginThrottleTest, LockHasACeiling) {
  ThrottlePolicy p;
  p.longest_lock = seconds(60);
  use(p);
  std::optional<seconds> last;
  for (int i = 0; i < 200; ++i) last = failed("u", "a", kStart + seconds(i));
  EXPECT_EQ(last, seconds(60));
}

TEST_F(LoginThrottleTest, SuccessClearsTheUserAndTheAddress) {
  for (int i = 0; i < 6; ++i) failed("u", "a", kStart);
  ASSERT_TRUE(locked("u", "a", kStart));
  ASSERT_TRUE(throttle_->succeeded("u", "a").is_ok());
  EXPECT_FALSE(locked("u", "a", kStart));
  EXPECT_FALSE(failed("u", "a", kStart));  // free failures again
}

TEST_F(LoginThrottleTest, OneUsersLockLeavesOtherUsersAlone) {
  for (int i = 0; i < 8; ++i) failed("guessed", "10.0.0.1", kStart);
  EXPECT_TRUE(locked("guessed", "10.0.0.1", kStart));
  EXPECT_TRUE(locked("guessed", "10.0.0.2", kStart));  // the name is locked from anywhere
  EXPECT_FALSE(locked("colleague", "10.0.0.1", kStart));
}

TEST_F(LoginThrottleTest, AnAddressTryingManyNamesIsLocked) {
  for (int i = 0; i < 20; ++i) {
    EXPECT_FALSE(failed("user" + std::to_string(i), "10.0.0.9", kStart)) << i;
  }
  EXPECT_EQ(failed("user20", "10.0.0.9", kStart), seconds(1));
  EXPECT_TRUE(locked("anyone", "10.0.0.9", kStart));
  EXPECT_FALSE(locked("anyone", "10.0.0.10", kStart));
}

TEST_F(LoginThrottleTest, OldFailuresAreForgotten) {
  for (int i = 0; i < 5; ++i) failed("u", "a", kStart);
  EXPECT_FALSE(failed("u", "a", kStart + std::chrono::hours(2)));
}

TEST_F(LoginThrottleTest, ForgottenFailuresLeaveTheBook) {
  for (int i = 0; i < 3; ++i) failed("u" + std::to_string(i), "10.0.0.1", kStart);
  EXPECT_EQ(db_.query("SELECT COUNT(*) FROM login_failures"), "4");
  failed("late", "10.0.0.2", kStart + std::chrono::hours(2));
  EXPECT_EQ(db_.query("SELECT COUNT(*) FROM login_failures"), "2") << "only the late ones are kept";
}

TEST_F(LoginThrottleTest, TheBookHoldsNoUserNames) {
  failed("nguyen.van.a", "10.0.0.1", kStart);
  EXPECT_EQ(db_.query("SELECT COUNT(*) FROM login_failures WHERE key LIKE '%nguyen%'"), "0");
}

// Several servers on one database count the same failures: a guesser spreading attempts over
// them is locked out on all, and a success on one clears the count everywhere.
TEST_F(LoginThrottleTest, ServersOnOneDatabaseShareTheCountsAndTheLock) {
  StoreThrottleBook other_book(db_.db());
  LoginThrottle other(ThrottlePolicy{}, other_book);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(failed("u", "10.0.0.1", kStart));
    auto r = other.failed("u", "10.0.0.2", kStart);
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    if (i < 2) {
      EXPECT_FALSE(*r);
    }
  }
  auto on_other = other.locked("u", "10.0.0.3", kStart);
  ASSERT_TRUE(on_other.is_ok());
  EXPECT_EQ(*on_other, seconds(1)) << "six failures over two servers lock the name on both";
  EXPECT_EQ(locked("u", "10.0.0.4", kStart), seconds(1));
  ASSERT_TRUE(other.succeeded("u", "10.0.0.2").is_ok());
  EXPECT_FALSE(locked("u", "10.0.0.1", kStart + seconds(2)));
  EXPECT_FALSE(failed("u", "10.0.0.1", kStart + seconds(2))) << "free failures again";
}

// Failures counted at the same moment on several connections are all counted.
TEST_F(LoginThrottleTest, ConcurrentFailuresAreEachCounted) {
  ThrottlePolicy p;
  p.free_failures_per_user = 40;
  use(p);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      StoreThrottleBook book(db_.db());
      LoginThrottle t(p, book);
      for (int i = 0; i < 10; ++i) {
        auto r = t.failed("u", "10.0.1." + std::to_string(k), kStart);
        EXPECT_TRUE(r.is_ok()) << r.status().message();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(locked("u", "10.0.2.1", kStart)) << "40 failures are still free";
  EXPECT_EQ(failed("u", "10.0.2.1", kStart), seconds(1)) << "the 41st locks: none was lost";
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
