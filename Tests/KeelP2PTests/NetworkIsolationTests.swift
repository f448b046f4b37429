import KeelTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The suites' namespace holds only loopback. This file starts no node: the two addresses off
/// the machine below go only to a UDP `connect` (which sends nothing) to show there is no route.
@Suite("Loopback only: the suites' namespace", .keepsArtifacts)
struct NetworkIsolationTests {
    @Test("under make test the suites see only loopback and have no route off the machine", .enabled(if: NetworkIsolation.claimed))
    func suitesRunIsolated() {
        #expect(NetworkIsolation.interfaces() == ["lo"], "interfaces: \(NetworkIsolation.interfaces().sorted())")
        for host in NetworkIsolation.offMachineProbes {
            #expect(NetworkIsolation.routeError(to: host) == ENETUNREACH, "\(host)")
        }
        #expect(NetworkIsolation.routeError(to: "127.0.0.1") == 0, "loopback must still work")
    }
}
