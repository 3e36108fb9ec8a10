#include "ui_dump.hpp"

#include <nlohmann/json.hpp>

#include "sipas/files.hpp"

namespace sipas {

std::string ui_snapshot_json(const UiSnapshot& s) {
  nlohmann::json elements = nlohmann::json::array();
  for (const auto& e : s.elements) {
    elements.push_back({{"id", e.id},
                        {"label", e.label},
                        {"x", static_cast<int>(e.x + 0.5f)},
                        {"y", static_cast<int>(e.y + 0.5f)},
                        {"w", static_cast<int>(e.w + 0.5f)},
                        {"h", static_cast<int>(e.h + 0.5f)},
                        {"lines", e.lines},
                        {"cut", e.cut}});
  }
  nlohmann::json texts = nlohmann::json::array();
  for (const auto& t : s.texts) {
    texts.push_back({{"id", t.id}, {"text", t.text}, {"lines", t.lines}, {"cut", t.cut}});
  }
  nlohmann::json j = {{"screen", s.screen}, {"step", s.step}, {"elements", std::move(elements)},
                      {"texts", std::move(texts)}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Status UiDumpWriter::update(const UiSnapshot& snapshot, TimePoint now) {
  std::string json = ui_snapshot_json(snapshot);
  if (json == written_) {
    waiting_.clear();
    return Status::ok();
  }
  waiting_ = std::move(json);
  return flush(now);
}

std::optional<UiDumpWriter::TimePoint> UiDumpWriter::deadline() const {
  if (waiting_.empty()) return std::nullopt;
  if (!last_write_) return TimePoint{};
  return *last_write_ + min_gap_;
}

Status UiDumpWriter::flush(TimePoint now) {
  if (waiting_.empty()) return Status::ok();
  if (last_write_ && now < *last_write_ + min_gap_) return Status::ok();
  Status st = write_file_atomically(path_, waiting_);
  last_write_ = now;
  if (!st.is_ok()) {
    // A side output for outside tools: however it failed, it must not read like the kiosk's own
    // storage being full or read-only.
    return Status::error(ErrorCode::io_error, st.message());
  }
  written_ = std::move(waiting_);
  waiting_.clear();
  return Status::ok();
}

}  // namespace sipas
