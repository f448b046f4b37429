import KeelCore
import KeelTesting
import Testing

@Suite("Bech32m and addresses", .ownThread)
struct AddressTests {
    static let valid = [
        "A1LQFN3A", "a1lqfn3a",
        "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
        "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
        "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
        "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
        "?1v759aa",
    ]

    static let invalid = [
        "\u{20}1xj0phk", "\u{7f}1g6xzxy", "\u{80}1vctc34",
        "an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
        "qyrz8wqd2c9m", "1qyrz8wqd2c9m", "y1b0jsk6g", "lt1igcx5c0", "in1muywd", "mm1crxm3i", "au1s5cgom",
        "M1VUXWEZ", "16plkw9", "1p2gdwpf",
        // A valid bech32 (not bech32m) string must fail the bech32m checksum.
        "a12uel5l",
    ]

    @Test("BIP-350 valid bech32m strings decode and re-encode", arguments: valid)
    func validVectors(text: String) throws {
        let decoded = try Bech32m.decode(text)
        #expect(Bech32m.encode(hrp: decoded.hrp, data: decoded.data) == text.lowercased())
    }

    @Test("BIP-350 invalid bech32m strings are refused", arguments: invalid)
    func invalidVectors(text: String) {
        #expect(throws: Bech32m.Failure.self) { try Bech32m.decode(text) }
    }

    @Test("an address reads the same in either case and normalizes to lower case")
    func caseInsensitive() throws {
        let key = SigningKey()
        let address = Address(hash: key.addressHash, network: .dev)
        #expect(address.string.hasPrefix("tkeel1"))
        let upper = try Address(parsing: address.string.uppercased(), network: .dev)
        #expect(upper == address)
        #expect(upper.string == address.string)
        #expect(try Address(parsing: "  \(address.string) ", network: .dev) == address)
    }

    @Test("addresses of another network, mixed case or bad checksums are refused with a message")
    func refusals() throws {
        let address = Address(hash: SigningKey().addressHash, network: .main)
        #expect(address.string.hasPrefix("keel1"))
        let wrongNet = #expect(throws: AddressError.self) { try Address(parsing: address.string, network: .dev) }
        #expect(wrongNet?.code == .wrongNetwork)
        var mixed = Array(address.string)
        mixed[6] = Character(mixed[6].uppercased())
        #expect(throws: AddressError.self) { try Address(parsing: String(mixed), network: .main) }
        var broken = Array(address.string)
        broken[broken.count - 1] = broken.last == "q" ? "p" : "q"
        let bad = #expect(throws: AddressError.self) { try Address(parsing: String(broken), network: .main) }
        #expect(bad?.message.contains("checksum") == true)
    }
}
