#include "generate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace sipas {
namespace {

using std::chrono::milliseconds;

const char* const kComments[] = {
    "Phải chờ quá lâu mới đến lượt.",
    "Cán bộ hướng dẫn chưa rõ, tôi phải đi lại nhiều lần.",
    "Cần bổ sung thêm ghế ngồi chờ.",
    "Thái độ tiếp dân chưa niềm nở.",
    "Hồ sơ trả chậm so với giấy hẹn.",
    "Biểu mẫu khó hiểu, nên có người hỗ trợ điền.",
    "Phí cao hơn niêm yết.",
    "Máy lấy số thứ tự hay bị lỗi.",
    "Không biết hồ sơ đang ở bước nào.",
    "Nhà vệ sinh chưa sạch sẽ.",
};

// As the kiosk records it: a counter's only procedure always; of several, the first ones are the
// busiest and about one citizen in ten taps "other / not sure".
std::optional<std::string> pick_procedure(std::mt19937_64& rng, const Counter* counter) {
  if (counter == nullptr || counter->procedures.empty()) return std::nullopt;
  const auto& codes = counter->procedures;
  if (codes.size() == 1) return codes.front();
  if (std::uniform_real_distribution<double>(0.0, 1.0)(rng) < 0.1) return std::nullopt;
  std::vector<double> weights;
  for (std::size_t i = 0; i < codes.size(); ++i) {
    weights.push_back(1.0 / static_cast<double>(i + 1));
  }
  std::discrete_distribution<std::size_t> pick(weights.begin(), weights.end());
  return codes[pick(rng)];
}

// Office hours in local time: 07:30–11:30 and 13:30–17:00, Monday to Friday, and Saturday
// mornings at a few centers.
TimePoint random_office_time(std::mt19937_64& rng, const TimeZone& tz, Date day) {
  std::uniform_int_distribution<int> half(0, 99);
  int minute;
  if (half(rng) < 55) {
    minute = std::uniform_int_distribution<int>(7 * 60 + 30, 11 * 60 + 29)(rng);
  } else {
    minute = std::uniform_int_distribution<int>(13 * 60 + 30, 16 * 60 + 59)(rng);
  }
  const int second = std::uniform_int_distribution<int>(0, 59)(rng);
  return tz.start_of_day(day) + std::chrono::minutes(minute) + std::chrono::seconds(second);
}

}  // namespace

