import Logging
import ServiceLifecycle
import UnixSignals

/// Rereads the configuration file on SIGHUP (`systemctl reload keel-sidecar`): a file that does
/// not parse is refused, said so in the log and counted, and the running configuration stays;
/// one that does is applied without touching the node, and any changed field that needs a
/// restart is named.
public struct ConfigReloader: Service {
    private let path: String
    private let executableDirectory: String
    private let sidecar: Sidecar
    private let logger: Logger

    /// Reloads `path` into `sidecar`.
    public init(path: String, executableDirectory: String, sidecar: Sidecar, logger: Logger) {
        self.path = path
        self.executableDirectory = executableDirectory
        self.sidecar = sidecar
        self.logger = logger
    }

    /// Waits for SIGHUP until graceful shutdown.
    public func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            reload()
        }
    }

    /// One reload, as SIGHUP triggers it.
    public func reload() {
        let new: SidecarConfiguration
        do {
            new = try SidecarConfiguration.load(path: path, executableDirectory: executableDirectory)
        } catch {
            sidecar.metrics.configReloaded(ok: false)
            logger.error("configuration reload refused; the running configuration stays", metadata: ["error": "\(error)"])
            return
        }
        let report = sidecar.reload(new)
        logger.notice(
            "configuration reloaded",
            metadata: [
                "applied": "\(report.applied.isEmpty ? "nothing changed" : report.applied.joined(separator: ", "))"
            ])
        if !report.needRestart.isEmpty {
            logger.warning(
                "changed fields take effect only when the sidecar restarts (which restarts the node)",
                metadata: ["fields": "\(report.needRestart.joined(separator: ", "))"])
        }
    }
}
