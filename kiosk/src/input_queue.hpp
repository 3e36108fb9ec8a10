// The kiosk's input queue: every pointer press and release reaches Dear ImGui in a frame of its
// own, so no tap is merged with the next one.
//
// Dear ImGui 1.86 has no input queue (it arrived in 1.87) and its SDL backend reads the pointer's
// *current* position and button state when a frame starts. Two taps that arrive between two
// frames therefore become one press at the last position, and the earlier key is lost. This
// queue holds the window's input in arrival order and hands out one frame's worth at a time: the
// pointer moves, wheel turns and keys up to and including the first press or release. Taps then
// take two frames each (press, release) and come out in order however slow a frame is; keys
// typed or scanned keep their order relative to the taps around them and are never dropped.
//
// No SDL here: the app turns SDL events into InputEvents (touch arrives as SDL's mouse events
// synthesised from fingers). Not thread-safe: the UI thread owns it.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "flow.hpp"
#include "sipas/time.hpp"

struct ImGuiIO;

namespace sipas {

enum class InputKind {
  pointer_move,
  pointer_down,
  pointer_up,
  wheel,
  text,       // text: UTF-8 typed (a keyboard or a barcode scanner)
  enter,
  backspace,
  voice,      // the configured voice key (reading aloud on/off)
};

struct InputEvent {
  InputKind kind = InputKind::pointer_move;
  float x = 0, y = 0;  // window pixels, for the pointer kinds
  int button = 0;      // 0 left (touch), 1 right, 2 middle
  float wheel_x = 0, wheel_y = 0;
  std::string text;
  TimePoint at{};  // when it reached the kiosk (taken from the window system)
};

// What Dear ImGui should see as the pointer during one frame.
struct PointerState {
  float x = -3.0e38f, y = -3.0e38f;  // ImGui's "no pointer" until the first event
  bool down[3] = {false, false, false};
  float wheel_x = 0, wheel_y = 0;  // this frame's turns only
};

// One frame's input: the keys to apply before the frame is drawn, in order, and the pointer.
struct InputFrame {
  std::vector<InputEvent> keys;
  PointerState pointer;
  bool had_input = false;  // anything at all was taken from the queue
  // When the press or release this frame applies happened: a click this frame turns into is a
  // tap made then, however long it waited behind slower frames.
  std::optional<TimePoint> transition_at;
};

class InputQueue {
 public:
  // one_transition_per_frame = false reproduces Dear ImGui 1.86's own SDL backend (everything
  // pending in one frame, a press seen as held for that frame); bench/ measures it beside the
  // queue. The kiosk runs with true.
  explicit InputQueue(bool one_transition_per_frame = true) : one_per_frame_(one_transition_per_frame) {}

  void push(InputEvent e) { pending_.push_back(std::move(e)); }
  bool empty() const { return pending_.empty(); }
  std::size_t size() const { return pending_.size(); }

  // Takes the next frame's input from the front of the queue and returns it with the pointer
  // state that frame must show. With nothing queued the pointer stays where it was.
  InputFrame next_frame();

 private:
  std::deque<InputEvent> pending_;
  PointerState pointer_;
  bool one_per_frame_;
};

// Writes a frame's pointer into Dear ImGui's IO (position, buttons, wheel). Call it after the
// platform backend's NewFrame and before ImGui::NewFrame, so that it has the last word.
void apply_pointer(const PointerState& pointer, ImGuiIO& io);

// The flow actions a typed key stands for on `screen` (none for pointer events, and none where
// the screen takes no typing).
std::vector<Action> key_actions(Screen screen, const InputEvent& key);

}  // namespace sipas
