#include "node/lazy_sink.hpp"

#include "rpc/logging.hpp"

namespace claimsync::node {

LazySink::LazySink(std::string url, bool migrate, store::SinkOptions options)
    : url_(std::move(url)), migrate_(migrate), options_(options) {}

Status LazySink::ensure_open() {
  if (sink_) return {};
  auto opened = store::open_sink(url_, migrate_, options_);
  if (!opened.ok()) return opened.status();
  sink_ = std::move(opened.value());
  log_info("sink_connected", {{"migrated", migrate_}});
  return {};
}

void LazySink::forget_if_unavailable(const Status& st) {
  const bool unknown = st.is_transient() || st.code() == ErrorCode::kCancelled;
  if (!st.ok() && unknown && sink_) {
    sink_.reset();
    log_warn(
        "sink_connection_dropped",
        {{"error", st.message()}, {"next", "will reconnect with backoff; check the database"}});
  }
}

Status LazySink::ping() {
  CLAIMSYNC_RETURN_IF_ERROR(ensure_open());
  Status st = sink_->ping();
  forget_if_unavailable(st);
  return st;
}

store::SinkResult LazySink::apply(const std::vector<store::Claim>& claims) {
  if (Status st = ensure_open(); !st.ok()) return {st, {}};
  store::SinkResult r = sink_->apply(claims);
  forget_if_unavailable(r.status);
  return r;
}

store::SinkResult LazySink::revoke(const std::vector<store::Claim>& claims) {
  if (Status st = ensure_open(); !st.ok()) return {st, {}};
  store::SinkResult r = sink_->revoke(claims);
  forget_if_unavailable(r.status);
  return r;
}

Status LazySink::record(const std::vector<store::LedgerUpdate>& updates) {
  CLAIMSYNC_RETURN_IF_ERROR(ensure_open());
  Status st = sink_->record(updates);
  forget_if_unavailable(st);
  return st;
}

}  // namespace claimsync::node
