// The kiosk's message catalogue: every word of its own the kiosk shows on screen, in Vietnamese
// and English (the questionnaire's and the configuration's words come from their files; the log
// and the command line speak English to administrators). The texts are in one table in text.cpp,
// one entry per message, Vietnamese above English.
//
// Some messages are printf formats; the comment beside each id says what it takes, and a message's
// Vietnamese and English take the same conversions in the same order.
#pragma once

#include <cstddef>
#include <string>

namespace sipas {

enum class Text {
  touch_to_rate,
  welcome_prompt_one,    // the survey is the welcome's question alone
  welcome_prompt_short,  // %d further questions, under a minute
  welcome_prompt_long,   // %d further questions, %d minutes

  counter,
  officer,
  wait_seconds,  // %d seconds
  high_contrast,
  language_name_vi,  // a language's own name, the same whatever the language shown
  language_name_en,
  dossier_title,
  dossier_hint,
  dossier_empty,
  dossier_used,
  dossier_skip,
  procedure_title,
  procedure_hint,
  procedure_skip,
  procedure_prev,
  procedure_next,
  procedure_page,  // "%d/%d": the page shown and the number of pages
  skip,
  next,
  back,
  not_applicable,
  unknown,
  followup_title,
  followup_hint,
  followup_reasons_hint,
  write_comment,
  finish,
  comment_title,
  comment_hint,
  comment_plain_hint,
  telex_key,
  comment_count,  // %d used, %d limit
  space,
  delete_key,
  submit,
  more_time_title,
  more_time_continue,
  more_time_left,  // %d seconds until the answers so far are saved and the kiosk starts over
  thanks_title,
  thanks_body,
  pin_title,
  pin_wrong,
  pin_locked,
  pin_not_set,
  ok,
  cancel,
  question_progress,  // %d the question's number, %d how many
  out_of_service_title,
  out_of_service_body,
  staff_title,
  staff_exit,
  staff_info,  // %s kiosk id, %s counter, %s survey title
  staff_tab_today,
  staff_tab_criteria,
  staff_tab_trend,
  staff_tab_sync,
  staff_tab_shift,
  staff_tab_export,
  staff_page_of,  // %s the rows shown ("1–5", or "0"), %s of how many
  staff_responses,
  staff_complete,
  staff_partial,
  staff_mean_points,
  staff_satisfied,
  staff_by_element,
  staff_by_counter,
  staff_by_officer,
  staff_indicator_points,
  staff_criterion_satisfied,
  staff_last_7_days,
  staff_last_30_days,
  staff_none_yet,
  staff_top_reasons,
  staff_latest_comments,
  staff_sync_pending,
  staff_sync_not_set_up,
  staff_sync_reachable,
  staff_sync_no_answer,
  staff_province_server,
  staff_sync_now,
  staff_last_success,  // %s local time, or "—"
  staff_sync_requested,
  staff_no_error,
  staff_server_refused,
  staff_server_unreachable,
  staff_rejected,  // %d responses
  staff_officer_at,  // %s counter
  staff_no_officers,
  staff_officer_selected,  // %s officer
  staff_export_folder,  // %s folder, or staff_export_folder_not_set
  staff_export_folder_not_set,
  staff_export_today,
  staff_export_month,
  staff_export_saved,  // %s responses, %s file
  staff_export_missing,
  staff_export_read_only,
  staff_export_full,
  staff_export_failed,  // %s the error
  voice_button,
  voice_on,  // said when voice is switched on: how to use it
  staff_volume,  // %d percent
  staff_volume_down,
  staff_volume_up,
  large_text,
  staff_config_version,  // %s the configuration version from the server
  staff_config_local,
  staff_config_refused,  // %s why
};
inline constexpr std::size_t kTextCount = static_cast<std::size_t>(Text::staff_config_refused) + 1;

// One catalogue entry. `en` is nullptr where no English text exists yet.
struct Message {
  Text id;
  const char* vi;
  const char* en;
};

// The entry of `id` (entries are in the order of Text).
const Message& message(Text id);

// The message in `language`: English for "en", Vietnamese for every other language and wherever
// the English text is missing.
const char* text(const std::string& language, const Message& m);
const char* text(const std::string& language, Text id);

// The welcome's line under its question: one tap is enough, and how long the `further` questions
// after it take (about six seconds each, as timed at the counter).
std::string welcome_prompt(const std::string& language, int further);

// `format` (a message) with its printf conversions filled in by the arguments.
std::string format_text(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace sipas
