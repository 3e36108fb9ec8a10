#include "flow.hpp"

#include <algorithm>
#include <charconv>

#include "sipas/crypto.hpp"
#include "text.hpp"

namespace sipas {

using std::chrono::milliseconds;

const char* to_string(Screen s) {
  switch (s) {
    case Screen::welcome: return "welcome";
    case Screen::dossier: return "dossier";
    case Screen::procedure: return "procedure";
    case Screen::question: return "question";
    case Screen::followup: return "followup";
    case Screen::comment: return "comment";
    case Screen::thanks: return "thanks";
    case Screen::pin: return "pin";
    case Screen::staff: return "staff";
    case Screen::out_of_service: return "out_of_service";
  }
  return "welcome";
}

FlowSettings FlowSettings::from_config(const KioskConfig& c) {
  FlowSettings s;
  s.idle_timeout = milliseconds(c.idle_timeout_seconds * 1000LL);
  s.more_time = milliseconds(c.more_time_seconds * 1000LL);
  s.thanks_time = milliseconds(c.thanks_seconds * 1000LL);
  s.min_interval = milliseconds(c.min_interval_seconds * 1000LL);
  s.double_tap = milliseconds(c.double_tap_ms);
  s.selection_feedback = milliseconds(c.private_answers
                                         ? std::min(c.selection_feedback_ms, KioskConfig::kPrivateFeedbackMs)
                                         : c.selection_feedback_ms);
  s.pin_lockout = milliseconds(c.pin_lockout_seconds * 1000LL);
  s.dossier_max_length = 40;
  return s;
}

Flow::Flow(const KioskConfig& config, FlowSettings settings, ResponseSink& sink,
           const Clock& clock, const TimeZone& tz, std::optional<TimePoint> last_submitted)
    : config_(config),
      survey_(config.survey()),
      settings_(settings),
      sink_(sink),
      clock_(clock),
      tz_(tz),
      questions_(survey_.asking_order()),
      language_(config.default_language),
      voice_on_(config.voice.always_on),
      volume_(config.voice.volume),
      comment_(static_cast<std::size_t>(std::max(0, survey_.comment_max_length))) {
  if (last_submitted) next_allowed_ = *last_submitted + settings_.min_interval;
  last_input_ = clock_.now();
  answers_.assign(questions_.size(), std::nullopt);
  unknown_.assign(questions_.size(), false);
  if (const Counter* counter = config_.find_counter(config_.counter)) {
    for (const std::string& code : counter->procedures) {
      if (const Procedure* p = config_.find_procedure(code)) procedures_.push_back(p);
    }
  }
}

bool Flow::is_citizen_screen() const {
  return is_survey_screen() || screen_ == Screen::welcome || screen_ == Screen::thanks;
}

void Flow::set_voice(Voice* voice) {
  voice_ = voice;
  if (voice_) voice_->set_volume(volume_);
}

void Flow::set_volume(int percent) {
  volume_ = std::clamp(percent, 0, 100);
  if (voice_) voice_->set_volume(volume_);
}

std::string Flow::screen_key() const {
  return std::string(to_string(screen_)) + ':' + std::to_string(question_index_) + ':' + language_ +
         (more_time_until_ ? ":more" : "");
}

void Flow::say_screen_if_new() {
  const std::string key = screen_key();
  if (key == said_screen_) return;
  said_screen_ = key;
  touched_option_.reset();
  if (!voice_on_ || !voice_) return;
  std::vector<Utterance> say = screen_utterances(*this);
  if (say.empty()) {
    voice_->stop();
  } else {
    voice_->speak(std::move(say));
  }
}

void Flow::toggle_voice() {
  voice_on_ = !voice_on_;
  touched_option_.reset();
  said_screen_ = screen_key();
  if (!voice_) return;
  if (!voice_on_) {
    voice_->stop();
    return;
  }
  std::vector<Utterance> say{Utterance{language_, text(language_, Text::voice_on)}};
  for (Utterance& u : screen_utterances(*this)) say.push_back(std::move(u));
  voice_->speak(std::move(say));
}

bool Flow::touch_option(const Action& a) {
  switch (a.kind) {
    case ActionKind::answer:
    case ActionKind::not_applicable:
    case ActionKind::unknown:
      if (screen_ != Screen::welcome && screen_ != Screen::question) return false;
      break;
    case ActionKind::procedure_choose:
    case ActionKind::procedure_skip:
      if (screen_ != Screen::procedure) return false;
      break;
    case ActionKind::toggle_reason:
      if (screen_ != Screen::followup) return false;
      break;
    default: return false;
  }
  const std::string key =
      std::to_string(static_cast<int>(a.kind)) + ':' + std::to_string(a.value) + ':' + a.text;
  if (touched_option_ == key) {
    touched_option_.reset();
    return false;
  }
  std::vector<Utterance> say = option_utterances(*this, a);
  if (say.empty()) return false;
  touched_option_ = key;
  if (voice_) voice_->speak(std::move(say));
  return true;
}

bool Flow::is_survey_screen() const {
  return screen_ == Screen::dossier || screen_ == Screen::procedure ||
         screen_ == Screen::question || screen_ == Screen::followup || screen_ == Screen::comment;
}

int Flow::seconds_until_next() const {
  if (!next_allowed_) return 0;
  const auto left = *next_allowed_ - clock_.now();
  if (left <= milliseconds(0)) return 0;
  return static_cast<int>((left.count() + 999) / 1000);
}

std::optional<std::optional<int>> Flow::confirming() const {
  if (!confirm_until_) return std::nullopt;
  return answers_[question_index_].value_or(std::nullopt);
}

bool Flow::can_go_back() const { return back_step().has_value(); }

bool Flow::reason_selected(const std::string& id) const {
  return std::find(reasons_.begin(), reasons_.end(), id) != reasons_.end();
}

std::vector<const Reason*> Flow::offered_reasons() const {
  std::vector<std::string> low;
  for (std::size_t i = 0; i < questions_.size(); ++i) {
    const auto& a = answers_[i];
    if (a && *a && **a <= survey_.followup_at_or_below) low.push_back(questions_[i]->id);
  }
  return survey_.reasons_for(low);
}

bool is_typing(ActionKind kind) {
  switch (kind) {
    case ActionKind::dossier_key:
    case ActionKind::dossier_backspace:
    case ActionKind::comment_key:
    case ActionKind::comment_backspace:
    case ActionKind::pin_key:
    case ActionKind::pin_backspace:
      return true;
    default:
      return false;
  }
}

// The staff corner's press and release are one gesture, never a repeat.
bool Flow::is_repeat(const Action& a, TimePoint at) {
  if (is_typing(a.kind) || a.kind == ActionKind::corner_down || a.kind == ActionKind::corner_up) {
    return false;
  }
  const std::string key =
      std::to_string(static_cast<int>(a.kind)) + ':' + std::to_string(a.value) + ':' + a.text;
  const bool repeat = key == last_tap_ && at - last_tap_at_ < settings_.double_tap;
  if (!repeat) {
    last_tap_ = key;
    last_tap_at_ = at;
  }
  return repeat;
}

void Flow::begin_survey(TimePoint now) {
  started_at_ = now;
  dossier_entry_.clear();
  dossier_.reset();
  procedure_.reset();
  if (procedures_.size() == 1) procedure_ = procedures_.front()->code;
  dossier_notice_ = DossierNotice::none;
  question_index_ = 0;
  answers_.assign(questions_.size(), std::nullopt);
  unknown_.assign(questions_.size(), false);
  reasons_.clear();
  comment_.clear();
  shift_ = false;
  telex_ = language_ == "vi";
}

void Flow::choose(std::optional<int> value, bool unknown, TimePoint now) {
  answers_[question_index_] = unknown ? std::nullopt : std::optional<std::optional<int>>(value);
  unknown_[question_index_] = unknown;
  last_survey_tap_ = now;
  if (settings_.selection_feedback <= milliseconds(0)) {
    move_on(now);
  } else {
    confirm_until_ = now + settings_.selection_feedback;
  }
}

void Flow::settle(TimePoint now) {
  if (!confirm_until_ || now < *confirm_until_) return;
  const TimePoint shown_at = *confirm_until_;
  confirm_until_.reset();
  move_on(shown_at);
}

// The way forward from the screen showing: after the first question the dossier and the procedure
// (each where asked), then the remaining questions, then the follow-up step. The screen it shows
// ignores taps for new_screen_guard from `shown_at`.
void Flow::move_on(TimePoint shown_at) {
  std::size_t next_question = question_index_ + 1;
  switch (screen_) {
    case Screen::welcome:
    case Screen::question:
      if (screen_ == Screen::question && question_index_ > 0) break;
      if (survey_.ask_dossier) {
        screen_ = Screen::dossier;
        guard_until_ = shown_at + settings_.new_screen_guard;
        return;
      }
      [[fallthrough]];
    case Screen::dossier:
      if (asks_procedure()) {
        screen_ = Screen::procedure;
        procedure_page_ = 0;
        guard_until_ = shown_at + settings_.new_screen_guard;
        return;
      }
      next_question = 1;
      break;
    case Screen::procedure: next_question = 1; break;
    default: return;
  }
  if (next_question < questions_.size()) {
    question_index_ = next_question;
    screen_ = Screen::question;
  } else {
    after_last_question();
  }
  guard_until_ = shown_at + settings_.new_screen_guard;
}

// Everyone is offered the same step, so that the screen does not tell an onlooker how the citizen
// answered; only the reasons on it depend on the answers.
void Flow::after_last_question() {
  question_index_ = questions_.size() - 1;
  screen_ = Screen::followup;
}

ResponseDraft Flow::make_draft(ResponseStatus status, TimePoint now) const {
  ResponseDraft d;
  d.survey_id = survey_.id;
  d.survey_version = survey_.version;
  d.unit = config_.unit.code;
  d.counter = config_.counter;
  d.officer = officer_;
  d.dossier = dossier_;
  d.procedure = procedure_;
  d.language = language_;
  d.started_at = started_at_;
  d.submitted_at = now;
  d.status = status;
  for (std::size_t i = 0; i < questions_.size(); ++i) {
    if (answers_[i]) d.answers.push_back(Answer{questions_[i]->id, *answers_[i]});
  }
  // A reason chosen while it was offered and no longer is (an answer changed after "back") is
  // left out: reasons stay tied to low answers.
  for (const Reason* r : offered_reasons()) {
    if (reason_selected(r->id)) d.reasons.push_back(r->id);
  }
  if (comment_.length() > 0) d.comment = comment_.utf8();
  return d;
}

void Flow::commit(ResponseStatus status, TimePoint now) {
  ResponseDraft draft = make_draft(status, now);
  const Status st = sink_.append(draft);
  if (!st.is_ok()) {
    pending_ = std::move(draft);
    go_out_of_service(now);
    return;
  }
  // From the citizen's last tap: a survey stored after the idle timeout does not hold back the
  // next citizen, quick repeated ratings still are.
  next_allowed_ = last_survey_tap_ + settings_.min_interval;
  if (status == ResponseStatus::complete) {
    screen_ = Screen::thanks;
    thanks_until_ = now + settings_.thanks_time;
  } else {
    go_welcome();
  }
}

void Flow::go_welcome() {
  screen_ = Screen::welcome;
  language_ = config_.default_language;
  high_contrast_ = false;
  large_text_ = false;
  if (voice_on_ && !config_.voice.always_on && voice_) voice_->stop();
  voice_on_ = config_.voice.always_on;
  answers_.assign(questions_.size(), std::nullopt);
  unknown_.assign(questions_.size(), false);
  question_index_ = 0;
  reasons_.clear();
  comment_.clear();
  dossier_entry_.clear();
  dossier_.reset();
  procedure_.reset();
  procedure_page_ = 0;
  corner_since_.reset();
  confirm_until_.reset();
  guard_until_.reset();
  more_time_until_.reset();
}

void Flow::go_out_of_service(TimePoint now) {
  store_ok_ = false;
  screen_ = Screen::out_of_service;
  next_retry_ = now + settings_.retry_interval;
  corner_since_.reset();
}

void Flow::store_failed() { go_out_of_service(clock_.now()); }

bool Flow::dispatch(const Action& action, std::optional<TimePoint> tapped_at) {
  const bool accepted = accept(action, tapped_at);
  if (accepted && voice_ && config_.tap_sound) voice_->tap_sound();
  say_screen_if_new();
  return accepted;
}

bool Flow::accept(const Action& action, std::optional<TimePoint> tapped_at) {
  const TimePoint now = clock_.now();
  const TimePoint at = tapped_at.value_or(now);
  last_input_ = now;
  settle(now);
  if (action.kind == ActionKind::toggle_voice) {
    // Never held back by a new screen or a choice on show: a citizen who cannot see the screen
    // does not know when it changed. It answers "more time?" too, as any tap does.
    if (!is_citizen_screen() || is_repeat(action, at)) return false;
    more_time_until_.reset();
    if (is_survey_screen()) last_survey_tap_ = at;
    toggle_voice();
    return true;
  }
  if (more_time_until_) {
    // Any tap answers "more time?", wherever it lands: the question covers the screen, and a tap
    // meant for it must not answer the question underneath.
    more_time_until_.reset();
    if (is_survey_screen()) last_survey_tap_ = at;
    return true;
  }
  if (action.kind == ActionKind::more_time) return false;
  // The guard is against a quick second tap landing on a screen nobody has read. The dossier's
  // submit is exempt: a barcode scanner ends with Enter at once, and an empty entry is refused
  // anyway.
  const bool exempt = is_typing(action.kind) || action.kind == ActionKind::corner_down ||
                      action.kind == ActionKind::corner_up ||
                      action.kind == ActionKind::dossier_submit;
  if (guard_until_ && at < *guard_until_ && !exempt) return false;
  if (is_repeat(action, at)) return false;
  if (confirm_until_ && action.kind != ActionKind::answer &&
      action.kind != ActionKind::not_applicable && action.kind != ActionKind::unknown) {
    return false;  // while the choice shows, only another choice counts
  }
  if (is_survey_screen()) last_survey_tap_ = at;
  if (voice_on_ && touch_option(action)) return true;
  return handle(action, now, at);
}

// Actions that mean the same on every screen are routed here, before the screen's own handler
// sees the rest: the staff corner and "back".
bool Flow::handle(const Action& a, TimePoint now, TimePoint at) {
  switch (a.kind) {
    case ActionKind::corner_down: return press_corner(at);
    case ActionKind::corner_up: return release_corner(at, now);
    case ActionKind::back: return go_back();
    default: break;
  }
  switch (screen_) {
    case Screen::welcome: return handle_welcome(a, now, at);
    case Screen::dossier: return handle_dossier(a, now);
    case Screen::procedure: return handle_procedure(a, now);
    case Screen::question: return handle_question(a, now);
    case Screen::followup: return handle_followup(a, now);
    case Screen::comment: return handle_comment(a, now);
    case Screen::pin: return handle_pin(a, now);
    case Screen::staff: return handle_staff(a, now);
    case Screen::thanks:
    case Screen::out_of_service: return false;
  }
  return false;
}

void Flow::open_pin_pad(TimePoint now) {
  corner_since_.reset();
  pin_return_ = screen_;
  pin_entry_.clear();
  pin_notice_ = (pin_locked_until_ && now < *pin_locked_until_) ? PinNotice::locked
                                                                  : PinNotice::none;
  screen_ = Screen::pin;
  last_input_ = now;
}

// Only where no citizen is midway: a survey in progress is never interrupted by the PIN pad.
bool Flow::press_corner(TimePoint at) {
  if (screen_ != Screen::welcome && screen_ != Screen::out_of_service) return false;
  corner_since_ = at;
  return true;
}

// A release can reach the flow before tick() has seen the hold's deadline pass.
bool Flow::release_corner(TimePoint at, TimePoint now) {
  if (corner_since_ && at - *corner_since_ >= settings_.long_press) {
    open_pin_pad(now);
  } else {
    corner_since_.reset();
  }
  return true;
}

// The first question was answered on the welcome screen; "back" never leads there (the answer is
// the citizen's rating), only to that question on a screen of its own.
std::optional<Flow::BackStep> Flow::back_step() const {
  switch (screen_) {
    case Screen::dossier: return BackStep{Screen::question, 0};
    case Screen::procedure:
      return BackStep{survey_.ask_dossier ? Screen::dossier : Screen::question, 0};
    case Screen::question:
      if (question_index_ > 1) return BackStep{Screen::question, question_index_ - 1};
      if (question_index_ == 0) return std::nullopt;
      if (asks_procedure()) return BackStep{Screen::procedure, 0};
      if (survey_.ask_dossier) return BackStep{Screen::dossier, 0};
      return BackStep{Screen::question, 0};
    case Screen::followup: return BackStep{Screen::question, questions_.size() - 1};
    case Screen::comment: return BackStep{Screen::followup, question_index_};
    default: return std::nullopt;
  }
}

bool Flow::go_back() {
  const std::optional<BackStep> step = back_step();
  if (!step) return false;
  screen_ = step->screen;
  question_index_ = step->question;
  if (screen_ == Screen::procedure) procedure_page_ = 0;
  return true;
}

bool Flow::handle_welcome(const Action& a, TimePoint now, TimePoint at) {
  switch (a.kind) {
    case ActionKind::set_language:
      if (std::find(config_.languages.begin(), config_.languages.end(), a.text) ==
          config_.languages.end()) {
        return false;
      }
      language_ = a.text;
      return true;
    case ActionKind::toggle_contrast:
      high_contrast_ = !high_contrast_;
      return true;
    case ActionKind::toggle_large_text:
      large_text_ = !large_text_;
      return true;
    case ActionKind::answer:
      if (!survey_.is_valid_value(first_question(), a.value)) return false;
      if (!confirm_until_) {
        if (next_allowed_ && now < *next_allowed_) return false;
        begin_survey(at);
      }
      choose(a.value, false, now);
      return true;
    default: return false;
  }
}

bool Flow::handle_dossier(const Action& a, TimePoint now) {
  switch (a.kind) {
    case ActionKind::dossier_key:
      if (a.value < 0x20 || a.value > 0x7E) return false;
      if (dossier_entry_.size() >= settings_.dossier_max_length) return false;
      dossier_entry_.push_back(static_cast<char>(a.value));
      dossier_notice_ = DossierNotice::none;
      return true;
    case ActionKind::dossier_backspace:
      if (dossier_entry_.empty()) return false;
      dossier_entry_.pop_back();
      dossier_notice_ = DossierNotice::none;
      return true;
    case ActionKind::dossier_submit: return submit_dossier(now);
    case ActionKind::dossier_skip:
      if (!survey_.dossier_optional) return false;
      dossier_.reset();
      dossier_entry_.clear();
      dossier_notice_ = DossierNotice::none;
      move_on(now);
      return true;
    default: return false;
  }
}

// "Today" is the unit's local day, the day the rule of one response per dossier counts in.
bool Flow::submit_dossier(TimePoint now) {
  if (dossier_entry_.empty()) {
    dossier_notice_ = DossierNotice::empty;
    return false;
  }
  const Date today = tz_.local_date(now);
  const TimePoint from = tz_.start_of_day(today);
  const TimePoint to = tz_.start_of_day(Date{std::chrono::sys_days(today) + std::chrono::days(1)});
  const auto used = sink_.dossier_used(dossier_entry_, from, to);
  if (!used.is_ok()) {
    go_out_of_service(now);
    return false;
  }
  if (*used) {
    dossier_notice_ = DossierNotice::used_today;
    return false;
  }
  dossier_ = dossier_entry_;
  dossier_notice_ = DossierNotice::none;
  move_on(now);
  return true;
}

bool Flow::handle_procedure(const Action& a, TimePoint now) {
  switch (a.kind) {
    case ActionKind::procedure_choose:
      if (std::none_of(procedures_.begin(), procedures_.end(),
                       [&a](const Procedure* p) { return p->code == a.text; })) {
        return false;
      }
      procedure_ = a.text;
      break;
    case ActionKind::procedure_skip:
      procedure_.reset();
      break;
    case ActionKind::procedure_page: {
      // Turning a page chooses nothing: the procedure chosen, if any, stays chosen.
      std::size_t pages = 0;
      const char* end = a.text.data() + a.text.size();
      if (std::from_chars(a.text.data(), end, pages).ptr != end || pages == 0) return false;
      if (a.value == 1 && procedure_page_ + 1 < pages) {
        ++procedure_page_;
      } else if (a.value == -1 && procedure_page_ > 0 && procedure_page_ < pages) {
        --procedure_page_;
      } else {
        return false;
      }
      return true;
    }
    default: return false;
  }
  move_on(now);
  return true;
}

bool Flow::handle_question(const Action& a, TimePoint now) {
  switch (a.kind) {
    case ActionKind::answer:
      if (!survey_.is_valid_value(current_question(), a.value)) return false;
      choose(a.value, false, now);
      return true;
    case ActionKind::not_applicable:
      if (!survey_.allow_not_applicable) return false;
      choose(std::nullopt, false, now);
      return true;
    case ActionKind::unknown:
      if (!current_question().allow_unknown) return false;
      choose(std::nullopt, true, now);
      return true;
    default: return false;
  }
}

bool Flow::handle_followup(const Action& a, TimePoint now) {
  switch (a.kind) {
    case ActionKind::toggle_reason: {
      const auto offered = offered_reasons();
      if (std::none_of(offered.begin(), offered.end(),
                       [&a](const Reason* r) { return r->id == a.text; })) {
        return false;
      }
      auto it = std::find(reasons_.begin(), reasons_.end(), a.text);
      if (it == reasons_.end()) {
        reasons_.push_back(a.text);
      } else {
        reasons_.erase(it);
      }
      return true;
    }
    case ActionKind::followup_next:
      screen_ = Screen::comment;
      return true;
    case ActionKind::followup_finish:
      commit(ResponseStatus::complete, now);
      return true;
    default: return false;
  }
}

bool Flow::handle_comment(const Action& a, TimePoint now) {
  switch (a.kind) {
    case ActionKind::comment_key: {
      char32_t c = static_cast<char32_t>(a.value);
      if (shift_ && c >= U'a' && c <= U'z') c -= 32;
      const bool ok = telex_ ? comment_.type(c) : comment_.insert(c);
      if (ok) shift_ = false;
      return ok;
    }
    case ActionKind::comment_backspace:
      if (comment_.length() == 0) return false;
      comment_.backspace();
      return true;
    case ActionKind::comment_shift:
      shift_ = !shift_;
      return true;
    case ActionKind::comment_telex:
      telex_ = !telex_;
      return true;
    case ActionKind::comment_submit:
      commit(ResponseStatus::complete, now);
      return true;
    default: return false;
  }
}

bool Flow::handle_pin(const Action& a, TimePoint now) {
  switch (a.kind) {
    case ActionKind::pin_key:
      if (pin_locked_until_ && now < *pin_locked_until_) return false;
      if (a.value < '0' || a.value > '9') return false;
      if (pin_entry_.size() >= settings_.pin_max_length) return false;
      pin_entry_.push_back(static_cast<char>(a.value));
      pin_notice_ = PinNotice::none;
      return true;
    case ActionKind::pin_backspace:
      if (pin_entry_.empty()) return false;
      pin_entry_.pop_back();
      return true;
    case ActionKind::pin_submit: return submit_pin(now);
    case ActionKind::pin_cancel:
      pin_entry_.clear();
      screen_ = pin_return_;
      return true;
    default: return false;
  }
}

// Failures count across entries until one succeeds; the pad locks after pin_attempts of them.
bool Flow::submit_pin(TimePoint now) {
  if (pin_locked_until_ && now < *pin_locked_until_) return false;
  if (config_.staff_pin_hash.empty()) {
    pin_notice_ = PinNotice::not_set;
    pin_entry_.clear();
    return false;
  }
  const bool ok = verify_secret(pin_entry_, config_.staff_pin_hash);
  pin_entry_.clear();
  if (!ok) {
    if (++pin_failures_ >= settings_.pin_attempts) {
      pin_locked_until_ = now + settings_.pin_lockout;
      pin_failures_ = 0;
      pin_notice_ = PinNotice::locked;
    } else {
      pin_notice_ = PinNotice::wrong;
    }
    return false;
  }
  pin_failures_ = 0;
  pin_notice_ = PinNotice::none;
  screen_ = Screen::staff;
  if (staff_desk_) staff_desk_->opened();
  return true;
}

bool Flow::handle_staff(const Action& a, TimePoint now) {
  switch (a.kind) {
    case ActionKind::staff_exit:
      quit_requested_ = true;
      return true;
    case ActionKind::staff_back:
      leave_staff(now);
      return true;
    case ActionKind::staff_officer: {
      const Counter* c = config_.find_counter(config_.counter);
      if (!c || std::none_of(c->officers.begin(), c->officers.end(),
                             [&a](const Officer& o) { return o.id == a.text; })) {
        return false;
      }
      officer_ = a.text;
      break;
    }
    case ActionKind::staff_volume:
      if (a.value < 0 || a.value > 100) return false;
      set_volume(a.value);
      break;
    case ActionKind::staff_tab:
    case ActionKind::staff_sync_now:
    case ActionKind::staff_export:
    case ActionKind::staff_page:
      break;
    default: return false;
  }
  if (staff_desk_) staff_desk_->carry_out(a);
  return true;
}

// A store that failed while staff worked leaves the kiosk out of service, not on welcome.
void Flow::leave_staff(TimePoint now) {
  if (store_ok_) {
    go_welcome();
  } else {
    go_out_of_service(now);
  }
}

void Flow::tick() {
  advance(clock_.now());
  say_screen_if_new();
}

void Flow::advance(TimePoint now) {
  settle(now);
  if (corner_since_ && now - *corner_since_ >= settings_.long_press) {
    open_pin_pad(now);
    return;
  }
  if (pin_locked_until_ && now >= *pin_locked_until_) {
    pin_locked_until_.reset();
    if (pin_notice_ == PinNotice::locked) pin_notice_ = PinNotice::none;
  }
  switch (screen_) {
    case Screen::dossier:
    case Screen::procedure:
    case Screen::question:
    case Screen::followup:
    case Screen::comment:
      if (more_time_until_) {
        if (now >= *more_time_until_) walk_away(now);
      } else if (now - last_input_ >= settings_.idle_timeout) {
        if (settings_.more_time.count() > 0) {
          more_time_until_ = now + settings_.more_time;
        } else {
          walk_away(now);
        }
      }
      break;
    case Screen::thanks:
      if (now >= thanks_until_) go_welcome();
      break;
    case Screen::pin:
      if (now - last_input_ >= settings_.idle_timeout) {
        pin_entry_.clear();
        screen_ = pin_return_;
      }
      break;
    case Screen::staff:
      if (now - last_input_ >= settings_.staff_timeout) leave_staff(now);
      break;
    case Screen::out_of_service:
      if (now >= next_retry_) retry_store(now);
      break;
    case Screen::welcome:
      // A citizen who changed the language or the contrast and left without rating: the next
      // one starts from the kiosk's own settings.
      if (own_settings_changed() && now - last_input_ >= settings_.idle_timeout) {
        language_ = config_.default_language;
        high_contrast_ = false;
        large_text_ = false;
        if (voice_on_ != config_.voice.always_on) toggle_voice();
      }
      break;
  }
}

bool Flow::own_settings_changed() const {
  return high_contrast_ || large_text_ || language_ != config_.default_language ||
         voice_on_ != config_.voice.always_on;
}

void Flow::walk_away(TimePoint now) {
  more_time_until_.reset();
  // What the citizen answered before walking away still counts, as a partial response.
  const bool any = std::any_of(answers_.begin(), answers_.end(),
                               [](const auto& a) { return a.has_value(); });
  if (any) {
    commit(ResponseStatus::partial, now);
  } else {
    go_welcome();
  }
}

void Flow::retry_store(TimePoint now) {
  next_retry_ = now + settings_.retry_interval;
  if (!sink_.recover().is_ok()) return;
  if (pending_) {
    if (!sink_.append(*pending_).is_ok()) return;
    next_allowed_ = last_survey_tap_ + settings_.min_interval;
    pending_.reset();
  }
  store_ok_ = true;
  go_welcome();
}

std::optional<int> Flow::more_time_left() const {
  if (!more_time_until_) return std::nullopt;
  const auto left = std::chrono::ceil<std::chrono::seconds>(*more_time_until_ - clock_.now()).count();
  return static_cast<int>(std::max<std::int64_t>(1, left));
}

std::optional<TimePoint> Flow::next_deadline() const {
  std::optional<TimePoint> best;
  auto consider = [&best](TimePoint t) {
    if (!best || t < *best) best = t;
  };
  const TimePoint now = clock_.now();
  if (corner_since_) consider(*corner_since_ + settings_.long_press);
  if (confirm_until_) consider(*confirm_until_);
  if (pin_locked_until_) consider(*pin_locked_until_);
  switch (screen_) {
    case Screen::welcome:
      if (own_settings_changed()) consider(last_input_ + settings_.idle_timeout);
      if (next_allowed_ && now < *next_allowed_) {
        const auto left = (*next_allowed_ - now).count();
        consider(now + milliseconds(left % 1000 == 0 ? 1000 : left % 1000));
      }
      break;
    case Screen::dossier:
    case Screen::procedure:
    case Screen::question:
    case Screen::followup:
    case Screen::comment:
      if (more_time_until_) {
        // The countdown changes each whole second.
        const auto left = (*more_time_until_ - now).count();
        consider(left <= 0 ? now : now + milliseconds(left % 1000 == 0 ? 1000 : left % 1000));
      } else {
        consider(last_input_ + settings_.idle_timeout);
      }
      break;
    case Screen::pin:
      consider(last_input_ + settings_.idle_timeout);
      break;
    case Screen::thanks:
      consider(thanks_until_);
      break;
    case Screen::staff:
      consider(last_input_ + settings_.staff_timeout);
      break;
    case Screen::out_of_service:
      consider(next_retry_);
      break;
  }
  return best;
}

}  // namespace sipas
