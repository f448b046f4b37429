import Foundation
import KeelTesting
import Synchronization
import Testing

@testable import KeelNode

@Suite("the best peer height source", .ownThread)
struct PeerHeightSourceTests {
    @Test("reading the height 500 times calls the provider at the same stack depth each time")
    func constantDepth() {
        // Read once per connected block: a bare closure in a Mutex gained two thunks per read
        // (swiftlang/swift#91348), so each block's read went one layer deeper than the last.
        let source = PeerHeightSource()
        #expect(source.current() == 0)
        let depths = Mutex<[Int]>([])
        source.set {
            let depth = Thread.callStackReturnAddresses.count
            depths.withLock { $0.append(depth) }
            return 42
        }
        for _ in 0..<500 { #expect(source.current() == 42) }
        let seen = depths.withLock { $0 }
        #expect(seen.count == 500)
        #expect(seen.last == seen.first, "stack depth \(seen.first ?? 0) at the first read, \(seen.last ?? 0) at the last")
    }
}
