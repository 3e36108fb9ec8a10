// The staff screen's model on real SQLite files: today's figures against the shared scoring
// library, the officer choice applied and remembered, CSV exports and their errors, sync state.
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

#include <gtest/gtest.h>

#include "csv_reader.hpp"
#include "kiosk_test_support.hpp"
#include "staff.hpp"
#include "store_sink.hpp"
#include "temp_dir.hpp"

namespace sipas {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// 09:00 in Hà Nội on 24 Nov 2026.
TimePoint morning() { return TimePoint{std::chrono::sys_days(std::chrono::year{2026} / 11 / 24)} + 2h; }

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class StaffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = testing::test_config(testing::short_survey());
    config_.unit.time_zone = "Asia/Ho_Chi_Minh";
    config_.counters[0].officers.push_back(Officer{"o2", "Trần Văn Bình"});
    config_.counters.push_back(Counter{"q2", "Quầy 2 – Tư pháp", {Officer{"o3", "Lê Thị Lan"}}});
    config_.export_dir = (dir_ / "usb").string();
    auto tz = TimeZone::load("Asia/Ho_Chi_Minh");
    ASSERT_TRUE(tz.is_ok());
    tz_ = *tz;
    open_store();
  }

  void open_store() {
    store_.reset();
    auto s = ResponseStore::open((dir_ / "kiosk.db").string());
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    store_ = std::move(s).value();
  }

  ResponseDraft draft(TimePoint at, std::vector<Answer> answers, std::string counter = "q1",
                      std::optional<std::string> officer = "o1") {
    ResponseDraft d;
    d.survey_id = "short";
    d.survey_version = 3;
    d.unit = config_.unit.code;
    d.counter = std::move(counter);
    d.officer = std::move(officer);
    d.started_at = at - 30s;
    d.submitted_at = at;
    d.answers = std::move(answers);
    return d;
  }

  void add(const ResponseDraft& d) { ASSERT_TRUE(store_->append(d).is_ok()); }

  test::TempDir dir_;
  KioskConfig config_;
  TimeZone tz_ = TimeZone::utc();
  ManualClock clock_{morning()};
  std::unique_ptr<ResponseStore> store_;
};

TEST_F(StaffTest, TodayFiguresEqualScoreLikertOverTheSameTally) {
  add(draft(morning() - 1h, {{"access.waiting_time", 5}, {"officer.polite", 4}, {"officer.guidance", 2}}));
  add(draft(morning() - 30min, {{"access.waiting_time", 1}, {"officer.polite", 5}}, "q2", "o3"));
  auto partial = draft(morning() - 10min, {{"officer.polite", 3}});
  partial.status = ResponseStatus::partial;
  add(partial);
  add(draft(morning() - 24h, {{"access.waiting_time", 1}}));  // yesterday: not in today's figures

  StaffModel staff(config_, tz_, clock_);
  ASSERT_TRUE(staff.refresh(*store_, false).is_ok());
  const Date today = tz_.local_date(morning());
  TallyFilter f;
  f.survey_id = "short";
  auto tally = store_->tally(tz_, today, today, f);
  ASSERT_TRUE(tally.is_ok());
  const SurveyScore expected = score_likert(config_.survey(), *tally);

  const TodayFigures& t = staff.today();
  EXPECT_EQ(t.complete, 2);
  EXPECT_EQ(t.partial, 1);
  ASSERT_TRUE(t.index.has_value());
  EXPECT_EQ(t.index, expected.index);
  ASSERT_EQ(t.score.elements.size(), expected.elements.size());
  for (std::size_t i = 0; i < expected.elements.size(); ++i) {
    EXPECT_EQ(t.score.elements[i].index, expected.elements[i].index);
    ASSERT_EQ(t.score.elements[i].criteria.size(), expected.elements[i].criteria.size());
    for (std::size_t k = 0; k < expected.elements[i].criteria.size(); ++k) {
      EXPECT_EQ(t.score.elements[i].criteria[k].index, expected.elements[i].criteria[k].index);
    }
  }
}

