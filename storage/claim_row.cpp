#include "storage/claim_row.hpp"

namespace claimsync::store {

ClaimRow ClaimRow::from(const Claim& c) {
  ClaimRow r;
  r.claim_key = c.key.to_string();
  r.chain_id = c.key.chain_id;
  r.tx_hash = c.key.tx_hash.hex();
  r.log_index = c.key.log_index;
  r.batch_index = c.key.batch_index;
  r.wallet = c.wallet.lower_hex();
  r.level = c.level;
  r.amount = c.amount.to_decimal();
  r.block_number = c.block_number;
  r.block_hash = c.block_hash.hex();
  r.block_time = c.block_time;
  if (c.referrer) r.referrer = c.referrer->lower_hex();
  r.status = claim_state_name(c.state);
  r.attempts = c.attempts;
  if (!c.last_error.empty()) r.error = c.last_error;
  r.source = claim_sources_string(c.sources);
  return r;
}

}  // namespace claimsync::store
