// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";

/**
 * @title IntentForwarder
 * @notice The ERC-2771 forwarder the gateway relays meta-transactions through. The name is part of the EIP-712
 * domain that apps sign ForwardRequest messages in, so it is fixed here rather than chosen at deploy time.
 */
contract IntentForwarder is ERC2771Forwarder {
    constructor() ERC2771Forwarder("IntentGateForwarder") {}
}
