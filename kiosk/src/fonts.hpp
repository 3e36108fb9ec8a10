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
  ImFont* huge = nullptr;   // bold, the largest headings
  // Bold, answer and option labels a citizen reads to choose: at least 28 px, so that a line of
  // text (top of "l" to bottom of "g") stands at least 20 px tall even at 800×480.
  ImFont* label = nullptr;
  // Regular, the citizen's own typing (comment, dossier number): at least 34 px, a line at least
  // 24 px tall.
  ImFont* typed = nullptr;
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

// Large-text mode: its text is this much larger than the standard fonts'.
inline constexpr float kLargeTextScale = 1.4f;

// Adds the fonts of large-text mode to an atlas load_fonts() filled for the same window: body,
// bold, label, large and typed kLargeTextScale times the standard sizes; title and huge are
// `base`'s (already large).
Result<Fonts> add_large_text_fonts(ImFontAtlas* atlas, const FontFiles& files, const Fonts& base,
                                   float width, float height);

}  // namespace sipas
