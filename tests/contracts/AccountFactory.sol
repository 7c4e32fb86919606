// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {OwnedAccount} from "./OwnedAccount.sol";

// Deploys OwnedAccounts with CREATE2, so their address is known before deployment (the
// counterfactual ERC-6492 case: factory = this, calldata = deploy(owner, salt)).
contract AccountFactory {
    function deploy(address owner, bytes32 salt) external returns (address) {
        return address(new OwnedAccount{salt: salt}(owner));
    }
}
