// --ui-dump: the screen's name, question step and every tappable element in window pixels, with
// how its label was laid out ("lines", and "cut" when it did not fit), and the texts drawn for
// reading ("texts": the question). Rewritten atomically (write_file_atomically) when it changes,
// at most every 100 ms, so that outside tools (tests, screenshots, other vendors' drivers) can tap
// the kiosk by coordinates and check its layout.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sipas/status.hpp"

namespace sipas {

struct UiElement {
  std::string id;     // stable and meaningful: "start", "answer-4", "reason-long_wait", "key-a"
  std::string label;  // what the citizen reads on it
  float x = 0, y = 0, w = 0, h = 0;
  int lines = 0;      // the lines its label was wrapped to (0: no text drawn)
  bool cut = false;   // its label did not fit its box (taller or wider than it)
};

// A text drawn for reading, not tapping (the question): how it was laid out.
struct UiText {
  std::string id;     // "question", "title"
  std::string text;
  int lines = 0;
  bool cut = false;   // it ran into what lies below it or out of the window
};

struct UiSnapshot {
  std::string screen;
  int step = 0;  // the question's 1-based position on question screens, else 0
  std::vector<UiElement> elements;
  std::vector<UiText> texts;
};

std::string ui_snapshot_json(const UiSnapshot& s);

// Throttles and deduplicates the dump. UI thread only. Errors: io_error whatever the cause, with
// the message naming the file; a failed write is tried again with the next change or flush.
class UiDumpWriter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  explicit UiDumpWriter(std::filesystem::path path,
                        std::chrono::milliseconds min_gap = std::chrono::milliseconds(100))
      : path_(std::move(path)), min_gap_(min_gap) {}

  // Records the frame's snapshot; writes now if it changed and the last write is old enough.
  Status update(const UiSnapshot& snapshot, TimePoint now);
  // When a changed snapshot is waiting for the 100 ms gap to pass.
  std::optional<TimePoint> deadline() const;
  // Writes the waiting snapshot if its time has come.
  Status flush(TimePoint now);

 private:
  std::filesystem::path path_;
  std::chrono::milliseconds min_gap_;
  std::string written_;
  std::string waiting_;
  std::optional<TimePoint> last_write_;
};

}  // namespace sipas
