#include "rpc/rpc_observer.hpp"

#include "rpc/json_rpc.hpp"

namespace claimsync::eth {

const char* rpc_outcome_name(RpcOutcome outcome) {
  switch (outcome) {
    case RpcOutcome::kOk: return "ok";
    case RpcOutcome::kRateLimited: return "rate_limited";
    case RpcOutcome::kTimeout: return "timeout";
    case RpcOutcome::kConnection: return "connection";
    case RpcOutcome::kOther: return "other";
  }
  return "other";
}

RpcOutcome rpc_outcome(const Status& transport, const RpcReply* reply, bool logs_query) {
  if (reply == nullptr) {
    // json_rpc.hpp maps HTTP 429 to kRateLimited, 408/504 to kTimeout, other 5xx and
    // transport failures to kUnavailable.
    switch (transport.code()) {
      case ErrorCode::kRateLimited: return RpcOutcome::kRateLimited;
      case ErrorCode::kTimeout: return RpcOutcome::kTimeout;
      case ErrorCode::kUnavailable: return RpcOutcome::kConnection;
      case ErrorCode::kOk:  // a failed request always has a status; be safe
      default: return RpcOutcome::kOther;
    }
  }
  if (!reply->error) return RpcOutcome::kOk;
  return classify_rpc_error(*reply->error, logs_query) == RpcErrorKind::kRateLimited
             ? RpcOutcome::kRateLimited
             : RpcOutcome::kOther;
}

}  // namespace claimsync::eth
