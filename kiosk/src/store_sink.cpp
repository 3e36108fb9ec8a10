#include "store_sink.hpp"

namespace sipas {

Status StoreSink::open() {
  auto opened = ResponseStore::open(db_path_);
  if (!opened.is_ok()) return opened.status();
  store_ = std::move(opened).value();
  return store_->probe_writable();
}

Status StoreSink::append(const ResponseDraft& draft) {
  if (!store_) return Status::error(ErrorCode::io_error, db_path_ + ": not open");
  auto stored = store_->append(draft);
  if (!stored.is_ok()) return stored.status();
  if (on_appended_) on_appended_();
  return Status::ok();
}

Result<bool> StoreSink::dossier_used(const std::string& dossier, TimePoint from, TimePoint to) {
  if (!store_) return Status::error(ErrorCode::io_error, db_path_ + ": not open");
  return store_->dossier_used(dossier, from, to);
}

// A connection that saw corruption or lost its file is not trusted again: reopen from scratch.
Status StoreSink::recover() {
  if (store_) {
    Status st = store_->probe_writable();
    if (st.is_ok()) return st;
    store_.reset();
  }
  return open();
}

}  // namespace sipas
