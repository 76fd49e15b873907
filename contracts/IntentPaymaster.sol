// SPDX-License-Identifier: GPL-3.0
// GPL-3.0 because this contract extends the GPL-3.0 BasePaymaster from @account-abstraction/contracts.
pragma solidity ^0.8.24;

import {BasePaymaster} from "@account-abstraction/contracts/core/BasePaymaster.sol";
import {_packValidationData, calldataKeccak} from "@account-abstraction/contracts/core/Helpers.sol";
import {UserOperationLib} from "@account-abstraction/contracts/core/UserOperationLib.sol";
import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

/**
 * @title IntentPaymaster
 * @notice ERC-4337 v0.7 verifying paymaster of the intentgate gateway. It pays for a user operation only when
 * the gateway's signer approved exactly that operation (every field except the account signature) within a
 * time window, and it records which policy decision approved it.
 *
 * paymasterAndData layout:
 *   paymaster (20) | paymasterVerificationGasLimit (16) | paymasterPostOpGasLimit (16)
 *   | validUntil (uint48, 6) | validAfter (uint48, 6) | decisionDigest (32) | signature (64 or 65)
 *
 * The signature is EIP-712 over `SponsoredUserOperation` in the domain ("IntentPaymaster", "1", chainId,
 * this contract), so a signature is useless on another chain or for another paymaster deployment.
 */
