/// A failure to decode canonical bytes. Decoding never traps: every malformed input ends here.
public struct DecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of malformation was found. New codes may be added without breaking callers.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The stable code string.
        public let rawValue: String
        /// Creates a code from its string.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// Input ended before a field was complete.
        public static let truncated = Code(rawValue: "truncated")
        /// A length or count was above its bound.
        public static let tooLong = Code(rawValue: "too_long")
        /// A number did not fit its type.
        public static let overflow = Code(rawValue: "overflow")
        /// A valid value with a non-canonical encoding.
        public static let nonCanonical = Code(rawValue: "non_canonical")
        /// Bytes were left after the value.
        public static let trailingBytes = Code(rawValue: "trailing_bytes")
        /// A field held a value outside its domain.
        public static let invalidValue = Code(rawValue: "invalid_value")
        /// The description is the raw code.
        public var description: String { rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// A human-readable explanation.
    public let message: String

    /// Creates a decoding error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    static func truncated(needed: Int, remaining: Int) -> DecodingError {
        DecodingError(code: .truncated, message: "needed \(needed) bytes but only \(remaining) remain")
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
