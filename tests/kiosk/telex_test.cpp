#include "telex.hpp"

#include <gtest/gtest.h>

namespace sipas {
namespace {

TEST(Telex, DoubledVowelsTakeTheHat) {
  EXPECT_EQ(telex_compose("aa"), "â");
  EXPECT_EQ(telex_compose("ee"), "ê");
  EXPECT_EQ(telex_compose("oo"), "ô");
}

TEST(Telex, WAddsBreveOrHorn) {
  EXPECT_EQ(telex_compose("aw"), "ă");
  EXPECT_EQ(telex_compose("ow"), "ơ");
  EXPECT_EQ(telex_compose("uw"), "ư");
  EXPECT_EQ(telex_compose("w"), "ư");
}

TEST(Telex, DoubledDIsDStroke) {
  EXPECT_EQ(telex_compose("dd"), "đ");
  EXPECT_EQ(telex_compose("ddi"), "đi");
  EXPECT_EQ(telex_compose("DDi"), "Đi");
}

TEST(Telex, ToneKeysPlaceEachTone) {
  EXPECT_EQ(telex_compose("as"), "á");
  EXPECT_EQ(telex_compose("af"), "à");
  EXPECT_EQ(telex_compose("ar"), "ả");
  EXPECT_EQ(telex_compose("ax"), "ã");
  EXPECT_EQ(telex_compose("aj"), "ạ");
}

TEST(Telex, ZRemovesTheTone) {
  EXPECT_EQ(telex_compose("asz"), "a");
  EXPECT_EQ(telex_compose("z"), "z");
}

TEST(Telex, ToneGoesOnTheRightVowel) {
  EXPECT_EQ(telex_compose("tieengs"), "tiếng");
  EXPECT_EQ(telex_compose("nguwowif"), "người");
  EXPECT_EQ(telex_compose("hoaf"), "hoà");
  EXPECT_EQ(telex_compose("hoangf"), "hoàng");
  EXPECT_EQ(telex_compose("muaf"), "mùa");
  EXPECT_EQ(telex_compose("quys"), "quý");
  EXPECT_EQ(telex_compose("gif"), "gì");
  EXPECT_EQ(telex_compose("giaf"), "già");
  EXPECT_EQ(telex_compose("thuyr"), "thuỷ");
  EXPECT_EQ(telex_compose("khoer"), "khoẻ");
  EXPECT_EQ(telex_compose("cuwar"), "cửa");
}

TEST(Telex, ToneMovesWhenTheSyllableGrows) {
  EXPECT_EQ(telex_compose("hoasn"), "hoán");
  EXPECT_EQ(telex_compose("tiesng"), "tiéng");
  EXPECT_EQ(telex_compose("tiesnge"), "tiếng");
}

TEST(Telex, ModifierTypedTwiceIsUndoneAndKept) {
  EXPECT_EQ(telex_compose("ass"), "as");
  EXPECT_EQ(telex_compose("aaa"), "aa");
  EXPECT_EQ(telex_compose("ddd"), "dd");
  EXPECT_EQ(telex_compose("uww"), "uw");
}

TEST(Telex, WholeSentence) {
  EXPECT_EQ(telex_compose("Caan boo huwowngs daanx nhieetj tinhf"), "Cân bô hướng dẫn nhiệt tình");
  EXPECT_EQ(telex_compose("Phair chowf quas laau."), "Phải chờ quá lâu.");
}

TEST(Telex, UppercaseKeepsItsCase) {
  EXPECT_EQ(telex_compose("Vieejt Nam"), "Việt Nam");
  EXPECT_EQ(telex_compose("AAS"), "Ấ");
}

TEST(Telex, ConsonantsAloneStayLiteral) {
  EXPECT_EQ(telex_compose("s"), "s");
  EXPECT_EQ(telex_compose("nhs"), "nhs");
}

TEST(Telex, BackspaceRemovesOneComposedLetter) {
  TelexComposer c;
  c.type_text("tieengs");
  c.backspace();
  EXPECT_EQ(c.utf8(), "tiến");
  c.backspace();
  c.backspace();
  EXPECT_EQ(c.utf8(), "ti");
  c.backspace();
  c.backspace();
  c.backspace();
  EXPECT_EQ(c.utf8(), "");
}

TEST(Telex, LengthLimitRefusesTheKeyAndKeepsTheText) {
  TelexComposer c(3);
  EXPECT_TRUE(c.type_text("abc"));
  EXPECT_FALSE(c.type(U'd'));
  EXPECT_EQ(c.utf8(), "abc");
  EXPECT_TRUE(c.type(U's')) << "a tone does not make the text longer";
  EXPECT_EQ(c.utf8(), "ábc");
}

TEST(Telex, DigitsAndPunctuationPassThrough) {
  EXPECT_EQ(telex_compose("12, 3.5!"), "12, 3.5!");
}

}  // namespace
}  // namespace sipas