contract IntentPaymaster is BasePaymaster, EIP712 {
    bytes32 public constant SPONSORED_USER_OPERATION_TYPEHASH = keccak256(
        "SponsoredUserOperation(address sender,uint256 nonce,bytes initCode,bytes callData,bytes32 accountGasLimits,"
        "uint128 paymasterVerificationGasLimit,uint128 paymasterPostOpGasLimit,uint256 preVerificationGas,"
        "bytes32 gasFees,uint48 validUntil,uint48 validAfter,bytes32 decisionDigest)"
    );

    uint256 private constant VALID_UNTIL_OFFSET = PAYMASTER_DATA_OFFSET;
    uint256 private constant VALID_AFTER_OFFSET = VALID_UNTIL_OFFSET + 6;
    uint256 private constant DECISION_DIGEST_OFFSET = VALID_AFTER_OFFSET + 6;
    uint256 private constant SIGNATURE_OFFSET = DECISION_DIGEST_OFFSET + 32;

    /// @notice The gateway key whose EIP-712 signature authorises sponsorship.
    address public signer;

    event SignerChanged(address indexed previousSigner, address indexed newSigner);

    /// @notice Links an on-chain sponsored operation to the gateway's attestation of the decision.
    /// @param mode The IPaymaster.PostOpMode: 0 when the call succeeded, 1 when it reverted.
    /// @param actualGasCost Gas cost charged so far, before postOp itself.
    event UserOperationSponsored(
        bytes32 indexed userOpHash,
        address indexed sender,
        bytes32 indexed decisionDigest,
        uint8 mode,
        uint256 actualGasCost
    );

    /// @notice paymasterAndData is not 52 static bytes plus 44 bytes of window and digest plus a 64 or 65 byte signature.
    error InvalidPaymasterDataLength(uint256 length);
    error InvalidSigner();

    constructor(IEntryPoint entryPoint_, address owner_, address signer_)
        BasePaymaster(entryPoint_)
        EIP712("IntentPaymaster", "1")
    {
        // BasePaymaster makes the deployer the owner; deployments through a CREATE2 factory need another owner.
        if (owner_ == address(0)) revert OwnableInvalidOwner(address(0));
        _transferOwnership(owner_);
        _setSigner(signer_);
    }

    /// @notice Rotates the sponsorship key; signatures from the previous key stop validating at once.
    function setSigner(address newSigner) external onlyOwner {
        _setSigner(newSigner);
    }

    /**
     * @notice The EIP-712 digest the signer must sign for `userOp`. Only the static part of
     * userOp.paymasterAndData (address and the two gas limits) is read, so a stub is enough.
     */
    function getHash(PackedUserOperation calldata userOp, uint48 validUntil, uint48 validAfter, bytes32 decisionDigest)
        external
        view
        returns (bytes32)
    {
        if (userOp.paymasterAndData.length < PAYMASTER_DATA_OFFSET) {
            revert InvalidPaymasterDataLength(userOp.paymasterAndData.length);
        }
        return _hashSponsoredUserOperation(userOp, validUntil, validAfter, decisionDigest);
    }

    /// @notice Splits paymasterAndData into its signed window, decision digest and signature.
    function parsePaymasterAndData(bytes calldata paymasterAndData)
        external
        pure
        returns (uint48 validUntil, uint48 validAfter, bytes32 decisionDigest, bytes memory signature)
    {
        return _parsePaymasterAndData(paymasterAndData);
    }

    function _validatePaymasterUserOp(PackedUserOperation calldata userOp, bytes32 userOpHash, uint256)
        internal
        view
        override
        returns (bytes memory context, uint256 validationData)
    {
        (uint48 validUntil, uint48 validAfter, bytes32 decisionDigest, bytes calldata signature) =
            _parsePaymasterAndData(userOp.paymasterAndData);
        bytes32 digest = _hashSponsoredUserOperation(userOp, validUntil, validAfter, decisionDigest);

        // A bad signature must not revert: bundlers simulate with stub signatures and expect AA34, not AA33.
        if (!_isSignerSignature(digest, signature)) {
            return ("", _packValidationData(true, validUntil, validAfter));
        }
        return (abi.encode(userOpHash, userOp.sender, decisionDigest), _packValidationData(false, validUntil, validAfter));
    }

    function _postOp(PostOpMode mode, bytes calldata context, uint256 actualGasCost, uint256) internal override {
        (bytes32 userOpHash, address sender, bytes32 decisionDigest) = abi.decode(context, (bytes32, address, bytes32));
        emit UserOperationSponsored(userOpHash, sender, decisionDigest, uint8(mode), actualGasCost);
    }

    function _parsePaymasterAndData(bytes calldata paymasterAndData)
        private
        pure
        returns (uint48 validUntil, uint48 validAfter, bytes32 decisionDigest, bytes calldata signature)
    {
        uint256 length = paymasterAndData.length;
        if (length != SIGNATURE_OFFSET + 64 && length != SIGNATURE_OFFSET + 65) {
            revert InvalidPaymasterDataLength(length);
        }
        validUntil = uint48(bytes6(paymasterAndData[VALID_UNTIL_OFFSET:VALID_AFTER_OFFSET]));
        validAfter = uint48(bytes6(paymasterAndData[VALID_AFTER_OFFSET:DECISION_DIGEST_OFFSET]));
        decisionDigest = bytes32(paymasterAndData[DECISION_DIGEST_OFFSET:SIGNATURE_OFFSET]);
        signature = paymasterAndData[SIGNATURE_OFFSET:];
    }

    function _hashSponsoredUserOperation(
        PackedUserOperation calldata userOp,
        uint48 validUntil,
        uint48 validAfter,
        bytes32 decisionDigest
    ) private view returns (bytes32) {
        (, uint256 paymasterVerificationGasLimit, uint256 paymasterPostOpGasLimit) =
            UserOperationLib.unpackPaymasterStaticFields(userOp.paymasterAndData);
        // Two encodes of static values concatenate to the same bytes as one, without a stack-too-deep.
        bytes32 structHash = keccak256(
            bytes.concat(
                abi.encode(
                    SPONSORED_USER_OPERATION_TYPEHASH,
                    userOp.sender,
                    userOp.nonce,
                    calldataKeccak(userOp.initCode),
                    calldataKeccak(userOp.callData),
                    userOp.accountGasLimits
                ),
                abi.encode(
                    paymasterVerificationGasLimit,
                    paymasterPostOpGasLimit,
                    userOp.preVerificationGas,
                    userOp.gasFees,
                    validUntil,
                    validAfter,
                    decisionDigest
                )
            )
        );
        return _hashTypedDataV4(structHash);
    }

    function _isSignerSignature(bytes32 digest, bytes calldata signature) private view returns (bool) {
        address recovered;
        ECDSA.RecoverError recoverError;
        if (signature.length == 65) {
            (recovered, recoverError,) = ECDSA.tryRecoverCalldata(digest, signature);
        } else {
            // ERC-2098 compact form: OZ 5 only accepts it split into r and vs.
            (recovered, recoverError,) = ECDSA.tryRecover(digest, bytes32(signature[:32]), bytes32(signature[32:64]));
        }
        return recoverError == ECDSA.RecoverError.NoError && recovered == signer;
    }

    function _setSigner(address newSigner) private {
        if (newSigner == address(0)) revert InvalidSigner();
        emit SignerChanged(signer, newSigner);
        signer = newSigner;
    }
}
