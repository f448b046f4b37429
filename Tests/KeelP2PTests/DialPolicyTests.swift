import Foundation
import KeelCore
import KeelP2P
import KeelStorage
import Testing

/// The decision alone: this file starts no node and opens no socket. The hosts off this machine
/// it judges are in Fixtures/address-classes.txt, read as data: no such literal sits in a file
/// that imports the P2P layer, and none ever reaches a node.
@Suite("Dial policy: a dev node dials only loopback addresses it learns", .keepsArtifacts)
struct DialPolicyTests {
    /// The classes of Fixtures/address-classes.txt by name.
    static let classes: [String: [String]] = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Fixtures/address-classes.txt"
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var classes = [String: [String]]()
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let words = line.split(separator: " ").map(String.init)
            if let name = words.first { classes[name] = Array(words.dropFirst()) }
        }
        return classes
    }()
    static func hosts(_ name: String) -> [String] { classes[name] ?? [] }

    static let loopback = ["127.0.0.1", "127.1.2.3", "127.255.255.254", "::1", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1"]
    static let elsewhere = hosts("elsewhere") + ["localhost", "attacker.example", "", "127.0.0.1.example", "127.1"]
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
        let record = PeerRecord(host: DialPolicyTests.hosts("local")[2], port: 9333, source: .addr, lastSeen: 0)
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
                for host in DialPolicyTests.hosts("routable") { #expect(policy.decide(host: host, source: source) == .dial, "\(host)") }
            }
        }
    }

    @Test("on main and test, learned loopback and LAN addresses are refused unless the node is on such a network; unroutable ones always")
    func mainRefusesLocal() {
        var policy = DialPolicy(network: .main, allowRemote: false)
        for source in DialPolicyTests.learned {
            for host in ["127.0.0.1", "::1"] + DialPolicyTests.hosts("local") {
                #expect(policy.decide(host: host, source: source) != .dial, "\(host) from \(source.name)")
            }
            for host in DialPolicyTests.hosts("unroutable") + ["localhost"] {
                #expect(policy.decide(host: host, source: source) == .refuse("not a routable address"), "\(host)")
            }
        }
        policy.localClasses = [.local]
        let lan = DialPolicyTests.hosts("local")
        #expect(!lan.isEmpty && lan.allSatisfy { policy.decide(host: $0, source: .addr) == .dial }, "the fixture did not load, or a LAN host was refused")
        #expect(policy.decide(host: "127.0.0.1", source: .addr) != .dial)
        #expect(DialPolicyTests.hosts("unroutable").allSatisfy { policy.decide(host: $0, source: .seed) == .dial }, "operator addresses go where they say")
        #expect(DialPolicyTests.hosts("routable").allSatisfy { DialPolicy.classify($0) == .routable })
        #expect(lan.allSatisfy { DialPolicy.classify($0) == .local } && DialPolicy.classify("127.0.0.2") == .loopback)
    }
}
