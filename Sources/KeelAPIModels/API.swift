import Foundation
import KeelCore

/// The node API's request and response bodies: one definition that the server (KeelAPI), the
/// P2P layer's reports, the client (`keel`, the sidecar, the tests) and the OpenAPI document's
/// test all share. Field names are camelCase here and snake_case on the wire (`jsonEncoder()`).
public enum API {
    /// The wire spelling: snake_case keys, sorted so responses are byte-stable.
    public static func jsonEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Reads what `jsonEncoder()` writes.
    public static func jsonDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    /// An amount: integer base units, and the same as a decimal string with exactly 8 places so
    /// that no client has to do floating point on money.
    public struct Amount: Codable, Sendable, Equatable {
        /// Base units (10^8 to the coin).
        public let units: UInt64
        /// `226.62500000`.
        public let decimal: String

        /// The wire form of `amount`.
        public init(_ amount: KeelCore.Amount) {
            units = amount.units
            decimal = amount.decimalString
        }
    }

    /// Every 4xx and 5xx: `{"error": {"code", "message", "details"}}`. Never carries a secret.
    public struct ErrorBody: Codable, Sendable, Equatable {
        /// The error itself.
        public struct Detail: Codable, Sendable, Equatable {
            /// Stable and machine-readable: `bad_address`, `unauthorized`, a consensus rule's code.
            public let code: String
            /// For people.
            public let message: String
            /// Extra facts, e.g. the phase of a node that is not ready.
            public let details: [String: String]?
        }
        /// The one error; a body never carries several.
        public let error: Detail

        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(code: String, message: String, details: [String: String]) {
            error = Detail(code: code, message: message, details: details)
        }
    }

    /// `{"hex": ...}`: a transaction or block in its canonical encoding, as lowercase hex.
    public struct HexBody: Codable, Sendable, Equatable {
        /// Up to 4 MiB of hex (a 2 MB block).
        public let hex: String
        /// A body carrying `hex`.
        public init(hex: String) { self.hex = hex }
    }

    /// `{"address": "host:port"}`: which peer `POST /v1/peers/connect` and `/disconnect` mean.
    public struct PeerAddressBody: Codable, Sendable, Equatable {
        /// `host:port`; on a dev node only loopback hosts are dialled.
        public let address: String
        /// A body naming `address`.
        public init(address: String) { self.address = address }
    }
}
