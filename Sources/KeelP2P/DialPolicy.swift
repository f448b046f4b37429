import KeelCore
import KeelStorage

#if canImport(Glibc)
    import Glibc
#endif

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
        /// The address may be dialled.
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

    /// Where a host sits, for the policy on main and test.
    public enum HostClass: String, Sendable, Hashable {
        /// 127.0.0.0/8, `::1`.
        case loopback
        /// RFC 1918, 100.64.0.0/10, link-local, fc00::/7, fe80::/10: a LAN's.
        case local
        /// Unspecified, multicast, reserved, documentation ranges, names: never dialled when learned.
        case unroutable
        /// Anything else.
        case routable
    }

    /// The classes of non-public networks this node is itself on (from its listen address and
    /// the addresses the operator gave): learned addresses there are dialled on main and test;
    /// elsewhere a peer handing us loopback or LAN addresses is steering us at this machine's
    /// or its network's services, so they are refused (Bitcoin Core relays only routable ones).
    public var localClasses: Set<HostClass> = []

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
            guard scope == .loopback else {
                switch DialPolicy.classify(host) {
                case .routable:
                    return .dial
                case .unroutable:
                    return .refuse("not a routable address")
                case let local where localClasses.contains(local):
                    return .dial
                case let local:
                    return .refuse("a \(local.rawValue) address learned from a peer, and this node is on no such network (give it with --connect or --seed)")
                }
            }
            let inTestRange = testPrefix.map { host.hasPrefix($0) } ?? true
            return DialPolicy.isLoopback(host) && inTestRange
                ? .dial : .refuse("not a loopback address (the dev network dials only 127.0.0.0/8 and ::1 it learns; --allow-remote-peers lifts this)")
        }
    }

    /// Whether `record` may be dialled.
    public func allows(_ record: PeerRecord) -> Bool { decide(host: record.host, source: record.source) == .dial }

    /// The class of `host` (an IP literal; anything else is unroutable).
    public static func classify(_ host: String) -> HostClass {
        if isLoopback(host) { return .loopback }
        if isPrivate(host) { return .local }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            let b = withUnsafeBytes(of: &v4) { Array($0) }
            let reserved =
                b[0] == 0 || b[0] >= 224 || (b[0] == 192 && b[1] == 0 && b[2] == 2) || (b[0] == 198 && b[1] == 51 && b[2] == 100)
                || (b[0] == 203 && b[1] == 0 && b[2] == 113) || (b[0] == 198 && (b[1] == 18 || b[1] == 19))
            return reserved ? .unroutable : .routable
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, host, &v6) == 1 else { return .unroutable }
        let b = withUnsafeBytes(of: &v6) { Array($0) }
        if b.allSatisfy({ $0 == 0 }) || b[0] == 0xff || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) { return .unroutable }
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xff && b[11] == 0xff {
            return classify(b[12..<16].map(String.init).joined(separator: "."))
        }
        // Only global unicast (2000::/3) is routable.
        return b[0] & 0xe0 == 0x20 ? .routable : .unroutable
    }

    /// Whether `host` is an IP literal on a private or link-local range: 10/8, 172.16/12,
    /// 192.168/16, 100.64/10, 169.254/16, fc00::/7, fe80::/10 (IPv4-mapped too).
    public static func isPrivate(_ host: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            let b = withUnsafeBytes(of: &v4) { Array($0) }
            return b[0] == 10 || (b[0] == 172 && b[1] & 0xf0 == 16) || (b[0] == 192 && b[1] == 168)
                || (b[0] == 100 && b[1] & 0xc0 == 64) || (b[0] == 169 && b[1] == 254)
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, host, &v6) == 1 else { return false }
        let b = withUnsafeBytes(of: &v6) { Array($0) }
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xff && b[11] == 0xff {
            return isPrivate(b[12..<16].map(String.init).joined(separator: "."))
        }
        return b[0] & 0xfe == 0xfc || (b[0] == 0xfe && b[1] & 0xc0 == 0x80)
    }

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
