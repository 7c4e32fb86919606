// ClaimIntake: the node side of `POST /v1/claims` (a frontend's hint, DESIGN §2, §8).
//
// The HTTP server owns transport concerns (size limits, content type, JSON syntax, rate
// limits per client) and hands the parsed body here. The intake validates the fields,
// verifies the transaction on chain itself (never trusting the payload) and ingests what
// the chain says through NodeStore::ingest with source `intake`.
//
// Contract:
//   * submit() never waits on the RPC: it answers from what is already known, or queues
//     a bounded verification and answers 202 {"status": "verifying"}. Typical answer
//     time well under 100 ms.
//   * Bad input (missing/ill-typed fields, malformed hash or attestation) is 400 with an
//     error body and changes nothing. A full verification queue is 429 (retry later).
//   * Thread-safe: called from the server's worker threads concurrently.
#pragma once

#include <nlohmann/json.hpp>

#include "node/api/api_reply.hpp"

namespace claimsync::node {

class ClaimIntake {
 public:
  virtual ~ClaimIntake() = default;
  // `body` is whatever JSON the client sent (any shape).
  virtual ApiReply submit(const nlohmann::json& body) = 0;
};

}  // namespace claimsync::node
