// Status and Result<T>: how every module of the core reports failure.
//
// Nothing in shared/ throws across its public interface; library exceptions (nlohmann::json,
// std::filesystem) are caught at the edge and turned into a Status. The ErrorCode tells callers
// what to do (the kiosk shows out_of_service on disk_full/read_only/corrupt, the server maps
// invalid_argument to 4xx); the message is one line meant for a person.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace sipas {

enum class ErrorCode {
  ok,
  invalid_argument,  // bad input: config, request body, command line
  not_found,
  conflict,          // same key, different content
  disk_full,         // the store cannot grow (SQLITE_FULL, ENOSPC)
  read_only,         // the store cannot be written (SQLITE_READONLY, EROFS, permissions)
  corrupt,           // the store is damaged or not a database (SQLITE_CORRUPT, SQLITE_NOTADB)
  io_error,          // other I/O failures (SQLITE_IOERR, files)
  busy,              // locked by another connection past the busy timeout
  unavailable,       // a peer (server, network) did not answer usefully
  internal,
};

const char* to_string(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(ErrorCode code, std::string message) {
    return Status(code, std::move(message));
  }

  bool is_ok() const { return code_ == ErrorCode::ok; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "disk_full: database or disk is full" style, for logs.
  std::string to_string() const;

 private:
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  ErrorCode code_ = ErrorCode::ok;
  std::string message_;
};

// A value or the Status that explains why there is none. Accessing value() on an error is a
// programming mistake (asserted in debug builds).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {}   // NOLINT: implicit by design

  bool is_ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status ok_status;
    return is_ok() ? ok_status : std::get<Status>(data_);
  }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace sipas
