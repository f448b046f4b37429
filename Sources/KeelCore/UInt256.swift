/// An unsigned 256-bit integer, just enough for targets and cumulative chain work.
///
/// Limbs are little-endian (`w0` least significant). Consensus needs only comparison,
/// addition, shifts, multiplication and division by a 64-bit value, and full division for
/// the work of a target, so that is all this type does.
public struct UInt256: Hashable, Comparable, Sendable, CustomStringConvertible {
    var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// 0: no work.
    public static let zero = UInt256(w0: 0, w1: 0, w2: 0, w3: 0)
    /// 2^256 - 1.
    public static let max = UInt256(w0: .max, w1: .max, w2: .max, w3: .max)

    init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0; self.w1 = w1; self.w2 = w2; self.w3 = w3
    }

    /// A value that fits in 64 bits.
    public init(_ value: UInt64) { self.init(w0: value, w1: 0, w2: 0, w3: 0) }

    /// Reads 32 big-endian bytes.
    public init(bigEndianBytes b: [UInt8]) {
        precondition(b.count == 32, "UInt256 needs 32 bytes")
        func limb(_ start: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in start..<(start + 8) { v = v << 8 | UInt64(b[i]) }
            return v
        }
        self.init(w0: limb(24), w1: limb(16), w2: limb(8), w3: limb(0))
    }

    /// 32 big-endian bytes.
    public var bigEndianBytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(32)
        for limb in [w3, w2, w1, w0] {
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: limb >> UInt64(shift))) }
        }
        return out
    }

    var limbs: [UInt64] { [w0, w1, w2, w3] }
    init(limbs l: [UInt64]) { self.init(w0: l[0], w1: l[1], w2: l[2], w3: l[3]) }

    /// True for zero.
    public var isZero: Bool { w0 == 0 && w1 == 0 && w2 == 0 && w3 == 0 }

    /// The number of significant bits.
    public var bitWidth: Int {
        for (i, limb) in limbs.enumerated().reversed() where limb != 0 {
            return i * 64 + (64 - limb.leadingZeroBitCount)
        }
        return 0
    }

    /// The low 64 bits.
    public var low64: UInt64 { w0 }

    /// Numeric order.
    public static func < (a: UInt256, b: UInt256) -> Bool {
        if a.w3 != b.w3 { return a.w3 < b.w3 }
        if a.w2 != b.w2 { return a.w2 < b.w2 }
        if a.w1 != b.w1 { return a.w1 < b.w1 }
        return a.w0 < b.w0
    }

    /// Sum and whether it overflowed 256 bits.
    public func addingReportingOverflow(_ other: UInt256) -> (UInt256, Bool) {
        var out = [UInt64](repeating: 0, count: 4)
        var carry = false
        let a = limbs, b = other.limbs
        for i in 0..<4 {
            let (s1, o1) = a[i].addingReportingOverflow(b[i])
            let (s2, o2) = s1.addingReportingOverflow(carry ? 1 : 0)
            out[i] = s2
            carry = o1 || o2
        }
        return (UInt256(limbs: out), carry)
    }

    /// Sum, saturating at `max` (cumulative work never wraps).
    public static func + (a: UInt256, b: UInt256) -> UInt256 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    /// Difference; the caller guarantees `a >= b`.
    public static func - (a: UInt256, b: UInt256) -> UInt256 {
        var out = [UInt64](repeating: 0, count: 4)
        var borrow = false
        let x = a.limbs, y = b.limbs
        for i in 0..<4 {
            let (d1, o1) = x[i].subtractingReportingOverflow(y[i])
            let (d2, o2) = d1.subtractingReportingOverflow(borrow ? 1 : 0)
            out[i] = d2
            borrow = o1 || o2
        }
        return UInt256(limbs: out)
    }

    /// Bitwise not.
    public static prefix func ~ (a: UInt256) -> UInt256 { UInt256(w0: ~a.w0, w1: ~a.w1, w2: ~a.w2, w3: ~a.w3) }

    /// Left shift; bits beyond 256 are dropped.
    public static func << (a: UInt256, shift: Int) -> UInt256 {
        guard shift > 0 else { return a }
        guard shift < 256 else { return .zero }
        var out = [UInt64](repeating: 0, count: 4)
        let l = a.limbs, limbShift = shift / 64, bitShift = shift % 64
        for i in stride(from: 3, through: limbShift, by: -1) {
            var v = l[i - limbShift] << UInt64(bitShift)
            if bitShift > 0 && i - limbShift - 1 >= 0 { v |= l[i - limbShift - 1] >> UInt64(64 - bitShift) }
            out[i] = v
        }
        return UInt256(limbs: out)
    }

    /// Right shift.
    public static func >> (a: UInt256, shift: Int) -> UInt256 {
        guard shift > 0 else { return a }
        guard shift < 256 else { return .zero }
        var out = [UInt64](repeating: 0, count: 4)
        let l = a.limbs, limbShift = shift / 64, bitShift = shift % 64
        for i in 0...(3 - limbShift) {
            var v = l[i + limbShift] >> UInt64(bitShift)
            if bitShift > 0 && i + limbShift + 1 <= 3 { v |= l[i + limbShift + 1] << UInt64(64 - bitShift) }
            out[i] = v
        }
        return UInt256(limbs: out)
    }

    /// Product with a 64-bit value and whether it overflowed.
    public func multipliedReportingOverflow(by m: UInt64) -> (UInt256, Bool) {
        var out = [UInt64](repeating: 0, count: 4)
        var carry: UInt64 = 0
        for (i, limb) in limbs.enumerated() {
            let (hi, lo) = limb.multipliedFullWidth(by: m)
            let (sum, o) = lo.addingReportingOverflow(carry)
            out[i] = sum
            carry = hi &+ (o ? 1 : 0)
        }
        return (UInt256(limbs: out), carry != 0)
    }

    /// Quotient by a non-zero 64-bit value.
    public func divided(by d: UInt64) -> UInt256 {
        precondition(d != 0, "division by zero")
        var out = [UInt64](repeating: 0, count: 4)
        var remainder: UInt64 = 0
        for i in stride(from: 3, through: 0, by: -1) {
            let (q, r) = d.dividingFullWidth((remainder, limbs[i]))
            out[i] = q
            remainder = r
        }
        return UInt256(limbs: out)
    }

    /// Quotient by a non-zero 256-bit value (shift-and-subtract; used once per block).
    public func divided(by d: UInt256) -> UInt256 {
        precondition(!d.isZero, "division by zero")
        if self < d { return .zero }
        var quotient = UInt256.zero
        var remainder = UInt256.zero
        for bit in stride(from: bitWidth - 1, through: 0, by: -1) {
            remainder = remainder << 1
            if (self >> bit).w0 & 1 == 1 { remainder.w0 |= 1 }
            if remainder >= d {
                remainder = remainder - d
                quotient = quotient + (UInt256(1) << bit)
            }
        }
        return quotient
    }

    /// The expected number of hashes to meet `target`: 2^256 / (target + 1).
    public static func work(forTarget target: UInt256) -> UInt256 {
        if target == .max { return UInt256(1) }
        return (~target).divided(by: target + UInt256(1)) + UInt256(1)
    }

    /// Hex of the big-endian bytes.
    public var description: String { Hex.encode(bigEndianBytes) }
}
