// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {Context} from "@openzeppelin/contracts/utils/Context.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";

/**
 * @title CommunityPoll
 * @notice Demo micro-app target: one vote per address and open donations, reachable directly, through the
 * trusted ERC-2771 forwarder, from an ERC-4337 account, or batched through multicall.
 */
contract CommunityPoll is ERC2771Context, Multicall {
    uint256 public immutable optionCount;
    uint256 public totalDonations;
    mapping(address voter => bool) public hasVoted;
    mapping(uint256 option => uint256) public votes;

    event Voted(address indexed voter, uint256 indexed option);
    event Donated(address indexed donor, uint256 amount);

    error AlreadyVoted(address voter);
    error InvalidOption(uint256 option);
    error NoOptions();
    error EmptyDonation();

    constructor(address trustedForwarder_, uint256 optionCount_) ERC2771Context(trustedForwarder_) {
        if (optionCount_ == 0) revert NoOptions();
        optionCount = optionCount_;
    }

    function vote(uint256 option) external {
        if (option >= optionCount) revert InvalidOption(option);
        address voter = _msgSender();
        if (hasVoted[voter]) revert AlreadyVoted(voter);
        hasVoted[voter] = true;
        votes[option] += 1;
        emit Voted(voter, option);
    }

    /// @notice Exists so templates can exercise value limits; the ether stays in the poll.
    function donate() external payable {
        if (msg.value == 0) revert EmptyDonation();
        totalDonations += msg.value;
        emit Donated(_msgSender(), msg.value);
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
