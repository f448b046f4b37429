#if canImport(Glibc)
import Glibc
#endif
import KeelCore
import KeelStorage

/// Which addresses the node may dial that it did not get from the operator.
///
/// Addresses the operator gave (`--connect`, `--seed`, a connect request) are always dialled.
/// Addresses learned from peers (`addr`, an inbound peer's listen port) or from a peer bundle
/// (`keel peers import`) are dialled only within the scope. A dev node keeps to loopback: a dev
/// network lives on one machine, and a learned address elsewhere is either a mistake or a peer
/// steering us off the machine (a dev node on a laptop must not start dialling the Internet).
public struct DialPolicy: Sendable, Equatable {
    /// How far learned addresses may reach.
    public enum Scope: String, Sendable, Equatable {
        /// Only 127.0.0.0/8, `::1` and IPv4-mapped 127.0.0.0/8.
        case loopback
        /// Any IP address.
        case anywhere
    }

    /// What the policy says of one address.
    public enum Decision: Sendable, Equatable {
        /// Dial it.
        case dial
        /// Do not dial it, for this reason (shown in logs and import reports).
        case refuse(String)
    }

    /// The scope for learned and imported addresses.
    public let scope: Scope

    /// Test only: learned addresses must also start with this. A prefix of loopback (such as
    /// `127.0.0.`) stands in for "this machine", so end-to-end tests show the refusals with other
    /// loopback addresses (127.9.x.y) and never hand a running node an address off loopback.
    public var testPrefix: String?

    /// A policy with `scope`.
    public init(scope: Scope) { self.scope = scope }

    /// The policy a node on `network` runs with: loopback on dev unless `allowRemote`
    /// (`keel-node --allow-remote-peers`), anywhere on main and test.
    public init(network: Network, allowRemote: Bool) {
        scope = network == .dev && !allowRemote ? .loopback : .anywhere
    }

    /// Whether to dial `host`, an address that came from `source`.
    public func decide(host: String, source: PeerRecord.Source) -> Decision {
        switch source {
        case .seed, .manual:
            return .dial
        case .imported, .addr, .inbound:
            guard scope == .loopback else { return .dial }
            let inTestRange = testPrefix.map { host.hasPrefix($0) } ?? true
            return DialPolicy.isLoopback(host) && inTestRange ? .dial : .refuse("not a loopback address (the dev network dials only 127.0.0.0/8 and ::1 it learns; --allow-remote-peers lifts this)")
        }
    }

    /// Whether `record` may be dialled.
    public func allows(_ record: PeerRecord) -> Bool { decide(host: record.host, source: record.source) == .dial }

    /// Whether `host` is an IP literal on loopback: 127.0.0.0/8, `::1`, or `::ffff:127.x.y.z`.
    /// Names are not loopback here: resolving one is exactly what must not be trusted.
    public static func isLoopback(_ host: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { $0[0] } == 127
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, host, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<15].allSatisfy({ $0 == 0 }), bytes[15] == 1 { return true }
        let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
        return mapped && bytes[12] == 127
    }
}
