/// A block or transaction broke a consensus rule. Every rule has its own code, so callers (and
/// peers' scores, and tests) can tell which rule failed.
public struct ConsensusError: KeelError, Equatable {
    /// The rule that failed. New rules add codes without breaking callers.
    public typealias Code = ErrorCode<ConsensusError>

    /// The rule that failed.
    public let code: Code
    /// What was wrong, for people.
    public let message: String

    /// A broken rule (`code`) and which block or transaction broke it (`message`).
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }

    /// A verdict has no underlying cause.
    public var cause: (any Error & Sendable)? { nil }

    /// The description already starts with the code.
    public var rendered: String { description }
}

/// The codes of `ConsensusError`.
extension ErrorCode where Domain == ConsensusError {
    /// The header hash is above its target.
    public static let proofOfWork = Self(rawValue: "bad_proof_of_work")
    /// The header's target is not the one the difficulty rule requires.
    public static let difficulty = Self(rawValue: "bad_difficulty")
    /// The merkle root does not match the transactions.
    public static let merkleRoot = Self(rawValue: "bad_merkle_root")
    /// The parent is unknown or is not the block this one claims to follow.
    public static let previousHash = Self(rawValue: "bad_previous_hash")
    /// The height is not the parent's plus one.
    public static let height = Self(rawValue: "bad_height")
    /// The timestamp is too far ahead of the local clock.
    public static let timestampTooNew = Self(rawValue: "timestamp_too_new")
    /// The timestamp is not above the median of the last 11 blocks.
    public static let timestampTooOld = Self(rawValue: "timestamp_too_old")
    /// The block is larger than the network allows.
    public static let blockSize = Self(rawValue: "block_too_large")
    /// The coinbase pays more than subsidy plus fees.
    public static let coinbaseAmount = Self(rawValue: "bad_coinbase_amount")
    /// A coinbase output is spent before it matured.
    public static let coinbaseMaturity = Self(rawValue: "immature_coinbase_spend")
    /// An input refers to an output that does not exist or is already spent.
    public static let missingInput = Self(rawValue: "missing_or_spent_input")
    /// Two inputs in one block spend the same output.
    public static let doubleSpend = Self(rawValue: "double_spend_in_block")
    /// Outputs are worth more than the inputs.
    public static let overspend = Self(rawValue: "overspend")
    /// A signature does not verify, or the key does not own the output.
    public static let badSignature = Self(rawValue: "bad_signature")
    /// The block's shape is wrong: no coinbase, coinbase not first, empty inputs or outputs,
    /// duplicate transactions, amounts out of range, wrong coinbase height.
    public static let malformed = Self(rawValue: "malformed")
}
