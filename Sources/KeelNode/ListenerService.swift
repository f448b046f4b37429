import Foundation
import NIOCore
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Runs an HTTP listener and, when it cannot bind, fails naming the option that set its address,
/// so two listeners (the API and the metrics) are never confused in the error.
struct ListenerService: Service {
    /// A listener that could not start, in words: the address, the option and what to do.
    struct Failure: Error, CustomStringConvertible {
        let flag: String
        let address: String
        let cause: any Error

        var description: String {
            if let io = cause as? IOError, io.errnoCode == EADDRINUSE {
                return "cannot listen on \(address): the address is in use (another keel-node?); choose another \(flag) (\(cause))"
            }
            return "cannot listen on \(address); check \(flag) (\(cause))"
        }
    }

    private let inner: any Service
    private let flag: String
    private let address: String

    init(_ inner: any Service, flag: String, address: String) {
        self.inner = inner
        self.flag = flag
        self.address = address
    }

    func run() async throws {
        do {
            try await inner.run()
        } catch let error as IOError {
            throw Failure(flag: flag, address: address, cause: error)
        }
    }
}