TEST_F(StaffTest, TodayFiguresSplitByCounterAndOfficerAndTrendOverSevenAndThirtyDays) {
  add(draft(morning() - 1h, {{"officer.polite", 5}}));
  add(draft(morning() - 50min, {{"officer.polite", 1}}, "q1", "o2"));
  add(draft(morning() - 40min, {{"officer.polite", 4}}, "q2", "o3"));
  add(draft(morning() - 72h, {{"officer.polite", 1}}));
  StaffModel staff(config_, tz_, clock_);
  ASSERT_TRUE(staff.refresh(*store_, false).is_ok());
  const TodayFigures& t = staff.today();
  ASSERT_EQ(t.counters.size(), 2u);
  EXPECT_EQ(t.counters[0].id, "q1");
  EXPECT_EQ(t.counters[0].responses, 2);
  EXPECT_EQ(t.counters[0].index, 50.0);
  EXPECT_EQ(t.counters[1].name, "Quầy 2 – Tư pháp");
  EXPECT_EQ(t.counters[1].index, 100.0);
  ASSERT_EQ(t.officers.size(), 3u);
  EXPECT_EQ(t.officers[1].name, "Trần Văn Bình");
  EXPECT_EQ(t.officers[1].index, 0.0);
  ASSERT_EQ(t.last7.size(), 7u);
  ASSERT_EQ(t.last30.size(), 30u);
  EXPECT_EQ(t.last7.back().responses, 3);
  EXPECT_EQ(t.last7[3].responses, 1);
  EXPECT_EQ(t.last7[3].index, 0.0);
  EXPECT_FALSE(t.last7[4].index.has_value());
}

TEST_F(StaffTest, MostChosenReasonsAndLatestCommentsComeFirst) {
  auto a = draft(morning() - 1h, {{"officer.polite", 1}});
  a.reasons = {"long_wait", "officer_attitude"};
  a.comment = "Chờ quá lâu";
  add(a);
  auto b = draft(morning() - 30min, {{"officer.polite", 2}});
  b.reasons = {"long_wait"};
  b.comment = "Cần thêm ghế";
  add(b);
  StaffModel staff(config_, tz_, clock_);
  ASSERT_TRUE(staff.refresh(*store_, false).is_ok());
  const TodayFigures& t = staff.today();
  ASSERT_EQ(t.reasons.size(), 2u);
  EXPECT_EQ(t.reasons[0].id, "long_wait");
  EXPECT_EQ(t.reasons[0].count, 2);
  EXPECT_EQ(t.reasons[0].text, "Chờ lâu");
  ASSERT_EQ(t.comments.size(), 2u);
  EXPECT_EQ(t.comments[0].text, "Cần thêm ghế");
}

TEST_F(StaffTest, ShiftChangeAppliesToTheNextResponseAndIsRememberedAcrossReopen) {
  store_.reset();
  StoreSink sink((dir_ / "kiosk.db").string());
  ASSERT_TRUE(sink.open().is_ok());
  FlowSettings settings = FlowSettings::from_config(config_);
  Flow flow(config_, settings, sink, clock_, tz_);
  flow.set_officer(initial_officer(config_, sink.store()));
  EXPECT_EQ(flow.officer(), "o1");
  StaffModel staff(config_, tz_, clock_);

  auto act = [&](ActionKind k, int v = 0, std::string text = {}) {
    clock_.advance(700ms);
    const Action a{k, v, std::move(text)};
    const bool ok = flow.dispatch(a);
    if (ok && flow.screen() == Screen::staff) {
      EXPECT_TRUE(staff.apply(a, sink.store(), {}).is_ok());
    }
    clock_.advance(400ms);
    flow.tick();
    return ok;
  };
  act(ActionKind::corner_down);
  clock_.advance(3s);
  flow.tick();
  for (char c : std::string("2468")) act(ActionKind::pin_key, c);
  ASSERT_TRUE(act(ActionKind::pin_submit));
  ASSERT_EQ(flow.screen(), Screen::staff);
  EXPECT_FALSE(act(ActionKind::staff_officer, 0, "o3"));  // works at another counter
  ASSERT_TRUE(act(ActionKind::staff_officer, 0, "o2"));
  EXPECT_EQ(flow.officer(), "o2");
  ASSERT_TRUE(act(ActionKind::staff_back));

  clock_.advance(15s);
  for (int v : {5, 4, 4}) ASSERT_TRUE(act(ActionKind::answer, v));
  ASSERT_TRUE(act(ActionKind::followup_finish));
  auto rows = sink.store()->responses_between(morning() - 24h, clock_.now() + 1s);
  ASSERT_TRUE(rows.is_ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].officer, "o2");

  StoreSink reopened((dir_ / "kiosk.db").string());
  ASSERT_TRUE(reopened.open().is_ok());
  EXPECT_EQ(initial_officer(config_, reopened.store()), "o2");
}

