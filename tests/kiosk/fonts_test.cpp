#include "fonts.hpp"

#include <filesystem>

#include <gtest/gtest.h>
#include <imgui.h>

#include "temp_dir.hpp"

namespace sipas {
namespace {

namespace fs = std::filesystem;

const std::string kNoto = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf";

TEST(Fonts, ConfiguredFontsComeFirstAndBoldIsRecognised) {
  if (!fs::exists(kNoto)) GTEST_SKIP() << "fonts-noto-core is not installed";
  test::TempDir dir;
  fs::copy_file(kNoto, dir / "Unit-Regular.ttf");
  fs::copy_file(kNoto, dir / "Unit-Bold.ttf");
  auto f = find_fonts({(dir / "Unit-Bold.ttf").string(), (dir / "Unit-Regular.ttf").string()}, {});
  ASSERT_TRUE(f.is_ok()) << f.status().message();
  EXPECT_EQ(f->regular, dir / "Unit-Regular.ttf");
  EXPECT_EQ(f->bold, dir / "Unit-Bold.ttf");
}

TEST(Fonts, AMissingConfiguredFontFallsBack) {
  if (!fs::exists(kNoto)) GTEST_SKIP() << "fonts-noto-core is not installed";
  auto f = find_fonts({"/nonexistent/Font.ttf"}, FontFallbacks{{kNoto}, {}});
  ASSERT_TRUE(f.is_ok());
  EXPECT_EQ(f->regular, kNoto);
  EXPECT_EQ(f->bold, kNoto) << "the regular face stands in for a missing bold one";
}

TEST(Fonts, NoFontAnywhereIsAnErrorNamingEveryPathTried) {
  auto f = find_fonts({"/nonexistent/a.ttf"}, FontFallbacks{{"/nonexistent/b.ttf"}, {}});
  ASSERT_FALSE(f.is_ok());
  EXPECT_EQ(f.status().code(), ErrorCode::not_found);
  EXPECT_NE(f.status().message().find("/nonexistent/a.ttf"), std::string::npos);
  EXPECT_NE(f.status().message().find("/nonexistent/b.ttf"), std::string::npos);
}

TEST(Fonts, TheAtlasHoldsEveryVietnameseLetter) {
  auto files = find_fonts({});
  if (!files.is_ok()) GTEST_SKIP() << files.status().message();
  ImGuiContext* ctx = ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  auto fonts = load_fonts(io.Fonts, *files, 1280, 800);
  ASSERT_TRUE(fonts.is_ok());
  ASSERT_TRUE(io.Fonts->Build());
  std::vector<ImWchar> wanted = {0x0110, 0x0111, 0x0102, 0x0103, 0x01A0, 0x01A1, 0x01AF,
                                 0x01B0, 0x00C2, 0x00E2, 0x00CA, 0x00EA, 0x00D4, 0x00F4,
                                 0x0128, 0x0129, 0x0168, 0x0169, 0x20AB, 0x2026};
  for (ImWchar c = 0x1EA0; c <= 0x1EF9; ++c) wanted.push_back(c);
  for (ImFont* font : {fonts->body, fonts->bold, fonts->huge}) {
    for (ImWchar c : wanted) {
      EXPECT_NE(font->FindGlyphNoFallback(c), nullptr) << "U+" << std::hex << c;
    }
  }
  ImGui::DestroyContext(ctx);
}

// Measured as the walk measured them, the ink height of a line of text (from the top of an "l" to
// the bottom of a "g"): at 800×480 the answer labels were about 15 px and the typed comment less.
TEST(Fonts, LabelsAndTypedTextAreLargeEnoughAt800x480) {
  auto files = find_fonts({});
  if (!files.is_ok()) GTEST_SKIP() << files.status().message();
  ImGuiContext* ctx = ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  auto fonts = load_fonts(io.Fonts, *files, 800, 480);
  ASSERT_TRUE(fonts.is_ok());
  ASSERT_TRUE(io.Fonts->Build());
  auto ink_height = [](ImFont* f) {
    const ImFontGlyph* l = f->FindGlyphNoFallback('l');
    const ImFontGlyph* g = f->FindGlyphNoFallback('g');
    return l && g ? g->Y1 - l->Y0 : 0.0f;
  };
  EXPECT_LT(ink_height(fonts->bold), 20.0f) << "what the answer labels used before";
  EXPECT_GE(ink_height(fonts->label), 20.0f);
  EXPECT_GE(ink_height(fonts->typed), 24.0f);
  ImGui::DestroyContext(ctx);
}

TEST(Fonts, TextGrowsWithTheWindowButNeverBelowReadable) {
  EXPECT_GE(body_font_size(800, 480), 20.0f);
  EXPECT_GT(body_font_size(1920, 1080), body_font_size(1280, 800));
  EXPECT_GE(body_font_size(1080, 1920), body_font_size(1280, 800));
}

}  // namespace
}  // namespace sipas
