// LazySink: a MembershipSink that opens the real one on first use and reopens it after an
// availability failure (kUnavailable, kTimeout, kCancelled: "outcome unknown"). It lets
// `claimsync run` start while the database is down, ride out restarts, failovers to a
// read-only standby and silently dead connections without the replicator knowing about
// connections. Every call, (re)connecting and migrating included, is bounded by
// `options` (call_timeout_ms per connect/statement; options.stop interrupts it).
//
// Thread-safety: like every sink, owned by one thread.
#pragma once

#include <memory>
#include <string>

#include "storage/membership_sink.hpp"

namespace claimsync::node {

class LazySink final : public store::MembershipSink {
 public:
  // `url` as for store::open_sink; `migrate` applies pending migrations at each (re)open.
  LazySink(std::string url, bool migrate, store::SinkOptions options = {});

  Status ping() override;
  store::SinkResult apply(const std::vector<store::Claim>& claims) override;
  store::SinkResult revoke(const std::vector<store::Claim>& claims) override;
  Status record(const std::vector<store::LedgerUpdate>& updates) override;

  bool connected() const { return sink_ != nullptr; }

 private:
  // Opens the sink if needed; kUnavailable (etc.) when the database cannot be reached.
  Status ensure_open();
  // Drops the connection after an availability failure so the next call reopens.
  void forget_if_unavailable(const Status& st);

  std::string url_;
  bool migrate_;
  store::SinkOptions options_;
  std::unique_ptr<store::MembershipSink> sink_;
};

}  // namespace claimsync::node
