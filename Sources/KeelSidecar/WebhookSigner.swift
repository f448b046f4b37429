import Crypto
import Foundation

/// Standard Webhooks signing (standardwebhooks.com): `webhook-id`, `webhook-timestamp` and
/// `webhook-signature: v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>`. A secret written
/// `whsec_<base64>` uses the decoded bytes as the key, as the specification's libraries do;
/// any other secret is used as its UTF-8 bytes.
public struct WebhookSigner: Sendable {
    private let key: SymmetricKey

    /// A signer for `secret`.
    public init(secret: String) {
        if secret.hasPrefix("whsec_"), let decoded = Data(base64Encoded: String(secret.dropFirst(6))) {
            key = SymmetricKey(data: decoded)
        } else {
            key = SymmetricKey(data: Data(secret.utf8))
        }
    }

    /// Why `secret` cannot sign, or nil: a `whsec_` secret must be base64 of at least 16 bytes
    /// (signing with the literal text instead would fail every receiver's check, silently).
    public static func problem(_ secret: String) -> String? {
        if secret.isEmpty { return "is empty" }
        guard secret.hasPrefix("whsec_") else { return nil }
        guard let decoded = Data(base64Encoded: String(secret.dropFirst(6))) else {
            return "starts with whsec_ but what follows is not base64; give the secret exactly as the receiver issued it"
        }
        return decoded.count < 16 ? "starts with whsec_ but decodes to \(decoded.count) bytes; Standard Webhooks keys are 16 to 64 bytes" : nil
    }

    /// The signature header's value for one attempt.
    public func signature(id: String, timestamp: Int, body: [UInt8]) -> String {
        var content = Data("\(id).\(timestamp).".utf8)
        content.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: key)
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The three headers for one attempt (the id is the same on every retry; the timestamp
    /// is the attempt's, so receivers' replay windows accept late retries).
    public func headers(id: String, timestamp: Int, body: [UInt8]) -> [String: String] {
        ["webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signature(id: id, timestamp: timestamp, body: body)]
    }

    /// Whether `header` (space-separated `v1,<sig>` entries) holds a valid signature.
    public func verify(id: String, timestamp: Int, body: [UInt8], header: String) -> Bool {
        let expected = signature(id: id, timestamp: timestamp, body: body)
        return header.split(separator: " ").contains { candidate in
            // Constant-time comparison: a timing difference must not reveal the signature.
            let a = Array(candidate.utf8), b = Array(expected.utf8)
            guard a.count == b.count else { return false }
            return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
        }
    }
}
