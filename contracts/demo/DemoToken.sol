// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Context} from "@openzeppelin/contracts/utils/Context.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";

/**
 * @title DemoToken
 * @notice Dev and test ERC-20 with an open faucet. The per-call cap keeps a single call from minting amounts
 * that overflow balances used in tests; it is not a security boundary.
 */
contract DemoToken is ERC20, ERC2771Context, Multicall {
    uint256 public constant MAX_MINT_PER_CALL = 1_000 ether;

    error MintCapExceeded(uint256 requested, uint256 cap);

    constructor(address trustedForwarder_) ERC20("IntentGate Demo Token", "IGDEMO") ERC2771Context(trustedForwarder_) {}

    function mint(address to, uint256 amount) external {
        if (amount > MAX_MINT_PER_CALL) revert MintCapExceeded(amount, MAX_MINT_PER_CALL);
        _mint(to, amount);
    }

    function _msgSender() internal view override(Context, ERC2771Context) returns (address) {
        return ERC2771Context._msgSender();
    }

    function _msgData() internal view override(Context, ERC2771Context) returns (bytes calldata) {
        return ERC2771Context._msgData();
    }

    function _contextSuffixLength() internal view override(Context, ERC2771Context) returns (uint256) {
        return ERC2771Context._contextSuffixLength();
    }
}
