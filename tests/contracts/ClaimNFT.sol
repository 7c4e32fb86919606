// SPDX-License-Identifier: MIT
// ClaimNFT: the ERC-1155 test contract for claimsync's integration tests.
// Deliberately NO access control: any test account may mint, so tests can script
// single mints, batch mints, transfers, burns and a reverting call freely.
pragma solidity ^0.8.24;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";

contract ClaimNFT is ERC1155 {
    error AlwaysReverts();

    constructor() ERC1155("https://example.invalid/{id}.json") {}

    // Emits TransferSingle(operator, 0x0, to, id, amount).
    function mint(address to, uint256 id, uint256 amount) external {
        _mint(to, id, amount, "");
    }

    // Emits TransferBatch(operator, 0x0, to, ids, amounts).
    function mintBatch(address to, uint256[] calldata ids, uint256[] calldata amounts) external {
        _mintBatch(to, ids, amounts, "");
    }

    // One TransferSingle(operator, 0x0, to[i], ids[i], amounts[i]) per element, in order: many
    // single mints in one transaction (benchmarks fill a chain with it quickly).
    function mintMany(address[] calldata to, uint256[] calldata ids, uint256[] calldata amounts)
        external
    {
        require(to.length == ids.length && ids.length == amounts.length, "ClaimNFT: length mismatch");
        for (uint256 i = 0; i < to.length; ++i) {
            _mint(to[i], ids[i], amounts[i], "");
        }
    }

    // Emits TransferSingle(operator, from, 0x0, id, amount). Only the holder may burn.
    function burn(address from, uint256 id, uint256 amount) external {
        require(from == msg.sender, "ClaimNFT: burn from another account");
        _burn(from, id, amount);
    }

    // Always reverts: gives tests a mined transaction with status 0.
    function mintReverting() external pure {
        revert AlwaysReverts();
    }
}
