// Loading Noto Sans (or the configured fonts) into the ImGui atlas with every Vietnamese glyph, at
// sizes scaled from the window. UI thread only; needs a current ImGui context.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "sipas/status.hpp"

struct ImFont;
struct ImFontAtlas;

namespace sipas {

struct Fonts {
  ImFont* body = nullptr;
  ImFont* bold = nullptr;
  ImFont* large = nullptr;  // bold, question text
  ImFont* title = nullptr;  // bold, screen titles
  ImFont* huge = nullptr;   // bold, "Chạm để đánh giá"
};

struct FontFiles {
  std::filesystem::path regular;
  std::filesystem::path bold;  // the regular file again when no bold face is found
};

// Where to look when the configured fonts are missing.
struct FontFallbacks {
  std::vector<std::string> regular;
  std::vector<std::string> bold;
  // Noto Sans (fonts-noto-core), then DejaVu Sans.
  static FontFallbacks system();
};

// The configured paths first (a path naming "Bold" serves as the bold face), then the fallbacks;
// not_found naming every path tried when no regular face exists.
Result<FontFiles> find_fonts(const std::vector<std::string>& configured,
                             const FontFallbacks& fallbacks = FontFallbacks::system());

// The pixel size of body text for a window, the base the other sizes scale from.
float body_font_size(float width, float height);

// Clears `atlas` and adds the five fonts for a window of this size; the atlas is then built by the
// renderer (or by Build() in tests).
Result<Fonts> load_fonts(ImFontAtlas* atlas, const FontFiles& files, float width, float height);

}  // namespace sipas
