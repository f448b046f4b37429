import Foundation
import Hummingbird
import KeelTesting
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A real HTTP webhook receiver on 127.0.0.1: records every POST with its Standard Webhooks
/// headers, answers with a status the test chooses, and can be stopped and started again on
/// the same port (a receiver outage).
final class TestReceiver: Sendable {
    struct Delivery: Sendable {
        let id: String?
        let timestamp: String?
        let signature: String?
        let body: [UInt8]
        let answered: Int

        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
        var alertname: String? { ((json?["alerts"] as? [[String: Any]])?.first?["labels"] as? [String: String])?["alertname"] }
        var status: String? { json?["status"] as? String }
    }

    private let deliveries = Mutex<[Delivery]>([])
    /// The status to answer with, and an optional Retry-After.
    let answer = Mutex<(status: Int, retryAfter: String?)>((200, nil))
    private let running = Mutex<(group: ServiceGroup, task: Task<Void, any Error>)?>(nil)
    private let boundPort = Mutex<Int>(0)
    /// Its own event loop: the shared singleton may be busy with the in-process nodes of
    /// suites running in parallel.
    private let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// Every request received, answered or not with 2xx.
    var all: [Delivery] { deliveries.withLock { $0 } }
    /// Requests answered 2xx.
    var accepted: [Delivery] { all.filter { (200..<300).contains($0.answered) } }
    /// The port.
    var port: Int { boundPort.withLock { $0 } }
    /// The URL to configure.
    var url: String { "http://127.0.0.1:\(port)/hook" }

    /// Starts listening on `port` (0: any free port) and returns once it listens.
    func start(port: Int = 0) async throws {
        let router = Router()
        router.post("/hook") { [self] request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let (status, retryAfter) = answer.withLock { $0 }
            deliveries.withLock {
                $0.append(
                    Delivery(
                        id: request.headers[.init("webhook-id")!], timestamp: request.headers[.init("webhook-timestamp")!],
                        signature: request.headers[.init("webhook-signature")!], body: Array(buffer: body), answered: status))
            }
            var response = Response(status: .init(code: status))
            if let retryAfter { response.headers[.init("Retry-After")!] = retryAfter }
            return response
        }
        let listening = Mutex<Int?>(nil)
        var logger = Logger(label: "test-receiver")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in listening.withLock { $0 = channel.localAddress?.port } },
            eventLoopGroupProvider: .shared(self.eventLoops), logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task { try await group.run() }
        running.withLock { $0 = (group, task) }
        let deadline = Date().addingTimeInterval(60 * Poll.timeoutFactor)
        while listening.withLock({ $0 }) == nil {
            guard Date() < deadline else { throw TestReceiverError(message: "the receiver did not start listening on port \(port)") }
            try await Task.sleep(for: .milliseconds(10))
        }
        boundPort.withLock { $0 = listening.withLock { $0 } ?? 0 }
    }

    /// Stops listening (connections are refused until `start(port:)` again).
    func stop() async {
        guard
            let current = running.withLock({ value -> (group: ServiceGroup, task: Task<Void, any Error>)? in
                let current = value
                value = nil
                return current
            })
        else { return }
        await current.group.triggerGracefulShutdown()
        _ = try? await current.task.value
    }

    /// A receiver listening for the length of `body`, stopped (and awaited) however it ends.
    static func running<T>(_ body: (TestReceiver) async throws -> T) async throws -> T {
        let receiver = TestReceiver()
        try await receiver.start()
        do {
            let result = try await body(receiver)
            await receiver.stop()
            return result
        } catch {
            await receiver.stop()
            throw error
        }
    }
}

struct TestReceiverError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