TEST_F(StaffTest, AStoredOfficerNoLongerAtTheCounterFallsBackToTheFirst) {
  ASSERT_TRUE(store_->set_setting("officer.q1", "gone").is_ok());
  EXPECT_EQ(initial_officer(config_, store_.get()), "o1");
  EXPECT_EQ(initial_officer(config_, nullptr), "o1");
}

TEST_F(StaffTest, CsvHasABomAndQuotesVietnameseCommentsWithCommasAndQuotes) {
  auto a = draft(morning() - 1h, {{"access.waiting_time", 5}, {"officer.polite", std::nullopt}});
  a.comment = "Cán bộ nhiệt tình, nhưng \"hẹn\" trả kết quả trễ";
  a.reasons = {"long_wait", "officer_attitude"};
  add(a);
  auto rows = store_->responses_between(morning() - 24h, morning());
  ASSERT_TRUE(rows.is_ok());
  const std::string csv = responses_csv(config_.survey(), *rows, tz_);
  ASSERT_GE(csv.size(), 3u);
  EXPECT_EQ(csv.substr(0, 3), "\xEF\xBB\xBF");
  const std::string head = "id,seq,submitted_at,survey,counter,officer,dossier,procedure,language,"
                           "status,access.waiting_time,officer.polite,officer.guidance,reasons,"
                           "comment\r\n";
  EXPECT_EQ(csv.substr(3, head.size()), head);
  const std::string row = csv.substr(3 + head.size());
  EXPECT_NE(row.find(",1,2026-11-24 08:00:00,short,q1,o1,,,vi,complete,5,NA,,long_wait;officer_attitude,"
                     "\"Cán bộ nhiệt tình, nhưng \"\"hẹn\"\" trả kết quả trễ\"\r\n"),
            std::string::npos)
      << row;
}

TEST_F(StaffTest, CsvCarriesTheProcedure) {
  auto a = draft(morning() - 1h, {{"access.waiting_time", 4}});
  a.dossier = "H40-7";
  a.procedure = "1.001193";
  add(a);
  auto rows = store_->responses_between(morning() - 24h, morning());
  ASSERT_TRUE(rows.is_ok());
  const std::string csv = responses_csv(config_.survey(), *rows, tz_);
  EXPECT_NE(csv.find(",short,q1,o1,H40-7,1.001193,vi,complete,4,"), std::string::npos) << csv;
}

