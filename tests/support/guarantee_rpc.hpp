// RawRpc: the guarantee test's own minimal JSON-RPC client (plain httplib POSTs, batches
// as JSON arrays). Deliberately independent of rpc/json_rpc.hpp, so the chain truth the
// test recomputes does not share code with the node under test.
//
// Every method throws std::runtime_error on a transport failure, a non-200 answer, or (for
// call/batch) a JSON-RPC error object: in this test those are a broken environment.
// Thread-safe (each call opens its own connection; ids come from an atomic counter).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace claimsync::testing {

class RawRpc {
 public:
  explicit RawRpc(unsigned short port,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(30'000));

  // The `result` of one call.
  nlohmann::json call(const std::string& method, nlohmann::json params = nlohmann::json::array());

  using Call = std::pair<std::string, nlohmann::json>;  // method, params
  // One HTTP request carrying all calls; the response objects ({"result"} or {"error"}) in
  // request order. Throws only on transport failures or a malformed batch answer.
  std::vector<nlohmann::json> batch_raw(const std::vector<Call>& calls);
  // As batch_raw, but the results; throws on the first error object.
  std::vector<nlohmann::json> batch(const std::vector<Call>& calls);

 private:
  nlohmann::json post(const nlohmann::json& body);

  unsigned short port_;
  std::chrono::milliseconds timeout_;
  std::atomic<std::uint64_t> next_id_{1};
};

// "0x.." quantity <-> integer (throws on malformed input).
std::uint64_t quantity_to_u64(const nlohmann::json& v);
std::string u64_to_quantity(std::uint64_t v);

}  // namespace claimsync::testing
