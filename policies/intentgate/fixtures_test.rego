package intentgate_test

# A complete, allowed input. Each negative test changes one part of it, so a failure
# points at the rule under test rather than at the fixture.

vote := "0x5FbDB2315678afecb367f032d93F642f64180aa3"

tipjar := "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"

token := "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"

sender := "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"

alice := "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"

mallory := "0x90F79bf6EB2c4f870365E785982E1f101E93b906"

now := 1767225600

vote_call := {
	"path": "0",
	"depth": 0,
	"role": "call",
	"to": vote,
	"value": "0",
	"selector": "0x0121b93f",
	"dataHash": "0x4f3c5b5ec1f3a1bcc2d8c7b0d9e2a65f2b3cbb1c1d7c1a2f1b8e6e0a1c2d3e4f",
	"dataLength": 36,
}

tip_call := object.union(vote_call, {"path": "1", "to": tipjar, "value": "100000000000000000", "selector": "0x2755cd2d", "dataLength": 4})

transfer_call(amount) := object.union(vote_call, {
	"path": "0",
	"to": token,
	"selector": "0xa9059cbb",
	"dataLength": 68,
	"decoded": {"standard": "erc20", "function": "transfer", "args": {"to": alice, "amount": amount}},
})

approve_call(amount) := object.union(vote_call, {
	"to": token,
	"selector": "0x095ea7b3",
	"dataLength": 68,
	"decoded": {"standard": "erc20", "function": "approve", "args": {"spender": alice, "amount": amount}},
})

transfer_from_call(amount) := object.union(vote_call, {
	"to": token,
	"selector": "0x23b872dd",
	"dataLength": 100,
	"decoded": {"standard": "erc20-or-erc721", "function": "transferFrom", "args": {"from": sender, "to": alice, "amount": amount}},
})

template_intent := {
	"chains": [1, 8453],
	"calls": [
		{
			"to": vote,
			"maxValueWei": "0",
			"functions": [{"signature": "vote(uint256)", "selector": "0x0121b93f", "description": "Vote for {0}"}],
		},
		{
			"to": tipjar,
			"maxValueWei": "500000000000000000",
			"functions": [
				{"signature": "tip()", "selector": "0x2755cd2d", "maxValueWei": "1000000000000000000"},
				{"signature": "receive()", "selector": "0xa3e76c0f"},
			],
		},
		{
			"to": token,
			"maxValueWei": "0",
			"functions": [
				{"signature": "transfer(address,uint256)", "selector": "0xa9059cbb"},
				{"signature": "approve(address,uint256)", "selector": "0x095ea7b3"},
				{"signature": "transferFrom(address,address,uint256)", "selector": "0x23b872dd"},
			],
		},
	],
	"tokenCaps": [{"token": token, "maxTransferAmount": "1000", "maxApproveAmount": "500"}],
	"maxTxValueWei": "1500000000000000000",
	"limits": [
		{"id": "sender-count-1d", "scope": "sender", "metric": "count", "window": "1d", "windowKind": "utc-day", "windowSeconds": 86400, "max": "50"},
		{"id": "instance-valueWei-1h", "scope": "instance", "metric": "valueWei", "window": "1h", "windowKind": "rolling", "windowSeconds": 3600, "max": "5000000000000000000"},
		{"id": "template-gasWei-1d", "scope": "template", "metric": "gasWei", "window": "1d", "windowKind": "utc-day", "windowSeconds": 86400, "max": "100000000000000000"},
		{"id": "global-count-1h", "scope": "global", "metric": "count", "window": "1h", "windowKind": "rolling", "windowSeconds": 3600, "max": "10000"},
	],
	"gas": {"maxGasLimit": "500000", "maxFeePerGasWei": "50000000000", "maxCostWei": "25000000000000000"},
}

allowed_input := {
	"intent": {
		"kind": "meta-tx",
		"chainId": 8453,
		"sender": sender,
		"calls": [vote_call, tip_call],
		"gas": {"limit": "200000", "maxFeePerGas": "1000000000", "maxCostWei": "200000000000000"},
		"validUntil": now + 600,
		"nonce": "0",
		"requestDigest": "0x8e1d6c2f0b7a3e5d4c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d",
	},
	"template": {
		"id": "demo-vote",
		"digest": "sha256:3b7f1c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
		"verificationLevel": 2,
		"capabilities": ["relay:meta-tx"],
		"intent": template_intent,
	},
	"instance": {"id": "inst-01"},
	"now": now,
}

# The input with these calls instead of the fixture's.
with_calls(calls) := object.union(allowed_input, {"intent": {"calls": calls}})

# The input with the template intent changed by patch (objects merge, arrays replace).
with_template_intent(patch) := object.union(allowed_input, {"template": {"intent": patch}})

# The codes of the reasons a deny set holds.
codes(reasons) := {reason.code | some reason in reasons}

# The template intent with multicall(bytes[]) also listed for the vote target, so a
# multicall container addressed to it is allowed explicitly.
vote_multicall_listed := array.concat(
	[object.union(template_intent.calls[0], {"functions": array.concat(
		template_intent.calls[0].functions,
		[{"signature": "multicall(bytes[])", "selector": "0xac9650d8"}],
	)})],
	array.slice(template_intent.calls, 1, count(template_intent.calls)),
)

# The input with these calls, and multicall listed for the vote target.
with_multicall_calls(calls) := object.union(with_calls(calls), {"template": {"intent": {"calls": vote_multicall_listed}}})
