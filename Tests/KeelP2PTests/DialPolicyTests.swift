import KeelCore
import KeelP2P
import KeelStorage
import Testing

/// The decision alone: this file starts no node and opens no socket, so addresses off the
/// machine may appear here as plain literals; they never reach a running node.
@Suite("Dial policy: a dev node dials only loopback addresses it learns")
struct DialPolicyTests {
    static let loopback = ["127.0.0.1", "127.1.2.3", "127.255.255.254", "::1", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1"]
    static let elsewhere = [
        "10.1.2.3", "172.16.0.1", "172.31.255.1", "192.168.1.1", "192.0.2.1", "198.51.100.7", "203.0.113.9",
        "8.8.8.8", "126.255.255.255", "128.0.0.1", "0.0.0.0", "::", "2001:db8::1", "fe80::1", "::ffff:10.0.0.1",
        "::2", "localhost", "attacker.example", "", "127.0.0.1.example", "127.1",
    ]
    static let learned: [PeerRecord.Source] = [.addr, .inbound, .imported]

    @Test("loopback literals are loopback; private, public, link-local, unspecified and names are not")
    func loopbackLiterals() {
        for host in DialPolicyTests.loopback { #expect(DialPolicy.isLoopback(host), "\(host)") }
        for host in DialPolicyTests.elsewhere { #expect(!DialPolicy.isLoopback(host), "\(host)") }
    }

    @Test("on dev, learned and imported addresses off loopback are refused with a reason that names the way out")
    func devRefusesLearned() {
        let policy = DialPolicy(network: .dev, allowRemote: false)
        #expect(policy.scope == .loopback)
        for source in DialPolicyTests.learned {
            for host in DialPolicyTests.loopback { #expect(policy.decide(host: host, source: source) == .dial, "\(host) from \(source)") }
            for host in DialPolicyTests.elsewhere {
                guard case .refuse(let reason) = policy.decide(host: host, source: source) else {
                    Issue.record("\(host) from \(source.name) would be dialled")
                    continue
                }
                #expect(reason.contains("--allow-remote-peers"))
            }
        }
        let record = PeerRecord(host: "192.168.1.1", port: 9333, source: .addr, lastSeen: 0)
        #expect(!policy.allows(record))
        #expect(policy.allows(PeerRecord(host: "127.0.0.9", port: 9333, source: .addr, lastSeen: 0)))
    }

    @Test("a test prefix narrows the loopback scope, so end-to-end tests need no address off loopback")
    func testPrefix() {
        var policy = DialPolicy(network: .dev, allowRemote: false)
        policy.testPrefix = "127.0.0."
        #expect(policy.decide(host: "127.0.0.1", source: .addr) == .dial)
        #expect(policy.decide(host: "127.9.0.1", source: .addr) != .dial)
        #expect(policy.decide(host: "::ffff:127.9.0.8", source: .imported) != .dial)
        #expect(policy.decide(host: "127.9.0.1", source: .manual) == .dial, "operator addresses still go where they say")
    }

    @Test("--connect, --seed and connect requests go where the operator says, on every network")
    func operatorAddressesAlwaysDialled() {
        for policy in [DialPolicy(network: .dev, allowRemote: false), DialPolicy(network: .main, allowRemote: false)] {
            for source in [PeerRecord.Source.seed, .manual] {
                for host in DialPolicyTests.elsewhere + DialPolicyTests.loopback {
                    #expect(policy.decide(host: host, source: source) == .dial, "\(host) from \(source.name)")
                }
            }
        }
    }

    @Test("--allow-remote-peers on dev, and main and test always, dial learned addresses anywhere")
    func remoteAllowed() {
        for policy in [
            DialPolicy(network: .dev, allowRemote: true), DialPolicy(network: .main, allowRemote: false),
            DialPolicy(network: .test, allowRemote: false),
        ] {
            #expect(policy.scope == .anywhere)
            for source in DialPolicyTests.learned {
                #expect(policy.decide(host: "1.2.3.4", source: source) == .dial)
                #expect(policy.decide(host: "2a01:4f8::1", source: source) == .dial)
            }
        }
    }

    @Test("on main and test, learned loopback and LAN addresses are refused unless the node is on such a network; unroutable ones always")
    func mainRefusesLocal() {
        var policy = DialPolicy(network: .main, allowRemote: false)
        for source in DialPolicyTests.learned {
            for host in ["127.0.0.1", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "169.254.1.1", "fe80::1", "fd00::1", "::ffff:192.168.0.1"] {
                #expect(policy.decide(host: host, source: source) != .dial, "\(host) from \(source.name)")
            }
            for host in ["0.0.0.0", "::", "224.0.0.1", "255.255.255.255", "192.0.2.1", "2001:db8::1", "ff02::1", "localhost"] {
                #expect(policy.decide(host: host, source: source) == .refuse("not a routable address"), "\(host)")
            }
        }
        policy.localClasses = [.local]
        #expect(policy.decide(host: "192.168.1.1", source: .addr) == .dial)
        #expect(policy.decide(host: "127.0.0.1", source: .addr) != .dial)
        #expect(policy.decide(host: "10.0.0.1", source: .seed) == .dial, "operator addresses go where they say")
        #expect(DialPolicy.classify("8.8.8.8") == .routable && DialPolicy.classify("10.0.0.1") == .local && DialPolicy.classify("127.0.0.2") == .loopback)
    }
}
