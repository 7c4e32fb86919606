#include "rpc/secp256k1_context.hpp"

#include <new>

namespace claimsync::eth {

Secp256k1Context::Secp256k1Context() : ctx_(secp256k1_context_create(SECP256K1_CONTEXT_NONE)) {
  if (ctx_ == nullptr) throw std::bad_alloc();
}

Secp256k1Context::~Secp256k1Context() { secp256k1_context_destroy(ctx_); }

const Secp256k1Context& Secp256k1Context::shared() {
  static const Secp256k1Context instance;
  return instance;
}

}  // namespace claimsync::eth