Result<int> generate_responses(const KioskConfig& config, ResponseStore& store,
                               const GenerateOptions& options, TimePoint now, const TimeZone& tz) {
  if (options.count < 0) return Status::error(ErrorCode::invalid_argument, "--count: must be >= 0");
  if (options.days < 1) return Status::error(ErrorCode::invalid_argument, "--days: must be >= 1");
  const Survey& survey = config.survey();
  const auto questions = survey.questions();
  if (questions.empty()) return 0;
  std::mt19937_64 rng(options.seed);
  // Its own stream, so that a seed gives the same answers as before procedures were recorded.
  std::mt19937_64 procedure_rng(options.seed ^ 0x9e3779b97f4a7c15ULL);

  const Date today = tz.local_date(now);
  std::vector<Date> days;
  for (int d = options.days - 1; d >= 0; --d) {
    const Date day{std::chrono::sys_days(today) - std::chrono::days(d)};
    const std::chrono::weekday wd{std::chrono::sys_days(day)};
    if (wd == std::chrono::Sunday) continue;
    days.push_back(day);
  }
  if (days.empty()) days.push_back(today);

  // Saturdays get a third of a weekday's visitors.
  std::vector<double> weights;
  for (const Date& d : days) {
    weights.push_back(std::chrono::weekday{std::chrono::sys_days(d)} == std::chrono::Saturday ? 0.3
                                                                                            : 1.0);
  }
  std::discrete_distribution<std::size_t> pick_day(weights.begin(), weights.end());

  std::vector<TimePoint> times;
  times.reserve(static_cast<std::size_t>(options.count));
  for (int i = 0; i < options.count; ++i) {
    const Date day = days[pick_day(rng)];
    TimePoint t = random_office_time(rng, tz, day);
    if (t > now) {
      // Later today than now: somewhere between the day's start and now, so that the day keeps
      // its count even just after midnight (a staff screen's "today" counts on it).
      const auto since = std::chrono::duration_cast<milliseconds>(now - tz.start_of_day(day)).count();
      t = now - milliseconds(std::uniform_int_distribution<std::int64_t>(0, since)(rng));
    }
    times.push_back(t);
  }
  std::sort(times.begin(), times.end());

  // Each officer has a tendency: most are good, one in four a little weaker.
  std::map<std::string, double> officer_shift;
  for (const auto& c : config.counters) {
    for (const auto& o : c.officers) {
      if (!officer_shift.count(o.id)) {
        officer_shift[o.id] = std::uniform_real_distribution<double>(-0.9, 0.35)(rng);
      }
    }
  }

  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> noise(0.0, 0.6);
  std::map<std::string, int> dossiers_per_day;
  int written = 0;
  for (TimePoint submitted : times) {
    ResponseDraft d;
    d.survey_id = survey.id;
    d.survey_version = survey.version;
    d.unit = config.unit.code;
    const Counter* counter = nullptr;
    if (!config.counters.empty()) {
      counter = &config.counters[std::uniform_int_distribution<std::size_t>(
          0, config.counters.size() - 1)(rng)];
      d.counter = counter->id;
      if (!counter->officers.empty()) {
        d.officer = counter->officers[std::uniform_int_distribution<std::size_t>(
                                          0, counter->officers.size() - 1)(rng)]
                        .id;
      }
    } else {
      d.counter = config.counter;
    }
    d.procedure = pick_procedure(procedure_rng, config.find_counter(d.counter));
    d.language = unit(rng) < 0.92 ? "vi" : "en";
    d.submitted_at = submitted;
    d.started_at = submitted - milliseconds(std::uniform_int_distribution<int>(15000, 70000)(rng));
    if (survey.ask_dossier && (!survey.dossier_optional || unit(rng) < 0.75)) {
      const std::string day = format_date(tz.local_date(submitted));
      const int n = ++dossiers_per_day[day];
      char buf[64];
      std::snprintf(buf, sizeof buf, "000.00.22.H40-%s%s%s-%04d", day.substr(2, 2).c_str(),
                    day.substr(5, 2).c_str(), day.substr(8, 2).c_str(), n);
      d.dossier = buf;
    }

    // A citizen's overall mood on the scale, then each answer scattered around it.
    const double shift = d.officer ? officer_shift[*d.officer] : 0.0;
    const double r = unit(rng);
    double mood = r < 0.48 ? 5 : r < 0.82 ? 4 : r < 0.93 ? 3 : r < 0.98 ? 2 : 1;
    mood = std::clamp(mood + shift * unit(rng), 1.0, 5.0);
    std::size_t answered = questions.size();
    if (unit(rng) < 0.07) {
      d.status = ResponseStatus::partial;
      answered = std::uniform_int_distribution<std::size_t>(1, questions.size())(rng) - 1;
      answered = std::max<std::size_t>(1, answered);
    }
    bool low = false;
    for (std::size_t q = 0; q < answered; ++q) {
      const auto& opts = survey.options_for(*questions[q]);
      if (opts.empty()) continue;
      if (survey.allow_not_applicable && unit(rng) < 0.03) {
        d.answers.push_back(Answer{questions[q]->id, std::nullopt});
        continue;
      }
      // Position on the option list from the 1–5 mood.
      double pos = (mood + noise(rng) - 1.0) / 4.0 * static_cast<double>(opts.size() - 1);
      pos = std::clamp(std::round(pos), 0.0, static_cast<double>(opts.size() - 1));
      const int value = opts[static_cast<std::size_t>(pos)].value;
      if (value <= survey.followup_at_or_below) low = true;
      d.answers.push_back(Answer{questions[q]->id, value});
    }
    if (low && !survey.reasons.empty()) {
      std::vector<std::size_t> idx(survey.reasons.size());
      for (std::size_t k = 0; k < idx.size(); ++k) idx[k] = k;
      std::shuffle(idx.begin(), idx.end(), rng);
      const std::size_t n = std::min<std::size_t>(idx.size(), unit(rng) < 0.6 ? 1 : 2);
      std::sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(n));
      for (std::size_t k = 0; k < n; ++k) d.reasons.push_back(survey.reasons[idx[k]].id);
      if (unit(rng) < 0.4) {
        d.comment = kComments[std::uniform_int_distribution<std::size_t>(
            0, std::size(kComments) - 1)(rng)];
      }
    }
    auto stored = store.append(d);
    if (!stored.is_ok()) return stored.status();
    ++written;
  }
  return written;
}

}  // namespace sipas