TEST_F(StaffTest, ExportedDossiersAndCommentsThatLookLikeFormulasStayText) {
  // The dossier field takes any printable ASCII from a barcode scanner; the comment, anything.
  const std::vector<std::string> hostile = {"=HYPERLINK(\"http://x\",\"y\")", "=1+1", "@SUM(A1)",
                                            "-2+3", "+1", "\t=1+1"};
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    auto d = draft(morning() - 1h + std::chrono::minutes(i), {{"officer.polite", 4}});
    d.dossier = hostile[i];
    d.comment = hostile[hostile.size() - 1 - i];
    add(d);
  }
  fs::create_directories(dir_ / "usb");
  StaffModel staff(config_, tz_, clock_);
  const ExportOutcome out = staff.export_csv(*store_, ExportRange::today);
  ASSERT_TRUE(out.status.is_ok()) << out.status.to_string();
  const std::string text = read_all(out.file);
  ASSERT_EQ(text.substr(0, 3), "\xEF\xBB\xBF");
  const auto rows = test::parse_csv(text.substr(3));
  ASSERT_EQ(rows.size(), 1 + hostile.size());
  const auto& head = rows[0];
  const auto col = [&head](const std::string& name) {
    return static_cast<std::size_t>(std::find(head.begin(), head.end(), name) - head.begin());
  };
  ASSERT_LT(col("dossier"), head.size());
  ASSERT_LT(col("comment"), head.size());
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    const auto& row = rows[1 + i];
    ASSERT_EQ(row.size(), head.size()) << text;
    EXPECT_EQ(row[col("dossier")], "'" + hostile[i]);
    EXPECT_EQ(row[col("comment")], "'" + hostile[hostile.size() - 1 - i]);
    EXPECT_EQ(row[col("seq")], std::to_string(i + 1));
    EXPECT_EQ(row[col("officer.polite")], "4");
    for (const std::string& cell : row) {
      EXPECT_TRUE(cell.empty() || std::string("=+-@\t\r").find(cell.front()) == std::string::npos)
          << "a spreadsheet would run " << cell;
    }
  }
}

TEST_F(StaffTest, ExportWritesTodaysAndThisMonthsResponsesAtomically) {
  add(draft(morning() - 1h, {{"officer.polite", 5}}));
  add(draft(morning() - 5 * 24h, {{"officer.polite", 4}}));
  add(draft(morning() - 40 * 24h, {{"officer.polite", 3}}));
  fs::create_directories(dir_ / "usb");
  StaffModel staff(config_, tz_, clock_);
  ExportOutcome today = staff.export_csv(*store_, ExportRange::today);
  ASSERT_TRUE(today.status.is_ok()) << today.status.to_string();
  EXPECT_EQ(today.rows, 1);
  EXPECT_EQ(today.file, dir_ / "usb" / "sipas-K01-2026-11-24.csv");
  ExportOutcome month = staff.export_csv(*store_, ExportRange::month);
  ASSERT_TRUE(month.status.is_ok());
  EXPECT_EQ(month.rows, 2);
  EXPECT_EQ(month.file.filename(), "sipas-K01-2026-11.csv");
  const std::string text = read_all(month.file);
  EXPECT_EQ(text.substr(0, 3), "\xEF\xBB\xBF");
  int lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(lines, 3);
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "usb")) files += e.is_regular_file();
  EXPECT_EQ(files, 2) << "no temporary file is left";
}

TEST_F(StaffTest, ExportToAMissingFolderSaysItIsMissing) {
  add(draft(morning() - 1h, {{"officer.polite", 5}}));
  StaffModel staff(config_, tz_, clock_);
  ExportOutcome out = staff.export_csv(*store_, ExportRange::today);
  EXPECT_EQ(out.status.code(), ErrorCode::not_found);
  EXPECT_FALSE(fs::exists(dir_ / "usb"));
}

TEST_F(StaffTest, ExportToAReadOnlyFolderSaysItCannotWrite) {
  if (::geteuid() != 0) GTEST_SKIP() << "a read-only bind mount needs root";
  fs::create_directories(dir_ / "src");
  fs::create_directories(dir_ / "usb");
  if (::mount((dir_ / "src").c_str(), (dir_ / "usb").c_str(), nullptr, MS_BIND, nullptr) != 0) {
    GTEST_SKIP() << "cannot bind-mount here";
  }
  const bool ro =
      ::mount(nullptr, (dir_ / "usb").c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) == 0;
  add(draft(morning() - 1h, {{"officer.polite", 5}}));
  StaffModel staff(config_, tz_, clock_);
  ExportOutcome out;
  if (ro) out = staff.export_csv(*store_, ExportRange::today);
  ::umount2((dir_ / "usb").c_str(), MNT_DETACH);
  if (!ro) GTEST_SKIP() << "cannot remount read-only here";
  EXPECT_EQ(out.status.code(), ErrorCode::read_only) << out.status.to_string();
  EXPECT_TRUE(fs::is_empty(dir_ / "src"));
}

