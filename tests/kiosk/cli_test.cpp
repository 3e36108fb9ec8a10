#include "cli.hpp"

#include <gtest/gtest.h>

namespace sipas {
namespace {

TEST(KioskArgs, RunWithEveryOption) {
  auto a = parse_kiosk_args({"--config", "cfg", "--db", "k.db", "--server", "http://127.0.0.1:1",
                             "--token-file", "t", "--ui-dump", "ui.json", "--windowed", "800x480"});
  ASSERT_TRUE(a.is_ok()) << a.status().message();
  EXPECT_EQ(a->command, KioskCommand::run);
  EXPECT_EQ(a->config_dir, "cfg");
  EXPECT_EQ(a->db, "k.db");
  EXPECT_EQ(a->server, "http://127.0.0.1:1");
  EXPECT_EQ(a->token_file, "t");
  EXPECT_EQ(a->ui_dump, "ui.json");
  ASSERT_TRUE(a->windowed.has_value());
  EXPECT_EQ(a->windowed->first, 800);
  EXPECT_EQ(a->windowed->second, 480);
}

TEST(KioskArgs, GenerateNeedsACount) {
  auto a = parse_kiosk_args({"--config", "cfg", "--db", "k.db", "generate", "--count", "50",
                             "--days", "7", "--seed", "42"});
  ASSERT_TRUE(a.is_ok()) << a.status().message();
  EXPECT_EQ(a->command, KioskCommand::generate);
  EXPECT_EQ(a->count, 50);
  EXPECT_EQ(a->days, 7);
  EXPECT_EQ(a->seed, 42u);
  auto missing = parse_kiosk_args({"--config", "cfg", "generate"});
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("--count"), std::string::npos);
}

TEST(KioskArgs, SetPinTakesTheConfigDir) {
  auto a = parse_kiosk_args({"set-pin", "--config", "cfg"});
  ASSERT_TRUE(a.is_ok());
  EXPECT_EQ(a->command, KioskCommand::set_pin);
}

TEST(KioskArgs, HelpAndVersionNeedNothingElse) {
  EXPECT_EQ(parse_kiosk_args({"--help"})->command, KioskCommand::help);
  EXPECT_EQ(parse_kiosk_args({"--version"})->command, KioskCommand::version);
}

TEST(KioskArgs, MistakesAreNamed) {
  auto no_config = parse_kiosk_args({});
  ASSERT_FALSE(no_config.is_ok());
  EXPECT_NE(no_config.status().message().find("--config"), std::string::npos);
  auto unknown = parse_kiosk_args({"--config", "c", "--fullscreen"});
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_NE(unknown.status().message().find("--fullscreen"), std::string::npos);
  auto bad_size = parse_kiosk_args({"--config", "c", "--windowed", "big"});
  ASSERT_FALSE(bad_size.is_ok());
  EXPECT_NE(bad_size.status().message().find("--windowed"), std::string::npos);
  auto no_value = parse_kiosk_args({"--config"});
  ASSERT_FALSE(no_value.is_ok());
  EXPECT_EQ(no_value.status().code(), ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace sipas
