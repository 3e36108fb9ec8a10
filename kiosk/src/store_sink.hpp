// The ResponseStore behind the kiosk's ResponseSink: opened lazily, reopened when the file was
// damaged or replaced, probed with a tiny write to learn when writing works again.
//
// UI thread only (the store's connection belongs to it).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "flow.hpp"
#include "sipas/store.hpp"

namespace sipas {

class StoreSink final : public ResponseSink {
 public:
  explicit StoreSink(std::string db_path) : db_path_(std::move(db_path)) {}

  // Opens the database and checks that it can be written.
  Status open();
  // The open store, or nullptr while it cannot be opened.
  ResponseStore* store() { return store_.get(); }
  // Runs after every committed append (the app wakes the sync worker with it).
  void set_on_appended(std::function<void()> f) { on_appended_ = std::move(f); }

  Status append(const ResponseDraft& draft) override;
  Result<bool> dossier_used(const std::string& dossier, TimePoint from, TimePoint to) override;
  Status recover() override;

 private:
  std::string db_path_;
  std::unique_ptr<ResponseStore> store_;
  std::function<void()> on_appended_;
};

}  // namespace sipas
