// The kiosk's survey flow as a state machine: screens, the citizen's draft, timeouts and the rules
// that keep the figures honest (minimum interval, one response per dossier per day, repeated taps
// ignored, a chosen answer held for a moment and taps on a just-shown question ignored).
//
// The welcome screen's faces answer the first question (Survey::asking_order()), so one tap stores
// a rating; the rest follows (dossier, procedure, the other questions), then a step that offers
// everyone a comment, with the reasons tied to the criteria answered low. No window, no SQL: time comes from a Clock and responses go to a ResponseSink, so the
// whole flow runs in tests with a ManualClock and an in-memory sink.
//
// Threads: a Flow and its sink are used by the UI thread only.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "sipas/config.hpp"
#include "sipas/response.hpp"
#include "sipas/status.hpp"
#include "sipas/time.hpp"
#include "speech.hpp"
#include "telex.hpp"

namespace sipas {

enum class Screen {
  welcome,
  dossier,
  procedure,
  question,
  followup,
  comment,
  thanks,
  pin,
  staff,
  out_of_service
};
const char* to_string(Screen s);

// Where responses go (the ResponseStore in the app). Called from the UI thread only.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  // OK only once the response is durably committed.
  virtual Status append(const ResponseDraft& draft) = 0;
  // Whether a response with this dossier number was submitted in [from, to).
  virtual Result<bool> dossier_used(const std::string& dossier, TimePoint from, TimePoint to) = 0;
  // Makes the store usable again if it can (probe, reopen); OK when a write works.
  virtual Status recover() = 0;
};

enum class ActionKind {
  set_language,       // text: language code
  dossier_key,        // value: code point
  dossier_backspace,
  dossier_submit,
  dossier_skip,
  procedure_choose,   // text: procedure code, one of procedures()
  procedure_skip,     // "Khác / không nhớ": no procedure
  procedure_page,     // value: +1 or -1; text: the number of pages drawn (the view's layout)
  answer,             // value: the option's value (on welcome: the first question's)
  not_applicable,
  unknown,            // "Chưa biết", where the criterion allows it
  back,
  toggle_reason,      // text: reason id
  followup_next,      // to the comment keyboard
  followup_finish,    // submit without a comment
  comment_key,        // value: code point (through Telex when it is on)
  comment_backspace,
  comment_shift,
  comment_telex,      // Telex on/off
  comment_submit,
  corner_down,        // the staff corner is pressed …
  corner_up,          // … and released
  pin_key,            // value: '0'..'9'
  pin_backspace,
  pin_submit,
  pin_cancel,
  staff_exit,
  staff_back,
  staff_tab,          // value: StaffTab
  staff_sync_now,
  staff_officer,      // text: officer id
  staff_export,       // value: ExportRange
  staff_page,         // text: StaffList name; value: the first row to show
  more_time,          // "Tiếp tục" on the more-time question (any tap there answers it too)
  toggle_contrast,    // the welcome's high-contrast switch, for one citizen's survey
  toggle_voice,       // the speaker button or the voice key: reading aloud on/off, for one citizen
  toggle_large_text,  // the welcome's large-text switch, for one citizen's survey
  staff_volume,       // value: the read-aloud volume, 0–100
};

struct Action {
  ActionKind kind;
  int value = 0;
  std::string text;
};

// Typing on a keyboard or keypad: exempt from the repeated-tap filter ("aa" for â is two quick
// taps on one key) and from the guard on a newly shown screen.
bool is_typing(ActionKind kind);

// Why the last dossier entry was refused (shown on the dossier screen).
enum class DossierNotice { none, empty, used_today };
enum class PinNotice { none, wrong, locked, not_set };

