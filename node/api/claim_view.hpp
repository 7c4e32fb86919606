// The JSON the read endpoints answer: one claim, a tx's claims, a wallet's levels.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "storage/claim.hpp"

namespace claimsync::node {

// {"key", "tx_hash", "log_index", "batch_index", "wallet", "level", "amount" (decimal
//  string), "block_number", "block_hash", "state", "sources" ("scan,intake"), "referrer"
//  (0x.. or null), "last_error"}
nlohmann::json claim_view(const store::Claim& c);

// GET /v1/wallets/{address}:
// {"wallet": "0x..", "levels": [{"level": n, "states": ["done", ...],
//   "claims": [claim_view...]}...] (ascending level), "current_level": n|null (highest
//   level with a done claim), "active": current_level != null, "truncated": bool}
nlohmann::json wallet_view(const eth::Address& wallet, const std::vector<store::Claim>& claims,
                           bool truncated);

}  // namespace claimsync::node
