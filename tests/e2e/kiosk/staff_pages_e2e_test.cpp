// The real kiosk under Xvfb with eight officers and six counters: on the smallest screen and in
// portrait, tapping ▼ on the staff screen's lists shows every counter and officer, each once.
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e_support.hpp"

namespace sipas {
namespace {

using namespace e2e;

struct Size {
  int w, h;
};

class StaffPagesE2e : public ::testing::TestWithParam<Size> {
 protected:
  void SetUp() override {
    for (const char* tool : {"Xvfb", "xdotool"}) {
      if (!have_tool(tool)) GTEST_SKIP() << tool << " is not installed";
    }
  }

  // The sample configuration with eight officers at counter q1 (one of them also at each other
  // counter) and six counters.
  fs::path make_config() {
    const fs::path cfg = dir_ / "config";
    fs::copy(fs::path(SIPAS_SOURCE_DIR) / "kiosk-config", cfg, fs::copy_options::recursive);
    auto j = nlohmann::json::parse(read_file(cfg / "kiosk.json"));
    const char* names[] = {"Nguyễn Thị Hồng Nhung", "Trần Văn Minh", "Phạm Thu Hà",   "Lê Quang Huy",
                           "Vũ Thị Lan Anh",        "Đỗ Mạnh Cường", "Hoàng Minh Tuấn", "Bùi Thị Thu Trang"};
    nlohmann::json officers = nlohmann::json::array();
    for (int i = 0; i < 8; ++i) {
      officers.push_back({{"id", "officer" + std::to_string(i + 1)}, {"name", names[i]}});
      expected_officers_["officer" + std::to_string(i + 1)] = 1;
    }
    nlohmann::json counters = nlohmann::json::array();
    for (int i = 1; i <= 6; ++i) {
      counters.push_back({{"id", "q" + std::to_string(i)},
                          {"name", "Quầy " + std::to_string(i) + " – Một cửa"},
                          {"officers", i == 1 ? officers : nlohmann::json::array({officers[i]})}});
      expected_counters_["q" + std::to_string(i)] = 1;
    }
    j["counters"] = counters;
    j["counter"] = "q1";
    j["db_path"] = (dir_ / "kiosk.db").string();
    j["server"]["url"] = "http://127.0.0.1:1";
    std::ofstream(cfg / "kiosk.json") << j.dump(2);
    return cfg;
  }

  // Taps `list`'s ▼ until it is gone and counts the ids starting with `prefix` on each page.
  std::map<std::string, int> reach_all(KioskSession& k, nlohmann::json d, const std::string& list,
                                       const std::string& prefix) {
    std::map<std::string, int> seen;
    for (int pages = 0; pages < 20; ++pages) {
      for (const auto& e : d["elements"]) {
        const std::string id = e.value("id", "");
        if (id.rfind(prefix, 0) == 0) ++seen[id.substr(prefix.size())];
      }
      const nlohmann::json* next = find_element(d, "staff-" + list + "-next");
      if (!next) break;
      const std::string before = labels(d)["staff-" + list + "-page"];
      EXPECT_FALSE(before.empty()) << "a paged list says which rows show";
      k.tap(d, "staff-" + list + "-next");
      d = k.wait_until("the next page of " + list, [&](const nlohmann::json& dump) {
        return labels(dump)["staff-" + list + "-page"] != before;
      });
    }
    return seen;
  }

  TempDir dir_;
  std::map<std::string, int> expected_officers_, expected_counters_;
};

TEST_P(StaffPagesE2e, EveryCounterAndOfficerIsReachedThroughThePageButtons) {
  const Size size = GetParam();
  const fs::path cfg = make_config();
  ASSERT_EQ(run("echo 1234 | " + std::string(SIPAS_KIOSK_BIN) + " set-pin --config " + cfg.string() +
                " >/dev/null"),
            0);
  // Enough that every officer has responses today at any hour: which officer each response gets
  // shifts with how many of the day's times fall after now (240 left officer2 without one on a
  // Sunday afternoon).
  ASSERT_EQ(run(std::string(SIPAS_KIOSK_BIN) + " --config " + cfg.string() + " --db " + (dir_ / "kiosk.db").string() +
                " generate --count 2000 --days 1 --seed 3 >/dev/null"),
            0);
  KioskSession k(dir_.path(), SIPAS_KIOSK_BIN);
  k.start(cfg, size.w, size.h, {"--db", (dir_ / "kiosk.db").string()});
  nlohmann::json d = k.open_staff("1234");
  ASSERT_EQ(d.value("screen", ""), "staff");
  d = k.wait_until("the Today tab's lists", [](const nlohmann::json& dump) {
    return find_element(dump, "staff-counters-row-q1") != nullptr;
  });
  EXPECT_EQ(reach_all(k, d, "officers", "staff-officers-row-"), expected_officers_);
  EXPECT_EQ(reach_all(k, k.current(), "counters", "staff-counters-row-"), expected_counters_);

  k.tap(k.current(), "staff-tab-shift");
  d = k.wait_element("staff-officer-officer1");
  EXPECT_EQ(reach_all(k, d, "shift-officers", "staff-officer-"), expected_officers_);
}

INSTANTIATE_TEST_SUITE_P(Sizes, StaffPagesE2e, ::testing::Values(Size{800, 480}, Size{1080, 1920}),
                         [](const auto& info) {
                           return std::to_string(info.param.w) + "x" + std::to_string(info.param.h);
                         });

}  // namespace
}  // namespace sipas
