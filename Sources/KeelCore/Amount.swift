/// An amount of KEEL in base units: 1 KEEL = 100,000,000 units.
///
/// Amounts are integers everywhere; the decimal string (exactly 8 decimals) exists only for
/// people, so no rounding can ever make a balance read differently from what is stored.
public struct Amount: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Base units in one KEEL.
    public static let unitsPerCoin: UInt64 = 100_000_000
    /// The largest amount any output or sum may hold (21 million KEEL), so sums never overflow.
    public static let maxMoney = Amount(units: 21_000_000 * unitsPerCoin)
    /// Nothing.
    public static let zero = Amount(units: 0)

    /// Base units.
    public let units: UInt64

    /// An amount in base units.
    public init(units: UInt64) { self.units = units }

    /// Whole coins (for tests and constants).
    public static func coins(_ value: UInt64) -> Amount { Amount(units: value * unitsPerCoin) }

    /// Parses a decimal amount like `226.625` or `0.00000001` (at most 8 decimals).
    public init?(decimal text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let wholePart = parts.first, !wholePart.isEmpty,
            wholePart.allSatisfy(\.isASCII), let whole = UInt64(wholePart)
        else { return nil }
        var fraction: UInt64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 8, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = UInt64(digits)
            else { return nil }
            fraction = value
            for _ in digits.count..<8 { fraction *= 10 }
        }
        let (scaled, o1) = whole.multipliedReportingOverflow(by: Amount.unitsPerCoin)
        let (total, o2) = scaled.addingReportingOverflow(fraction)
        guard !o1, !o2 else { return nil }
        self.units = total
    }

    /// The decimal string with exactly 8 decimals, e.g. `226.62500000`.
    public var decimalString: String {
        let whole = units / Amount.unitsPerCoin
        let fraction = String(units % Amount.unitsPerCoin)
        return "\(whole).\(String(repeating: "0", count: 8 - fraction.count))\(fraction)"
    }

    /// The decimal string.
    public var description: String { decimalString }

    /// Numeric order.
    public static func < (a: Amount, b: Amount) -> Bool { a.units < b.units }

    /// Sum, or nil when it would pass `maxMoney`.
    public func adding(_ other: Amount) -> Amount? {
        let (sum, overflow) = units.addingReportingOverflow(other.units)
        guard !overflow, sum <= Amount.maxMoney.units else { return nil }
        return Amount(units: sum)
    }
}
