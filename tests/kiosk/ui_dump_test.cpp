#include "ui_dump.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "temp_dir.hpp"

namespace sipas {
namespace {

using namespace std::chrono_literals;

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

UiSnapshot snap(const std::string& screen, int step = 0) {
  return UiSnapshot{screen, step, {UiElement{"start", "", 0, 0, 100, 100}}};
}

TEST(UiDumpWriter, WritesTheFirstSnapshotAtOnceWithoutLeavingATempFile) {
  test::TempDir dir;
  UiDumpWriter w(dir / "ui.json");
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  ASSERT_TRUE(w.update(snap("welcome"), t0).is_ok());
  const auto j = nlohmann::json::parse(read(dir / "ui.json"));
  EXPECT_EQ(j["screen"], "welcome");
  EXPECT_FALSE(std::filesystem::exists(dir / "ui.json.tmp"));
  EXPECT_FALSE(w.deadline().has_value());
}

TEST(UiDumpWriter, ChangesWithin100msWaitForTheGap) {
  test::TempDir dir;
  UiDumpWriter w(dir / "ui.json");
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  ASSERT_TRUE(w.update(snap("welcome"), t0).is_ok());
  ASSERT_TRUE(w.update(snap("question", 1), t0 + 40ms).is_ok());
  EXPECT_EQ(nlohmann::json::parse(read(dir / "ui.json"))["screen"], "welcome");
  ASSERT_TRUE(w.deadline().has_value());
  EXPECT_EQ(*w.deadline(), t0 + 100ms);
  ASSERT_TRUE(w.flush(t0 + 99ms).is_ok());
  EXPECT_EQ(nlohmann::json::parse(read(dir / "ui.json"))["screen"], "welcome");
  ASSERT_TRUE(w.flush(t0 + 100ms).is_ok());
  const auto j = nlohmann::json::parse(read(dir / "ui.json"));
  EXPECT_EQ(j["screen"], "question");
  EXPECT_EQ(j["step"], 1);
  EXPECT_FALSE(w.deadline().has_value());
}

TEST(UiDumpWriter, AnUnchangedSnapshotIsNotRewritten) {
  test::TempDir dir;
  UiDumpWriter w(dir / "ui.json");
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  ASSERT_TRUE(w.update(snap("welcome"), t0).is_ok());
  std::filesystem::remove(dir / "ui.json");
  ASSERT_TRUE(w.update(snap("welcome"), t0 + 1s).is_ok());
  EXPECT_FALSE(std::filesystem::exists(dir / "ui.json"));
}

TEST(UiDumpWriter, AnUnwritableDirectoryIsAnIoError) {
  UiDumpWriter w("/nonexistent-dir/ui.json");
  const Status st = w.update(snap("welcome"), std::chrono::steady_clock::time_point{} + 1h);
  EXPECT_EQ(st.code(), ErrorCode::io_error);
}

}  // namespace
}  // namespace sipas