struct FlowSettings {
  // No tap for idle_timeout in the middle of a survey asks "more time?"; unanswered for more_time,
  // the answers so far are stored as a partial response (0: no question, stored at once).
  std::chrono::milliseconds idle_timeout{30000};
  std::chrono::milliseconds more_time{20000};
  std::chrono::milliseconds thanks_time{5000};
  std::chrono::milliseconds min_interval{10000};
  std::chrono::milliseconds double_tap{300};
  // How long a chosen answer stays on screen, marked, before the next screen shows; 0 moves on at
  // once. The one knob for selection feedback (a privacy option may shorten it).
  std::chrono::milliseconds selection_feedback{400};
  // Taps on a screen reached by an answer (the next question, the dossier, the procedure, the
  // step after the last question) within this of its appearing are ignored, so that a quick
  // second tap cannot answer a question nobody read. Typing keys and the dossier's submit (a
  // scanner's Enter) are exempt.
  std::chrono::milliseconds new_screen_guard{600};
  std::chrono::milliseconds long_press{3000};
  std::chrono::milliseconds staff_timeout{120000};
  std::chrono::milliseconds retry_interval{2000};
  std::size_t dossier_max_length = 40;
  std::size_t pin_max_length = 8;
  int pin_attempts = 5;                          // wrong PINs before the pad locks …
  std::chrono::milliseconds pin_lockout{300000};  // … for this long

  static FlowSettings from_config(const KioskConfig& config);
};

// The staff screen's work beyond navigation (figures, the officer setting, exports, uploads),
// carried out outside the Flow: in the app, the StaffController over the StaffModel. The Flow is
// the one place that decides which actions are staff work; it calls the desk from dispatch(), on
// the UI thread, once it has accepted the action.
class StaffDesk {
 public:
  virtual ~StaffDesk() = default;
  // The right PIN opened the staff screen.
  virtual void opened() = 0;
  // staff_tab, staff_page, staff_sync_now, staff_export, staff_volume, and staff_officer once the Flow has taken
  // the officer (one of this counter's). Not staff_back or staff_exit, which only navigate.
  virtual void carry_out(const Action& action) = 0;
};

class Flow {
 public:
  // `config`, `sink`, `clock` and `tz` must outlive the Flow. last_submitted: the newest stored
  // response (the minimum interval counts from it across restarts).
  Flow(const KioskConfig& config, FlowSettings settings, ResponseSink& sink, const Clock& clock,
       const TimeZone& tz, std::optional<TimePoint> last_submitted = std::nullopt);

  // Applies one citizen or staff action. Returns false when it was ignored (not valid on this
  // screen, a repeated tap, a refused key).
  // `tapped_at`: when the citizen's tap happened, where it differs from now (a tap that waited in
  // the input queue behind slower frames); the repeated-tap window counts from it.
  bool dispatch(const Action& action, std::optional<TimePoint> tapped_at = std::nullopt);
  // Applies what time alone changes (idle timeout, end of thanks, long press, retries). Call it
  // at least at next_deadline().
  void tick();
  // The next instant at which tick() may change something visible; nullopt when nothing is due.
  std::optional<TimePoint> next_deadline() const;

  // The store failed outside a survey (at start, or in a staff action): show out_of_service.
  void store_failed();
  void set_officer(std::optional<std::string> officer) { officer_ = std::move(officer); }
  // Where staff work goes; must outlive its use. nullptr (the default): the staff screen only
  // navigates and keeps the officer.
  void set_staff_desk(StaffDesk* desk) { staff_desk_ = desk; }
  // Where speech and the tap sound go; must outlive its use. nullptr (the default): silent. The
  // Flow says each citizen screen as it appears while voice is on, each option as it is first
  // touched, and sounds the tap on every accepted action when the config's tap_sound is on.
  void set_voice(Voice* voice);
  // The read-aloud volume (0–100), e.g. the one staff stored; the config's until set.
  void set_volume(int percent);
  int volume() const { return volume_; }
  // Locked PIN pad: when it opens again; nullopt when it is not locked.
  std::optional<TimePoint> pin_locked_until() const { return pin_locked_until_; }

  Screen screen() const { return screen_; }
  const std::string& language() const { return language_; }
  // High contrast, switched on the welcome screen by a citizen; it lasts until their survey ends
  // (or the welcome is left untouched for the idle timeout), as the language chosen does.
  bool high_contrast() const { return high_contrast_; }
  // Large text, switched on the welcome screen beside high contrast and lasting as it does.
  bool large_text() const { return large_text_; }
  // Reading aloud: switched on by a citizen with the speaker button or the voice key, until their
  // survey ends (or the welcome is left untouched for the idle timeout); always on where the
  // config says so. While it is on, the first touch on an answer, procedure or reason says it and
  // a second touch on the same one chooses it.
  bool voice_on() const { return voice_on_; }
  const KioskConfig& config() const { return config_; }
  const Survey& survey() const { return survey_; }
  const std::optional<std::string>& officer() const { return officer_; }
  bool quit_requested() const { return quit_requested_; }

