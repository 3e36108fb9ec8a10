// The kiosk's own words in Vietnamese and English (the questionnaire's text comes from the
// survey files).
#pragma once

#include <string>

namespace sipas {

enum class Text {
  touch_to_rate,
  welcome_prompt,
  counter,
  officer,
  wait_seconds,  // printf: %d seconds
  dossier_title,
  dossier_hint,
  dossier_empty,
  dossier_used,
  procedure_title,
  procedure_hint,
  procedure_skip,
  skip,
  next,
  back,
  not_applicable,
  followup_title,
  followup_hint,
  comment_title,
  comment_hint,
  comment_count,  // printf: %d used, %d limit
  submit,
  thanks_title,
  thanks_body,
  pin_title,
  pin_wrong,
  pin_locked,
  pin_not_set,
  ok,
  cancel,
  staff_title,
  staff_exit,
  staff_info,  // printf: kiosk id, counter, survey title
  out_of_service_title,
  out_of_service_body,
  question_progress,  // printf: %d of %d
  space,
};

const char* text(const std::string& language, Text id);

}  // namespace sipas
