// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

// claimsync's deployless signature validator (ERC-6492 "Verifier side", EIP-1271, ECDSA).
//
// Never deployed: the node runs its creation code in one eth_call without `to`, with the
// constructor arguments abi.encode(address signer, bytes32 hash, bytes signature). The
// constructor returns ONE byte instead of runtime code:
//   0x01  valid (the signer's contract accepted it, or the ECDSA signer is the signer);
//   0x00  the signer's contract (deployed, or deployed here from the ERC-6492 wrapper)
//         did not return the EIP-1271 magic value, or reverted;
//   0x02  the signer has no code and the ECDSA signature is not the signer's.
// It reverts when a wrapped signature's factory call fails to deploy the signer.
// Everything it does (the counterfactual deployment included) is discarded with the call.
//
// The order is the one ERC-6492 requires: wrapper suffix first (deploy if needed, then
// EIP-1271; if the account already had code and refused, run the wrapper's call as a
// "prepare" call and ask again), then EIP-1271 when the signer has code, then ecrecover.
// ecrecover applies the node's own rules: 65 bytes, v in {27, 28} or {0, 1}, low s.
//
// Regenerate the embedded copy (node/intake/erc6492_validator_code.cpp) with
// scripts/gen-erc6492-validator after any change; a test fails while they differ.

interface IERC1271 {
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4);
}

contract Erc6492Validator {
    bytes32 private constant ERC6492_SUFFIX =
        0x6492649264926492649264926492649264926492649264926492649264926492;
    bytes4 private constant ERC1271_MAGIC = 0x1626ba7e;
    uint256 private constant HALF_ORDER =
        0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    constructor(address signer, bytes32 hash, bytes memory signature) {
        uint8 verdict = check(signer, hash, signature);
        assembly {
            mstore(0, verdict)
            return(31, 1)
        }
    }

    function check(address signer, bytes32 hash, bytes memory signature) private returns (uint8) {
        if (isWrapped(signature)) {
            (address factory, bytes memory factoryCalldata, bytes memory inner) =
                abi.decode(withoutSuffix(signature), (address, bytes, bytes));
            if (signer.code.length == 0) {
                (bool deployed,) = factory.call(factoryCalldata);
                require(deployed && signer.code.length > 0, "ERC-6492: factory did not deploy the signer");
                return erc1271(signer, hash, inner) ? 1 : 0;
            }
            if (erc1271(signer, hash, inner)) return 1;
            (bool prepared,) = factory.call(factoryCalldata);
            return prepared && erc1271(signer, hash, inner) ? 1 : 0;
        }
        if (signer.code.length > 0) return erc1271(signer, hash, signature) ? 1 : 0;
        return signer != address(0) && ecdsaSigner(hash, signature) == signer ? 1 : 2;
    }

    function isWrapped(bytes memory signature) private pure returns (bool) {
        if (signature.length < 32) return false;
        bytes32 tail;
        assembly {
            tail := mload(add(signature, mload(signature)))
        }
        return tail == ERC6492_SUFFIX;
    }

    function withoutSuffix(bytes memory signature) private pure returns (bytes memory body) {
        body = new bytes(signature.length - 32);
        for (uint256 i = 0; i < body.length; ++i) {
            body[i] = signature[i];
        }
    }

    function erc1271(address signer, bytes32 hash, bytes memory signature) private view returns (bool) {
        (bool ok, bytes memory ret) =
            signer.staticcall(abi.encodeCall(IERC1271.isValidSignature, (hash, signature)));
        return ok && ret.length >= 32 && bytes4(bytes32(ret)) == ERC1271_MAGIC;
    }

    function ecdsaSigner(bytes32 hash, bytes memory signature) private pure returns (address) {
        if (signature.length != 65) return address(0);
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly {
            r := mload(add(signature, 32))
            s := mload(add(signature, 64))
            v := byte(0, mload(add(signature, 96)))
        }
        if (v < 27) v += 27;
        if ((v != 27 && v != 28) || uint256(s) > HALF_ORDER) return address(0);
        return ecrecover(hash, v, r, s);
    }
}
