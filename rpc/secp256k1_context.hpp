// Secp256k1Context: owns one libsecp256k1 context for signature recovery.
//
// libsecp256k1 documents that functions taking a `const secp256k1_context*` may be called
// concurrently from any number of threads; only creation, destruction and randomisation
// mutate a context. So the process needs exactly one, created once and never changed:
// shared() returns it (created on first use, C++ guarantees the initialisation is
// thread-safe). Verification and recovery need no randomisation (that protects signing).
#pragma once

#include <secp256k1.h>

namespace claimsync::eth {

class Secp256k1Context {
 public:
  // Creates a context. Failure to allocate is a broken invariant: throws std::bad_alloc.
  Secp256k1Context();
  ~Secp256k1Context();
  Secp256k1Context(const Secp256k1Context&) = delete;
  Secp256k1Context& operator=(const Secp256k1Context&) = delete;

  const secp256k1_context* get() const { return ctx_; }

  // The process-wide context.
  static const Secp256k1Context& shared();

 private:
  secp256k1_context* ctx_;
};

}  // namespace claimsync::eth