  // Welcome: 0 when a survey may start now, else whole seconds until it may. The minimum interval
  // counts from the previous citizen's last tap, not from when an abandoned survey was stored.
  int seconds_until_next() const;
  // While a survey waits for "more time?" to be answered: whole seconds until the answers so far
  // are stored and the kiosk starts over (at least 1). nullopt when not asking.
  std::optional<int> more_time_left() const;
  // While a chosen answer is shown before moving on (selection_feedback): the answer's value
  // (nullopt inside for "not applicable" or "don't know"). nullopt when not confirming.
  std::optional<std::optional<int>> confirming() const;

  // The procedures of this kiosk's counter, in the configured order. The procedure screen is shown
  // when there are two or more; a single one is recorded without asking.
  const std::vector<const Procedure*>& procedures() const { return procedures_; }
  // The procedure recorded for the current citizen; nullopt when skipped or none is configured.
  const std::optional<std::string>& procedure() const { return procedure_; }
  // The page of procedures shown when they do not all fit one screen (0-based). The view decides
  // how many fit a page; the Flow keeps which one shows, from 0 each time the screen is entered.
  std::size_t procedure_page() const { return procedure_page_; }

  const std::string& dossier_entry() const { return dossier_entry_; }
  DossierNotice dossier_notice() const { return dossier_notice_; }

  // The questions in the order asked; index 0 is the one the welcome faces answer.
  std::size_t question_count() const { return questions_.size(); }
  std::size_t question_index() const { return question_index_; }  // 0-based
  const Criterion& current_question() const { return *questions_[question_index_]; }
  const Criterion& first_question() const { return *questions_.front(); }
  // The answer already given to the current question (after "back"); nullopt if none.
  std::optional<std::optional<int>> current_answer() const { return answers_[question_index_]; }
  // Whether the current question was answered "Chưa biết".
  bool current_unknown() const { return unknown_[question_index_]; }
  bool can_go_back() const;

  // The reasons offered on the follow-up step: those tied to the criteria answered low (at or
  // below the survey's threshold), and the catch-alls; empty when nothing was answered low.
  std::vector<const Reason*> offered_reasons() const;
  bool reason_selected(const std::string& id) const;
  const TelexComposer& comment() const { return comment_; }
  bool comment_shift() const { return shift_; }
  // Telex composition on the comment keyboard: on in Vietnamese, off (plain letters) otherwise,
  // switched with comment_telex.
  bool comment_telex() const { return telex_; }

  std::size_t pin_length() const { return pin_entry_.size(); }
  PinNotice pin_notice() const { return pin_notice_; }

  // Out of service: the response waiting to be stored, if any.
  bool has_pending() const { return pending_.has_value(); }

 private:
  bool is_survey_screen() const;
  bool is_citizen_screen() const;
  // dispatch() and tick() without their effects on speech and sound.
  bool accept(const Action& action, std::optional<TimePoint> tapped_at);
  void advance(TimePoint now);
  // Voice on: true when the action is a first touch on an option, said instead of carried out.
  bool touch_option(const Action& action);
  // Says the screen when it changed since it was last said (voice on).
  void say_screen_if_new();
  std::string screen_key() const;
  void toggle_voice();
  // Whether the citizen changed the language or the contrast from the kiosk's own.
  bool own_settings_changed() const;
  bool asks_procedure() const { return procedures_.size() >= 2; }
  bool is_repeat(const Action& a, TimePoint at);
  void open_pin_pad(TimePoint now);
  void begin_survey(TimePoint now);
  // Records the current question's answer and holds it for selection_feedback before moving on.
  void choose(std::optional<int> value, bool unknown, TimePoint now);
  // Once the held answer has been shown long enough: the next screen, shown as of that instant.
  void settle(TimePoint now);
  void move_on(TimePoint shown_at);
  void after_last_question();
  ResponseDraft make_draft(ResponseStatus status, TimePoint now) const;
  void commit(ResponseStatus status, TimePoint now);
  void go_welcome();
  // The idle timeout on a survey screen: keeps what was answered (partial) or starts over.
  void walk_away(TimePoint now);
  // Out of service: tries the store again and, once it works, saves the response held back.
  void retry_store(TimePoint now);
  void go_out_of_service(TimePoint now);
  // Where "back" leads from a screen: the screen and the question shown there (Screen::welcome
  // starts afresh). can_go_back() and the back action both follow it.
  struct BackStep {
    Screen screen;
    std::size_t question;
  };
  std::optional<BackStep> back_step() const;
  bool go_back();
  // The staff corner's hold runs from the press to the release, both at the times the taps
  // happened: a release that waited behind slow frames still counts the whole hold.
  bool press_corner(TimePoint at);
  bool release_corner(TimePoint at, TimePoint now);
  void leave_staff(TimePoint now);

