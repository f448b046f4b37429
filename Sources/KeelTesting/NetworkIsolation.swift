import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What network this test process can reach. `make test`, `make bench` and `make soak-crash`
/// run the suites in a network namespace holding only loopback (`scripts/isolated`), and say so
/// with `KEEL_ISOLATED=1`; tests that hand a node addresses off the machine run only there.
public enum NetworkIsolation {
    /// Names of the network interfaces this process's namespace holds.
    public static func interfaces() -> Set<String> {
        var first: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&first) == 0 else { return [] }
        defer { freeifaddrs(first) }
        var names = Set<String>()
        var cursor = first
        while let entry = cursor {
            names.insert(String(cString: entry.pointee.ifa_name))
            cursor = entry.pointee.ifa_next
        }
        return names
    }

    /// True when loopback is the only interface: nothing here can send a packet off the machine.
    public static var isLoopbackOnly: Bool { interfaces() == ["lo"] }

    /// True when the runner says the suites run isolated (`KEEL_ISOLATED=1`).
    public static var claimed: Bool { ProcessInfo.processInfo.environment["KEEL_ISOLATED"] == "1" }

    /// Off-machine destinations the namespace check asks for a route to (TEST-NET-1 and a private
    /// address; asked with `routeError`, which sends nothing): kept here, with the probe, so no
    /// test file holds an address off this machine.
    public static let offMachineProbes = ["192.0.2.1", "10.1.2.3"]

    /// The errno of a UDP `connect` to `host` (0 if it succeeded). A UDP connect only picks a
    /// route and sends nothing, so asking is safe anywhere; in the namespace there is no route.
    public static func routeError(to host: String, port: UInt16 = 9) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return EINVAL }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0 ? 0 : errno
    }
}
