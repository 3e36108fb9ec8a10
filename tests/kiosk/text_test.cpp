// The kiosk's message catalogue: every message in both languages, the same printf conversions in
// each, Vietnamese where a language has no text, and the texts the screens showed before it.
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "staff.hpp"
#include "text.hpp"

namespace sipas {
namespace {

// The printf conversions in a message, in order ("%d", "%s"); "%%" and a "%" that starts no
// conversion ("Hài lòng %") are plain text.
std::vector<std::string> conversions(const std::string& message) {
  static const std::regex conversion("%%|%[-+ #0]*[0-9]*(\\.[0-9]+)?(hh|h|ll|l|z|j|t)?[diouxXeEfgGcsp]");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(message.begin(), message.end(), conversion);
       it != std::sregex_iterator(); ++it) {
    if (it->str() != "%%") out.push_back(it->str());
  }
  return out;
}

TEST(TextCatalogue, EveryMessageHasVietnameseAndEnglish) {
  for (std::size_t i = 0; i < kTextCount; ++i) {
    const Text id = static_cast<Text>(i);
    const Message& m = message(id);
    SCOPED_TRACE("message " + std::to_string(i));
    EXPECT_EQ(m.id, id);
    ASSERT_NE(m.vi, nullptr);
    EXPECT_NE(std::string(m.vi), "");
    ASSERT_NE(m.en, nullptr);
    EXPECT_NE(std::string(m.en), "");
  }
}

TEST(TextCatalogue, BothLanguagesTakeTheSameConversionsInTheSameOrder) {
  for (std::size_t i = 0; i < kTextCount; ++i) {
    const Message& m = message(static_cast<Text>(i));
    EXPECT_EQ(conversions(m.vi), conversions(m.en)) << m.vi << " / " << m.en;
  }
  EXPECT_EQ(conversions("%d/%d ký tự"), (std::vector<std::string>{"%d", "%d"}));
  EXPECT_EQ(conversions("Hài lòng %"), std::vector<std::string>{});
  EXPECT_EQ(conversions("Satisfied % by criterion (100%%)"), std::vector<std::string>{});
}

TEST(TextCatalogue, EnglishForEnAndVietnameseForEveryOtherLanguage) {
  EXPECT_STREQ(text("en", Text::back), "Back");
  EXPECT_STREQ(text("vi", Text::back), "Quay lại");
  EXPECT_STREQ(text("fr", Text::back), "Quay lại");
  EXPECT_STREQ(text("", Text::back), "Quay lại");
}

TEST(TextCatalogue, AMessageWithoutEnglishShowsItsVietnamese) {
  const Message untranslated{Text::back, "Quay lại", nullptr};
  EXPECT_STREQ(text("en", untranslated), "Quay lại");
  const Message empty{Text::back, "Quay lại", ""};
  EXPECT_STREQ(text("en", empty), "Quay lại");
}

// The texts the screens drew before the catalogue existed, byte for byte.
TEST(TextCatalogue, KeepsTheScreensTexts) {
  EXPECT_STREQ(text("vi", Text::delete_key), "Xoá");
  EXPECT_STREQ(text("en", Text::delete_key), "Delete");
  EXPECT_STREQ(text("en", Text::language_name_vi), "Tiếng Việt");
  EXPECT_STREQ(text("vi", Text::language_name_en), "English");
  EXPECT_STREQ(text("vi", Text::staff_tab_export), "Xuất CSV");
  EXPECT_STREQ(text("en", Text::staff_latest_comments), "Latest comments");
  EXPECT_STREQ(text("vi", Text::staff_no_error), "Lỗi gần nhất: không có");
  EXPECT_EQ(format_text(text("vi", Text::staff_export_saved), "6", "/media/usb/a.csv"),
            "Đã lưu 6 lượt vào /media/usb/a.csv");
  EXPECT_EQ(format_text(text("en", Text::staff_officer_selected), "Nguyễn Thị Hồng Nhung"),
            "Selected: Nguyễn Thị Hồng Nhung — tap another name to change; applies from the next "
            "response.");
  EXPECT_EQ(format_text(text("vi", Text::wait_seconds), 7), "Có thể đánh giá tiếp sau 7 giây");
  EXPECT_EQ(format_text(text("en", Text::staff_rejected), 3), "Rejected by the server: 3");
  EXPECT_EQ(page_label(page_window(8, 5, 0), "fr"), "1–5 / 8");
}

// The welcome promises what the active questionnaire takes, not "less than a minute" always.
TEST(TextCatalogue, TheWelcomeFollowsTheQuestionnairesLength) {
  EXPECT_EQ(welcome_prompt("vi", 5),
            "Chạm vào một khuôn mặt: một chạm là đủ. 5 câu sau đó không bắt buộc, chưa đến một phút.");
  EXPECT_EQ(welcome_prompt("vi", 18),
            "Chạm vào một khuôn mặt: một chạm là đủ. 18 câu sau đó không bắt buộc, khoảng 2 phút.");
  EXPECT_EQ(welcome_prompt("en", 18),
            "Touch a face: one touch is enough. The 18 questions after it are optional, about 2 minutes.");
  EXPECT_EQ(welcome_prompt("en", 0), "Touch a face to rate our service. One touch is enough.");
}

TEST(TextCatalogue, FormatTextHasNoLengthLimit) {
  const std::string title(1000, 'x');
  const std::string info = format_text(text("vi", Text::staff_info), "K01", "q1", title.c_str());
  EXPECT_EQ(info, "Kiosk K01 · quầy q1 · " + title);
}

}  // namespace
}  // namespace sipas
