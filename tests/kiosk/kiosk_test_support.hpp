// Test fixtures shared by the kiosk suites: a small questionnaire built in code, the Mẫu 01
// points questionnaire, and an in-memory ResponseSink with switchable failures.
#pragma once

#include <string>
#include <vector>

#include "flow.hpp"
#include "sipas/config.hpp"
#include "sipas/crypto.hpp"

namespace sipas::testing {

inline LocalizedText lt(const std::string& vi, const std::string& en = {}) {
  LocalizedText t;
  t.by_language["vi"] = vi;
  if (!en.empty()) t.by_language["en"] = en;
  return t;
}

inline Survey short_survey() {
  Survey s;
  s.id = "short";
  s.version = 3;
  s.title = lt("Đánh giá nhanh", "Quick rating");
  s.scale = ScaleKind::likert5;
  const char* labels[] = {"Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng",
                          "Rất hài lòng"};
  for (int v = 1; v <= 5; ++v) s.options.push_back(Option{v, lt(labels[v - 1])});
  s.allow_not_applicable = true;
  Element access{"access", lt("Tiếp cận dịch vụ"), true, {}};
  access.criteria.push_back(Criterion{"access.waiting_time", lt("Thời gian chờ hợp lý"), {}});
  Element officer{"officer", lt("Công chức giải quyết công việc"), true, {}};
  officer.criteria.push_back(Criterion{"officer.polite", lt("Cán bộ lịch sự"), {}});
  officer.criteria.push_back(Criterion{"officer.guidance", lt("Hướng dẫn rõ ràng"), {}});
  s.elements = {access, officer};
  s.followup_at_or_below = 2;
  s.reasons = {Reason{"long_wait", lt("Chờ lâu")}, Reason{"unclear_guidance", lt("Hướng dẫn chưa rõ")},
               Reason{"officer_attitude", lt("Thái độ cán bộ")}};
  s.comment_max_length = 20;
  return s;
}

inline Survey mau01_survey() {
  Survey s;
  s.id = "mau01";
  s.title = lt("Mẫu số 01");
  s.scale = ScaleKind::points;
  s.ask_dossier = true;
  s.dossier_optional = false;
  Element e{"mau01", lt("Mẫu 01"), true, {}};
  const char* ids[] = {"mau01.total_time", "mau01.return_visits", "mau01.officer_attitude"};
  for (const char* id : ids) {
    Criterion c{id, lt(std::string("Chỉ số ") + id), {}};
    c.options = {Option{0, lt("Không đạt")}, Option{1, lt("Đạt một phần")}, Option{2, lt("Đạt")}};
    e.criteria.push_back(c);
  }
  s.elements = {e};
  s.followup_at_or_below = 0;
  s.reasons = {Reason{"late_result", lt("Trả kết quả trễ")}};
  return s;
}

inline KioskConfig test_config(const Survey& survey) {
  KioskConfig c;
  c.kiosk_id = "K01";
  c.unit = UnitInfo{"22.PVHCC", "Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh", "UTC"};
  c.counters = {Counter{"q1", "Quầy 1 – Đất đai", {Officer{"o1", "Nguyễn Thị Hồng Nhung"}}}};
  c.counter = "q1";
  c.staff_pin_hash = hash_secret("2468", 1000);
  c.surveys = {survey};
  c.active_survey = survey.id;
  // The tests of the chosen answer's moment use the full selection_feedback_ms; the private
  // default has tests of its own.
  c.private_answers = false;
  return c;
}

// A citizen walks away in the middle of a survey: no tap for the idle timeout, then "more time?"
// left unanswered until the kiosk stores the answers so far.
inline void walk_away(ManualClock& clock, Flow& flow, const FlowSettings& s = FlowSettings{}) {
  clock.advance(s.idle_timeout);
  flow.tick();
  clock.advance(s.more_time);
  flow.tick();
}

class MemorySink final : public ResponseSink {
 public:
  Status append(const ResponseDraft& draft) override {
    ++append_calls;
    if (fail_with != ErrorCode::ok) return Status::error(fail_with, "injected failure");
    stored.push_back(draft);
    return Status::ok();
  }
  Result<bool> dossier_used(const std::string& dossier, TimePoint from, TimePoint to) override {
    if (fail_with != ErrorCode::ok) return Status::error(fail_with, "injected failure");
    for (const auto& d : stored) {
      if (d.dossier == dossier && d.submitted_at >= from && d.submitted_at < to) return true;
    }
    return false;
  }
  Status recover() override {
    ++recover_calls;
    if (fail_with != ErrorCode::ok) return Status::error(fail_with, "injected failure");
    return Status::ok();
  }

  std::vector<ResponseDraft> stored;
  ErrorCode fail_with = ErrorCode::ok;
  int append_calls = 0;
  int recover_calls = 0;
};

}  // namespace sipas::testing