TEST_F(StaffTest, ExportToAFullFolderSaysItIsFullAndLeavesNothingBehind) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  fs::create_directories(dir_ / "usb");
  if (::mount("tmpfs", (dir_ / "usb").c_str(), "tmpfs", 0, "size=16k") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here";
  }
  for (int i = 0; i < 150; ++i) {
    auto d = draft(morning() - 2h + std::chrono::seconds(i * 20), {{"officer.polite", 4}});
    d.comment = std::string(300, 'x');
    add(d);
  }
  StaffModel staff(config_, tz_, clock_);
  ExportOutcome out = staff.export_csv(*store_, ExportRange::today);
  const bool empty = fs::is_empty(dir_ / "usb");
  ::umount2((dir_ / "usb").c_str(), MNT_DETACH);
  EXPECT_EQ(out.status.code(), ErrorCode::disk_full) << out.status.to_string();
  EXPECT_TRUE(empty);
}

TEST_F(StaffTest, SyncFiguresShowPendingLastUploadLastErrorAndRejections) {
  add(draft(morning() - 1h, {{"officer.polite", 5}}));
  add(draft(morning() - 30min, {{"officer.polite", 4}}));
  auto rows = store_->responses_between(morning() - 24h, morning());
  ASSERT_TRUE(rows.is_ok());
  ASSERT_TRUE(store_->mark_rejected((*rows)[0].id, "survey version unknown").is_ok());
  ASSERT_TRUE(store_->set_setting("sync.last_success_at", "2026-11-24T01:00:00Z").is_ok());
  ASSERT_TRUE(store_->set_setting("sync.last_error", "the server did not answer").is_ok());
  ASSERT_TRUE(store_->set_setting("sync.server_reachable", "0").is_ok());
  StaffModel staff(config_, tz_, clock_);
  ASSERT_TRUE(staff.refresh(*store_, true).is_ok());
  const SyncFigures& s = staff.sync();
  EXPECT_TRUE(s.configured);
  EXPECT_EQ(s.pending, 1);
  EXPECT_EQ(s.last_success, parse_rfc3339("2026-11-24T01:00:00Z"));
  EXPECT_EQ(s.last_error, "the server did not answer");
  EXPECT_FALSE(s.server_reachable);
  ASSERT_EQ(s.rejected.size(), 1u);
  EXPECT_EQ(s.rejected[0].reason, "survey version unknown");
}

TEST_F(StaffTest, SyncFiguresShowTheConfigurationVersionAndWhyTheLastOneWasRefused) {
  StaffModel staff(config_, tz_, clock_);
  ASSERT_TRUE(staff.refresh(*store_, true).is_ok());
  EXPECT_FALSE(staff.sync().config_version.has_value());
  EXPECT_TRUE(staff.sync().config_error.empty());
  ASSERT_TRUE(store_->set_setting("config.version", "7").is_ok());
  ASSERT_TRUE(store_->set_setting("config.last_error", "configuration refused: signature does not match").is_ok());
  ASSERT_TRUE(staff.refresh(*store_, true).is_ok());
  EXPECT_EQ(staff.sync().config_version, 7);
  EXPECT_EQ(staff.sync().config_error, "configuration refused: signature does not match");
}

TEST_F(StaffTest, SyncNowAndTabActionsReachTheirTargets) {
  StaffModel staff(config_, tz_, clock_);
  int calls = 0;
  const std::function<void()> sync_now = [&calls] { ++calls; };
  ASSERT_TRUE(staff.apply(Action{ActionKind::staff_sync_now, 0, {}}, store_.get(), sync_now).is_ok());
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(staff.sync_requested());
  ASSERT_TRUE(staff.apply(Action{ActionKind::staff_tab, 4, {}}, store_.get(), sync_now).is_ok());
  EXPECT_EQ(staff.tab(), StaffTab::shift);
  ASSERT_TRUE(staff.apply(Action{ActionKind::staff_tab, 9, {}}, store_.get(), sync_now).is_ok());
  EXPECT_EQ(staff.tab(), StaffTab::shift);
}

