// Drawing the kiosk's screens with Dear ImGui. A draw function only reads the Flow and reports what
// was tapped as Actions; it never changes the model, stores or sends anything.
//
// UI thread only, between ImGui::NewFrame() and ImGui::Render(), with the fonts of load_fonts()
// for the current display size. Layouts scale from io.DisplaySize (800×480 up to 1920×1080 and
// portrait 1080×1920); touch targets stay at least 44 px at every size.
#pragma once

#include <vector>

#include "flow.hpp"
#include "staff.hpp"
#include "fonts.hpp"
#include "ui_dump.hpp"

namespace sipas {

class KioskView {
 public:
  explicit KioskView(Fonts fonts) : fonts_(fonts) {}
  void set_fonts(Fonts fonts) { fonts_ = fonts; }
  // The fonts of large-text mode (add_large_text_fonts); until set, large text uses the standard.
  void set_large_text_fonts(Fonts fonts) { large_text_fonts_ = fonts; }
  // The staff screen's figures; nullptr draws it with navigation only. Must outlive its use.
  void set_staff(const StaffModel* staff) { staff_ = staff; }

  // Draws the flow's current screen over the whole display. Appends the citizen's taps to
  // `actions` and fills `snapshot` with the screen's name, step and tappable elements.
  void draw(const Flow& flow, std::vector<Action>* actions, UiSnapshot* snapshot) const;

 private:
  Fonts fonts_;
  Fonts large_text_fonts_;
  const StaffModel* staff_ = nullptr;
};

}  // namespace sipas
