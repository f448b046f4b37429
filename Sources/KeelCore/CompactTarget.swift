import Synchronization

/// A proof-of-work target in the 32-bit compact form of Bitcoin's `nBits`: one exponent byte
/// (the target's length in bytes) and a three-byte mantissa.
public struct CompactTarget: Hashable, Sendable, CustomStringConvertible {
    /// The compact bits as stored in the header.
    public let bits: UInt32

    /// Wraps compact bits.
    public init(bits: UInt32) { self.bits = bits }

    /// The smallest compact form of `target` (rounding down, as Bitcoin does).
    public init(target: UInt256) {
        var size = (target.bitWidth + 7) / 8
        var compact: UInt64
        if size <= 3 {
            compact = target.low64 << UInt64(8 * (3 - size))
        } else {
            compact = (target >> (8 * (size - 3))).low64
        }
        if compact & 0x0080_0000 != 0 {
            compact >>= 8
            size += 1
        }
        bits = UInt32(compact) | UInt32(size) << 24
    }

    /// The full target; nil when the bits are negative or overflow 256 bits.
    public var target: UInt256? {
        let exponent = Int(bits >> 24)
        let mantissa = UInt64(bits & 0x007f_ffff)
        guard bits & 0x0080_0000 == 0 else { return nil }
        if exponent <= 3 { return UInt256(mantissa >> UInt64(8 * (3 - exponent))) }
        guard mantissa == 0 || exponent <= 32 else { return nil }
        let value = UInt256(mantissa) << (8 * (exponent - 3))
        guard (value >> (8 * (exponent - 3))) == UInt256(mantissa) else { return nil }
        return value
    }

    /// The work a block at this target adds to its chain. Remembered per target: the 256-bit
    /// division behind it is slow, every block and header needs it, and a chain has few targets.
    public var work: UInt256 {
        if let known = CompactTarget.workCache.withLock({ $0[bits] }) { return known }
        let work = target.map { UInt256.work(forTarget: $0) } ?? .zero
        CompactTarget.workCache.withLock { cache in
            // A retarget every interval: a bounded handful live at once.
            if cache.count >= 1_024 { cache.removeAll(keepingCapacity: true) }
            cache[bits] = work
        }
        return work
    }

    private static let workCache = Mutex<[UInt32: UInt256]>([:])

    /// Whether `hash`, read big-endian, is at or below this target.
    public func isMet(by hash: Hash256) -> Bool {
        guard let target else { return false }
        return UInt256(bigEndianBytes: hash.bytes) <= target
    }

    /// Hex of the bits, as usually shown.
    public var description: String { String(bits, radix: 16) }
}