TEST_F(StaffTest, TheVolumeStaffSetIsStoredAndWinsOverTheConfigAtTheNextStart) {
  config_.voice.volume = 80;
  EXPECT_EQ(initial_volume(config_, store_.get()), 80) << "nothing stored yet: the config's";
  EXPECT_EQ(initial_volume(config_, nullptr), 80);
  StaffModel staff(config_, tz_, clock_);
  ASSERT_TRUE(staff.apply(Action{ActionKind::staff_volume, 30, {}}, store_.get(), {}).is_ok());
  open_store();
  EXPECT_EQ(initial_volume(config_, store_.get()), 30);
}

TEST_F(StaffTest, AStoredVolumeThatIsNotANumberFallsBackToTheConfig) {
  config_.voice.volume = 65;
  ASSERT_TRUE(store_->set_setting("voice.volume", "loud").is_ok());
  EXPECT_EQ(initial_volume(config_, store_.get()), 65);
  ASSERT_TRUE(store_->set_setting("voice.volume", "140").is_ok());
  EXPECT_EQ(initial_volume(config_, store_.get()), 65);
}

TEST_F(StaffTest, TheVolumeButtonsStepByTenWithinZeroToHundred) {
  testing::MemorySink sink;
  Flow flow(config_, FlowSettings::from_config(config_), sink, clock_, tz_);
  flow.set_volume(95);
  // The staff screen, through the corner and the PIN.
  flow.dispatch(Action{ActionKind::corner_down, 0, {}});
  clock_.advance(3s);
  flow.tick();
  for (char c : std::string("2468")) flow.dispatch(Action{ActionKind::pin_key, c, {}});
  ASSERT_TRUE(flow.dispatch(Action{ActionKind::pin_submit, 0, {}}));
  ASSERT_EQ(flow.screen(), Screen::staff);
  EXPECT_TRUE(flow.dispatch(Action{ActionKind::staff_volume, 100, {}}));
  EXPECT_EQ(flow.volume(), 100);
  clock_.advance(1s);
  EXPECT_FALSE(flow.dispatch(Action{ActionKind::staff_volume, 110, {}}));
  EXPECT_EQ(flow.volume(), 100);
}

TEST(StaffPaging, APageShowsTheRowsThatFitAndSaysWhichOfHowMany) {
  const PageWindow first = page_window(8, 5, 0);
  EXPECT_EQ(first.first, 0u);
  EXPECT_EQ(first.count, 5u);
  EXPECT_TRUE(first.paged());
  EXPECT_FALSE(first.has_prev());
  EXPECT_TRUE(first.has_next());
  EXPECT_EQ(first.next_first(), 5u);
  EXPECT_EQ(page_label(first, "vi"), "1–5 / 8");

  const PageWindow last = page_window(8, 5, first.next_first());
  EXPECT_EQ(last.first, 5u);
  EXPECT_EQ(last.count, 3u);
  EXPECT_TRUE(last.has_prev());
  EXPECT_FALSE(last.has_next());
  EXPECT_EQ(last.prev_first(), 0u);
  EXPECT_EQ(page_label(last, "en"), "6–8 of 8");
}

TEST(StaffPaging, NextFromTheFirstPageReachesEveryRowOnce) {
  for (std::size_t per_page = 1; per_page <= 9; ++per_page) {
    std::vector<int> seen(8, 0);
    PageWindow w = page_window(8, per_page, 0);
    for (int pages = 0; pages < 20; ++pages) {
      for (std::size_t i = w.first; i < w.first + w.count; ++i) ++seen[i];
      if (!w.has_next()) break;
      w = page_window(8, per_page, w.next_first());
    }
    EXPECT_EQ(seen, std::vector<int>(8, 1)) << per_page << " rows a page";
  }
}

