/// A failure to decode canonical bytes. Decoding never traps: every malformed input ends here.
public struct DecodingError: KeelError, Equatable {
    /// What kind of malformation was found. New codes may be added without breaking callers.
    public typealias Code = ErrorCode<DecodingError>

    /// The kind of failure.
    public let code: Code
    /// Which field and by how much, for people.
    public let message: String

    /// A malformation (`code`) and where it was found (`message`).
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    static func truncated(needed: Int, remaining: Int) -> DecodingError {
        DecodingError(code: .truncated, message: "needed \(needed) bytes but only \(remaining) remain")
    }

    /// Malformed bytes come from outside; there is no cause below them.
    public var cause: (any Error & Sendable)? { nil }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }

    /// The description already starts with the code.
    public var rendered: String { description }
}

/// The codes of `DecodingError`.
extension ErrorCode where Domain == DecodingError {
    /// Input ended before a field was complete.
    public static let truncated = Self(rawValue: "truncated")
    /// A length or count was above its bound.
    public static let tooLong = Self(rawValue: "too_long")
    /// A number did not fit its type.
    public static let overflow = Self(rawValue: "overflow")
    /// A valid value with a non-canonical encoding.
    public static let nonCanonical = Self(rawValue: "non_canonical")
    /// Bytes were left after the value.
    public static let trailingBytes = Self(rawValue: "trailing_bytes")
    /// A field held a value outside its domain.
    public static let invalidValue = Self(rawValue: "invalid_value")
}
