// Speech synthesis with espeak-ng (Debian's libespeak-ng), into memory. espeak-ng keeps global
// state and is not thread-safe: one EspeakSynth at a time, created, used and destroyed on one
// thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sipas/status.hpp"
#include "speech.hpp"

namespace sipas {

class EspeakSynth {
 public:
  // espeak-ng with its data where it looks by default (ESPEAK_DATA_PATH, else the system's
  // espeak-ng-data). unavailable, with espeak's reason, when the data cannot be loaded.
  static Result<std::unique_ptr<EspeakSynth>> open();
  ~EspeakSynth();
  EspeakSynth(const EspeakSynth&) = delete;
  EspeakSynth& operator=(const EspeakSynth&) = delete;

  int sample_rate() const { return rate_; }

  // Mono 16-bit samples at sample_rate(), handed to `chunk` as they are made; `chunk` returns
  // false to stop early. not_found when the language has no voice, internal when espeak fails.
  using Chunk = std::function<bool(const std::int16_t* samples, std::size_t count)>;
  Status synthesize(const Utterance& u, const Chunk& chunk);
  // The whole utterance at once.
  Result<std::vector<std::int16_t>> synthesize(const Utterance& u);

 private:
  explicit EspeakSynth(int rate) : rate_(rate) {}
  int rate_;
  std::string voice_;  // the language whose voice is set
};

}  // namespace sipas
