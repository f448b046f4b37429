import KeelCore
import KeelTesting
import Testing

@Suite("Amounts, 256-bit numbers and compact targets", .ownThread)
struct NumberTests {
    @Test("amount decimal strings have exactly 8 decimals and parse back")
    func amounts() {
        #expect(Amount(units: 22_662_500_000).decimalString == "226.62500000")
        #expect(Amount(units: 1).decimalString == "0.00000001")
        #expect(Amount(units: 0).decimalString == "0.00000000")
        #expect(Amount(decimal: "226.625")?.units == 22_662_500_000)
        #expect(Amount(decimal: "0.00000001")?.units == 1)
        #expect(Amount(decimal: "1.000000001") == nil)
        #expect(Amount(decimal: "-1") == nil)
        #expect(Amount(decimal: "1e5") == nil)
        #expect(Amount(decimal: "") == nil)
        #expect(Amount.maxMoney.adding(Amount(units: 1)) == nil)
    }

    @Test("compact targets match Bitcoin's known encodings")
    func compact() {
        let bitcoin = CompactTarget(bits: 0x1d00_ffff)
        let target = bitcoin.target!
        #expect(Hex.encode(target.bigEndianBytes) == "00000000ffff0000000000000000000000000000000000000000000000000000")
        #expect(CompactTarget(target: target).bits == 0x1d00_ffff)
        #expect(CompactTarget(bits: 0x0480_0000).target == nil)  // negative
        #expect(CompactTarget(bits: 0xff12_3456).target == nil)  // overflow
        // Bitcoin's genesis work: 0x100010001.
        #expect(bitcoin.work == UInt256(0x1_0001_0001))
    }

    @Test("256-bit arithmetic agrees with 64-bit arithmetic on small values")
    func arithmetic() {
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<500 {
            let a = rng.next() >> 2, b = (rng.next() >> 34) + 1
            #expect(UInt256(a) + UInt256(b) == UInt256(a + b))
            #expect(UInt256(a).divided(by: b) == UInt256(a / b))
            #expect(UInt256(a).divided(by: UInt256(b)) == UInt256(a / b))
            #expect((UInt256(a) << 70) >> 70 == UInt256(a))
            #expect(UInt256(a).multipliedReportingOverflow(by: 3).0 == UInt256(a * 3))
        }
        #expect(UInt256.max + UInt256(1) == .max)
    }

    @Test("difficulty moves with block times and stays within the limit")
    func retarget() {
        let network = Network.dev
        let half = CompactTarget(target: network.powLimit.target!.divided(by: 2))
        func context(span: UInt64) -> ParentContext {
            ParentContext(
                hash: .zero, height: 19, timestamp: 10_000 + span, target: half, medianTimePast: 0,
                intervalStartTimestamp: 10_000, intervalStartHeight: 9)
        }
        let expected = network.targetSpacing * 10
        #expect(context(span: expected).nextTarget(network: network) == half)
        #expect(context(span: expected / 2).nextTarget(network: network).target! < half.target!)
        #expect(context(span: expected * 100).nextTarget(network: network) == network.powLimit)
        let fast = context(span: 1).nextTarget(network: network).target!
        #expect(fast >= half.target!.divided(by: 5))
    }
}
