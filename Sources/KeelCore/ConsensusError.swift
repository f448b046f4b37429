/// A block or transaction broke a consensus rule. Every rule has its own code, so callers (and
/// peers' scores, and tests) can tell which rule failed.
public struct ConsensusError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The rule that failed. New rules add codes without breaking callers.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The stable code string.
        public let rawValue: String
        /// Creates a code.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The description is the raw code.
        public var description: String { rawValue }

        /// The header hash is above its target.
        public static let proofOfWork = Code(rawValue: "bad_proof_of_work")
        /// The header's target is not the one the difficulty rule requires.
        public static let difficulty = Code(rawValue: "bad_difficulty")
        /// The merkle root does not match the transactions.
        public static let merkleRoot = Code(rawValue: "bad_merkle_root")
        /// The parent is unknown or is not the block this one claims to follow.
        public static let previousHash = Code(rawValue: "bad_previous_hash")
        /// The height is not the parent's plus one.
        public static let height = Code(rawValue: "bad_height")
        /// The timestamp is too far ahead of the local clock.
        public static let timestampTooNew = Code(rawValue: "timestamp_too_new")
        /// The timestamp is not above the median of the last 11 blocks.
        public static let timestampTooOld = Code(rawValue: "timestamp_too_old")
        /// The block is larger than the network allows.
        public static let blockSize = Code(rawValue: "block_too_large")
        /// The coinbase pays more than subsidy plus fees.
        public static let coinbaseAmount = Code(rawValue: "bad_coinbase_amount")
        /// A coinbase output is spent before it matured.
        public static let coinbaseMaturity = Code(rawValue: "immature_coinbase_spend")
        /// An input refers to an output that does not exist or is already spent.
        public static let missingInput = Code(rawValue: "missing_or_spent_input")
        /// Two inputs in one block spend the same output.
        public static let doubleSpend = Code(rawValue: "double_spend_in_block")
        /// Outputs are worth more than the inputs.
        public static let overspend = Code(rawValue: "overspend")
        /// A signature does not verify, or the key does not own the output.
        public static let badSignature = Code(rawValue: "bad_signature")
        /// The block's shape is wrong: no coinbase, coinbase not first, empty inputs or outputs,
        /// duplicate transactions, amounts out of range, wrong coinbase height.
        public static let malformed = Code(rawValue: "malformed")
    }

    /// The rule that failed.
    public let code: Code
    /// What was wrong, for people.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
