import Foundation
import Hummingbird
import KeelAPI
import KeelCore
import KeelFiles
import KeelP2P
import Logging
import NIOCore
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

extension Node {
    /// The HTTP API (and `/metrics`) as a service. `onListening` receives the bound address,
    /// which differs from the configured one when the port is 0.
    public func apiService(logger: Logger, onListening: @escaping @Sendable (String) -> Void) -> some Service {
        let metrics = self.metrics
        let router = APIRouter.make(backend: self, token: token, hosts: HostAllowList(configuration.apiAllowHosts)) { route, status, seconds in
            metrics.recordRequest(route: route, status: status, seconds: seconds)
        }
        var quiet = logger
        quiet.logLevel = .warning
        let host = configuration.apiHost
        let urlFile = configuration.dataDirectory + "/api.url"
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: configuration.apiPort), serverName: "keel-node"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                let url = "http://\(host):\(port)"
                // Tools find the API here (not a secret; the token is in api.token).
                do {
                    try AtomicFile.write(Data((url + "\n").utf8), to: urlFile, mode: 0o644)
                } catch {
                    // Tools then need --api; the node itself serves on.
                    logger.warning("could not write api.url; keel commands need --api", metadata: ["error": "\(error)"])
                }
                onListening(url)
            },
            logger: quiet)
    }

    /// The metrics-only listener (`--metrics-addr`) as a service, or nil when not asked for.
    /// Scrapes through it count in `keel_api_requests_total` like those through the API.
    public func metricsService(logger: Logger, onListening: @escaping @Sendable (String) -> Void) -> (any Service)? {
        guard let (host, port) = configuration.metricsAddress else { return nil }
        let metrics = self.metrics
        let router = APIRouter.makeMetricsOnly(backend: self) { route, status, seconds in
            metrics.recordRequest(route: route, status: status, seconds: seconds)
        }
        var quiet = logger
        quiet.logLevel = .warning
        let application = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "keel-node"),
            onServerRunning: { channel in onListening("http://\(host):\(channel.localAddress?.port ?? 0)") },
            logger: quiet)
        return ListenerService(application, flag: "--metrics-addr", address: "\(host):\(port)")
    }

    /// A run failure in words an operator can act on (the raw NIO text stays in the cause).
    public func describeRunFailure(_ error: any Error) -> String {
        if let failure = error as? any KeelError { return failure.rendered }
        if let failure = error as? ListenerService.Failure { return failure.description }
        if let io = error as? IOError, io.errnoCode == EADDRINUSE {
            return
                "cannot listen on \(configuration.apiHost):\(configuration.apiPort): the address is in use (another keel-node?); choose another --api-addr (\(error))"
        }
        if let io = error as? IOError, io.errnoCode == EADDRNOTAVAIL || io.errnoCode == EACCES {
            return "cannot listen on \(configuration.apiHost):\(configuration.apiPort); check --api-addr (\(error))"
        }
        return "\(error)"
    }
}
