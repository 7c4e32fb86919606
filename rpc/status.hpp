// Status and Result<T>: how claimsync reports failure across module boundaries.
//
// Contract (after LevelDB's Status and silkworm's DecodingResult):
//   * Data errors, I/O errors and remote failures are values, never exceptions.
//   * Exceptions are reserved for broken invariants (bugs); callers need not catch them.
//   * A Status is cheap to copy when ok() (no allocation).
//
// This lives in rpc/ because rpc is the lowest library every other one links; the
// namespace is plain `claimsync` because nothing about it is Ethereum-specific.
#pragma once

#include <cassert>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace claimsync {

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,     // bad input from the caller or the operator; retrying won't help
  kNotFound,            // the thing asked for does not exist
  kAlreadyExists,       // a create found the thing present
  kFailedPrecondition,  // state does not allow the operation (illegal transition, wrong data dir)
  kCorruption,          // stored or received data violates its format
  kIOError,             // local disk / OS failure
  kUnavailable,         // a remote (RPC, database) cannot be reached now; transient
  kTimeout,             // a remote did not answer within the deadline; transient
  kRateLimited,         // a remote asked us to slow down; transient
  kBadResponse,         // a remote answered with something invalid (lying or broken endpoint)
  kRemoteError,         // a remote answered with a well-formed error (e.g. JSON-RPC error object)
  kReorg,               // the chain changed under us; the follower must walk back
  kCancelled,           // shutdown was requested
  kInternal,            // a bug; logged loudly
  kUnimplemented,       // this implementation does not offer the operation
};

const char* error_code_name(ErrorCode code);

class Status {
 public:
  Status() = default;  // OK
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {
    assert(code != ErrorCode::kOk);
  }

  static Status ok_status() { return {}; }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // True for failures that may go away by themselves (remote down, timeout, 429).
  bool is_transient() const {
    return code_ == ErrorCode::kUnavailable || code_ == ErrorCode::kTimeout ||
           code_ == ErrorCode::kRateLimited;
  }

  // "ok" or "<code name>: <message>".
  std::string to_string() const;

  // Returns a copy whose message is prefixed with `context: `.
  Status with_context(const std::string& context) const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status error(ErrorCode code, std::string message) {
  return Status(code, std::move(message));
}

// Result<T>: either a T or a non-OK Status (std::expected is C++23; g++ 12 lacks it).
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(v_).ok()) throw std::logic_error("Result constructed from an OK Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok(). Violations are bugs and throw std::logic_error.
  T& value() & {
    check();
    return std::get<T>(v_);
  }
  const T& value() const& {
    check();
    return std::get<T>(v_);
  }
  T&& value() && {
    check();
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // OK status when ok(), else the error.
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

 private:
  void check() const {
    if (!ok())
      throw std::logic_error("Result::value() on error: " + std::get<Status>(v_).to_string());
  }
  std::variant<T, Status> v_;
};

// Propagate a failed Status / Result from the enclosing function.
#define CLAIMSYNC_RETURN_IF_ERROR(expr) \
  do {                                  \
    ::claimsync::Status _st = (expr);   \
    if (!_st.ok()) return _st;          \
  } while (0)

}  // namespace claimsync