TEST(StaffPaging, ARowIsShownOnThePageThatHoldsItWhenTheScreenOrListChanges) {
  EXPECT_EQ(page_window(8, 5, 7).first, 5u) << "back to the start of its page";
  EXPECT_EQ(page_window(8, 3, 5).first, 3u) << "fewer rows fit: the page that holds row 5";
  const PageWindow shrunk = page_window(3, 5, 5);
  EXPECT_EQ(shrunk.first, 0u) << "the list became shorter than the row asked for";
  EXPECT_EQ(shrunk.count, 3u);
  EXPECT_FALSE(shrunk.paged());
  const PageWindow empty = page_window(0, 5, 3);
  EXPECT_EQ(empty.count, 0u);
  EXPECT_FALSE(empty.has_next());
  EXPECT_EQ(page_label(empty, "vi"), "0 / 0");
  EXPECT_EQ(page_window(4, 0, 2).count, 1u) << "at least one row a page";
}

TEST(StaffPaging, EveryListHasAStableNameForItsActionAndDumpIds) {
  for (std::size_t i = 0; i < kStaffListCount; ++i) {
    const auto list = static_cast<StaffList>(i);
    ASSERT_EQ(staff_list_from_string(to_string(list)), list);
  }
  EXPECT_STREQ(to_string(StaffList::officers), "officers");
  EXPECT_STREQ(to_string(StaffList::counters), "counters");
  EXPECT_STREQ(to_string(StaffList::rejected), "rejected");
  EXPECT_FALSE(staff_list_from_string("nothing").has_value());
}

TEST_F(StaffTest, APageActionMovesItsListAndATabChangeShowsFirstPagesAgain) {
  StaffModel staff(config_, tz_, clock_);
  ASSERT_TRUE(staff.apply(Action{ActionKind::staff_page, 5, "officers"}, store_.get(), {}).is_ok());
  EXPECT_EQ(staff.first_row(StaffList::officers), 5u);
  EXPECT_EQ(staff.first_row(StaffList::counters), 0u);
  ASSERT_TRUE(staff.apply(Action{ActionKind::staff_page, 2, "rejected"}, store_.get(), {}).is_ok());
  EXPECT_EQ(staff.first_row(StaffList::rejected), 2u);
  EXPECT_EQ(staff.apply(Action{ActionKind::staff_page, 1, "nothing"}, store_.get(), {}).code(),
            ErrorCode::invalid_argument);
  EXPECT_EQ(staff.apply(Action{ActionKind::staff_page, -1, "officers"}, store_.get(), {}).code(),
            ErrorCode::invalid_argument);
  EXPECT_EQ(staff.first_row(StaffList::officers), 5u);
  ASSERT_TRUE(staff.apply(Action{ActionKind::staff_tab, 3, {}}, store_.get(), {}).is_ok());
  EXPECT_EQ(staff.first_row(StaffList::officers), 0u);
  EXPECT_EQ(staff.first_row(StaffList::rejected), 0u);
}

TEST_F(StaffTest, APageTapOnTheStaffScreenCountsAsATouch) {
  testing::MemorySink sink;
  Flow flow(config_, FlowSettings::from_config(config_), sink, clock_, tz_);
  flow.dispatch(Action{ActionKind::corner_down, 0, {}});
  clock_.advance(3s);
  flow.tick();
  for (char c : std::string("2468")) {
    clock_.advance(500ms);
    flow.dispatch(Action{ActionKind::pin_key, c, {}});
  }
  clock_.advance(500ms);
  ASSERT_TRUE(flow.dispatch(Action{ActionKind::pin_submit, 0, {}}));
  ASSERT_EQ(flow.screen(), Screen::staff);
  clock_.advance(100s);
  EXPECT_TRUE(flow.dispatch(Action{ActionKind::staff_page, 5, "officers"}));
  clock_.advance(119s);
  flow.tick();
  EXPECT_EQ(flow.screen(), Screen::staff);
  clock_.advance(1s);
  flow.tick();
  EXPECT_EQ(flow.screen(), Screen::welcome);
}