  // handle() routes an action: the corner and "back" itself, the rest to the handler of the
  // screen showing. Each returns whether the action was accepted. `at` is when the tap happened.
  bool handle(const Action& a, TimePoint now, TimePoint at);
  bool handle_welcome(const Action& a, TimePoint now, TimePoint at);
  bool handle_dossier(const Action& a, TimePoint now);
  bool submit_dossier(TimePoint now);
  bool handle_procedure(const Action& a, TimePoint now);
  bool handle_question(const Action& a, TimePoint now);
  bool handle_followup(const Action& a, TimePoint now);
  bool handle_comment(const Action& a, TimePoint now);
  bool handle_pin(const Action& a, TimePoint now);
  bool submit_pin(TimePoint now);
  bool handle_staff(const Action& a, TimePoint now);

  const KioskConfig& config_;
  const Survey& survey_;
  FlowSettings settings_;
  ResponseSink& sink_;
  const Clock& clock_;
  const TimeZone& tz_;
  std::vector<const Criterion*> questions_;
  std::vector<const Procedure*> procedures_;

  Screen screen_ = Screen::welcome;
  std::string language_;
  bool high_contrast_ = false;
  bool large_text_ = false;
  bool voice_on_ = false;
  int volume_ = 80;
  Voice* voice_ = nullptr;
  std::string said_screen_;                    // screen_key() of the screen last said
  std::optional<std::string> touched_option_;  // the option said, waiting for a second touch
  std::optional<std::string> officer_;
  TimePoint last_input_{};
  TimePoint last_survey_tap_{};  // the citizen's last accepted tap in the survey
  std::optional<TimePoint> next_allowed_;
  std::optional<TimePoint> confirm_until_;  // a chosen answer is being shown until then
  std::optional<TimePoint> guard_until_;    // taps before then on the screen shown are ignored
  std::optional<TimePoint> more_time_until_;  // "more time?" is asked until then
  TimePoint thanks_until_{};

  TimePoint started_at_{};
  std::string dossier_entry_;
  std::optional<std::string> dossier_;
  std::optional<std::string> procedure_;
  std::size_t procedure_page_ = 0;
  DossierNotice dossier_notice_ = DossierNotice::none;
  std::size_t question_index_ = 0;
  std::vector<std::optional<std::optional<int>>> answers_;
  std::vector<bool> unknown_;  // "Chưa biết": not stored, like a question left unanswered
  std::vector<std::string> reasons_;
  TelexComposer comment_;
  bool shift_ = false;
  bool telex_ = true;

  std::string last_tap_;
  TimePoint last_tap_at_{};

  StaffDesk* staff_desk_ = nullptr;
  std::optional<TimePoint> corner_since_;
  Screen pin_return_ = Screen::welcome;
  std::string pin_entry_;
  PinNotice pin_notice_ = PinNotice::none;
  int pin_failures_ = 0;
  std::optional<TimePoint> pin_locked_until_;
  bool quit_requested_ = false;

  bool store_ok_ = true;
  std::optional<ResponseDraft> pending_;
  TimePoint next_retry_{};
};

}  // namespace sipas
