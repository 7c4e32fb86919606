#include "rpc/chain_source.hpp"

namespace claimsync::eth {

Result<CallResult> ChainSource::call(const std::optional<Address>&, const Bytes&, BlockRef) {
  return error(ErrorCode::kUnimplemented, "this chain source does not offer eth_call");
}

}  // namespace claimsync::eth