// The app's StaffDesk: what the Flow hands over reaches the StaffModel and the store, and the
// figures are loaded again after it.
class StaffControllerTest : public StaffTest {
 protected:
  StaffController controller(StaffModel& staff, bool with_sync) {
    std::function<void()> sync_now;
    if (with_sync) sync_now = [this] { ++sync_calls_; };
    return StaffController(staff, [this]() -> ResponseStore* { return open_ ? store_.get() : nullptr; },
                           sync_now, [this](const std::string& line) { log_.push_back(line); });
  }
  bool open_ = true;
  int sync_calls_ = 0;
  std::vector<std::string> log_;
};

TEST_F(StaffControllerTest, OpeningShowsTheTodayTabFromTheFirstRowsWithFreshFigures) {
  StaffModel staff(config_, tz_, clock_);
  StaffController desk = controller(staff, true);
  staff.set_tab(StaffTab::export_csv);
  staff.set_first_row(StaffList::officers, 5);
  add(draft(morning() - 1h, {{"officer.polite", 5}}));
  desk.opened();
  EXPECT_EQ(staff.tab(), StaffTab::today);
  EXPECT_EQ(staff.first_row(StaffList::officers), 0u);
  EXPECT_EQ(staff.today().complete, 1);
  EXPECT_TRUE(staff.sync().configured);
  EXPECT_TRUE(log_.empty());
}

TEST_F(StaffControllerTest, EachStaffActionIsCarriedOutAndTheFiguresReloaded) {
  StaffModel staff(config_, tz_, clock_);
  StaffController desk = controller(staff, true);
  desk.carry_out(Action{ActionKind::staff_tab, static_cast<int>(StaffTab::sync), {}});
  EXPECT_EQ(staff.tab(), StaffTab::sync);
  desk.carry_out(Action{ActionKind::staff_page, 2, "rejected"});
  EXPECT_EQ(staff.first_row(StaffList::rejected), 2u);
  desk.carry_out(Action{ActionKind::staff_sync_now, 0, {}});
  EXPECT_EQ(sync_calls_, 1);
  EXPECT_TRUE(staff.sync_requested());
  desk.carry_out(Action{ActionKind::staff_officer, 0, "o2"});
  auto stored = store_->setting("officer.q1");
  ASSERT_TRUE(stored.is_ok());
  EXPECT_EQ(*stored, "o2");
  add(draft(morning() - 1h, {{"officer.polite", 5}}));
  desk.carry_out(Action{ActionKind::staff_export, static_cast<int>(ExportRange::today), {}});
  ASSERT_TRUE(staff.last_export().has_value());
  EXPECT_EQ(staff.today().complete, 1) << "reloaded after the action";
  EXPECT_EQ(staff.sync().pending, 1);
}

TEST_F(StaffControllerTest, WithoutASyncWorkerTheSyncTabSaysNotConfigured) {
  StaffModel staff(config_, tz_, clock_);
  StaffController desk = controller(staff, false);
  desk.opened();
  EXPECT_FALSE(staff.sync().configured);
  desk.carry_out(Action{ActionKind::staff_sync_now, 0, {}});
  EXPECT_FALSE(staff.sync_requested());
}

TEST_F(StaffControllerTest, AClosedStoreIsLoggedAndTheFiguresStayAsTheyWere) {
  StaffModel staff(config_, tz_, clock_);
  StaffController desk = controller(staff, true);
  add(draft(morning() - 1h, {{"officer.polite", 5}}));
  desk.opened();
  ASSERT_EQ(staff.today().complete, 1);
  open_ = false;
  add(draft(morning() - 30min, {{"officer.polite", 4}}));
  desk.refresh();
  desk.carry_out(Action{ActionKind::staff_officer, 0, "o2"});
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_NE(log_[0].find("not open"), std::string::npos) << log_[0];
  EXPECT_EQ(staff.today().complete, 1);
  desk.carry_out(Action{ActionKind::staff_tab, static_cast<int>(StaffTab::trend), {}});
  EXPECT_EQ(staff.tab(), StaffTab::trend) << "a tab needs no store";
}

}  // namespace
}  // namespace sipas
