#include "input_queue.hpp"

#include <imgui.h>

#include "utf8.hpp"

namespace sipas {

InputFrame InputQueue::next_frame() {
  InputFrame frame;
  pointer_.wheel_x = pointer_.wheel_y = 0;
  // The 1.86 backend shows a button as held for the whole frame in which a press arrived, even
  // when its release arrived too; merged mode keeps that to stay faithful to it.
  bool pressed_in_frame[3] = {false, false, false};
  while (!pending_.empty()) {
    InputEvent e = std::move(pending_.front());
    pending_.pop_front();
    frame.had_input = true;
    bool transition = false;
    switch (e.kind) {
      case InputKind::pointer_move:
        pointer_.x = e.x;
        pointer_.y = e.y;
        break;
      case InputKind::pointer_down:
      case InputKind::pointer_up:
        pointer_.x = e.x;
        pointer_.y = e.y;
        if (e.button >= 0 && e.button < 3) {
          const bool down = e.kind == InputKind::pointer_down;
          transition = pointer_.down[e.button] != down;
          pointer_.down[e.button] = down;
          if (transition) frame.transition_at = e.at;
          if (down) pressed_in_frame[e.button] = true;
        }
        break;
      case InputKind::wheel:
        pointer_.wheel_x += e.wheel_x;
        pointer_.wheel_y += e.wheel_y;
        break;
      case InputKind::text:
      case InputKind::enter:
      case InputKind::backspace:
      case InputKind::voice:
        frame.keys.push_back(std::move(e));
        break;
    }
    if (transition && one_per_frame_) break;
  }
  frame.pointer = pointer_;
  if (!one_per_frame_) {
    for (int b = 0; b < 3; ++b) frame.pointer.down[b] = frame.pointer.down[b] || pressed_in_frame[b];
  }
  return frame;
}

void apply_pointer(const PointerState& pointer, ImGuiIO& io) {
  io.MousePos = ImVec2(pointer.x, pointer.y);
  for (int b = 0; b < 3; ++b) io.MouseDown[b] = pointer.down[b];
  io.MouseWheel += pointer.wheel_y;
  io.MouseWheelH += pointer.wheel_x;
}

std::vector<Action> key_actions(Screen screen, const InputEvent& key) {
  std::vector<Action> out;
  switch (key.kind) {
    case InputKind::text: {
      ActionKind kind;
      switch (screen) {
        case Screen::dossier: kind = ActionKind::dossier_key; break;
        case Screen::comment: kind = ActionKind::comment_key; break;
        case Screen::pin: kind = ActionKind::pin_key; break;
        default: return out;
      }
      for (char32_t c : utf8_to_u32(key.text)) out.push_back(Action{kind, static_cast<int>(c), {}});
      break;
    }
    case InputKind::enter:
      if (screen == Screen::dossier) out.push_back(Action{ActionKind::dossier_submit, 0, {}});
      if (screen == Screen::pin) out.push_back(Action{ActionKind::pin_submit, 0, {}});
      break;
    case InputKind::backspace:
      if (screen == Screen::dossier) out.push_back(Action{ActionKind::dossier_backspace, 0, {}});
      if (screen == Screen::comment) out.push_back(Action{ActionKind::comment_backspace, 0, {}});
      if (screen == Screen::pin) out.push_back(Action{ActionKind::pin_backspace, 0, {}});
      break;
    case InputKind::voice:
      out.push_back(Action{ActionKind::toggle_voice, 0, {}});
      break;
    default:
      break;
  }
  return out;
}

}  // namespace sipas
