import ArgumentParser
import Foundation
import Hummingbird
import KeelClient
import KeelCore
import KeelFiles
import KeelSidecar
import Logging
import ServiceLifecycle

@main
struct KeelSidecarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keel-sidecar",
        abstract: "Supervise a Keel node, alert through webhooks when it drifts, and soak it for days.",
        discussion: """
            'keel-sidecar run --config sidecar.yaml' starts the node named in the file in its own process group \
            (the node dies with the sidecar), reaps every child, checks the node's /health, restarts it with \
            backoff until the burst limit, and on SIGTERM stops it (SIGTERM, then SIGKILL after stop.timeout) \
            and exits 0. It scrapes the node's /metrics, evaluates the alert rules, and posts firing and \
            resolved alerts (Alertmanager v4 JSON, Standard Webhooks signatures) through a durable outbox. \
            Its status page (the first line it prints, at the listen address: node, chain, peers, mining, \
            memory, alerts, webhooks and soak reports) needs no Grafana. See sidecar/dev.yaml for every field with its default, and 'keel-sidecar soak --help' for soaks.

            Exit codes: 0 stopped on SIGTERM or SIGINT (or a soak passed); 1 failed while running (or a soak \
            failed or could not run); 2 bad configuration or options (a restart changes nothing); \
            3 'keel-sidecar logs' cannot reach a running sidecar; 64 bad usage.
            """,
        version: KeelBuild.versionLine("keel-sidecar"),
        subcommands: [RunCommand.self, LogsCommand.self, CheckConfigCommand.self, SoakCommand.self])
}

/// The directory of the running executable (where `keel-node` is looked for by default).
func executableDirectory() -> String {
    do {
        return URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")).deletingLastPathComponent().path
    } catch {
        // No /proc (not Linux): the path it was started by.
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
    }
}

func fail(_ message: String, code: Int32) -> ExitCode {
    FileHandle.standardError.write(Data("keel-sidecar: error: \(message)\n".utf8))
    return ExitCode(code)
}

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Validate a configuration file and print it with defaults filled in.")
    @Option(name: .long, help: "The YAML configuration.") var config: String

    func run() throws {
        do {
            let c = try SidecarConfiguration.load(path: config, executableDirectory: executableDirectory())
            print("node.command      \(c.node.command) \(c.node.arguments.joined(separator: " "))")
            print(
                "node.echo         \(c.node.echo ? "on: the node's output is copied to the sidecar's" : "off: the node's output is kept in the sidecar's buffer only (/logs)")"
            )
            print(
                "health            \(c.health.enabled ? "every \(SidecarDuration.format(c.health.interval)), timeout \(SidecarDuration.format(c.health.timeout)), \(c.health.failures) failures, grace \(SidecarDuration.format(c.health.grace))" : "off")"
            )
            print(
                "restart           backoff \(SidecarDuration.format(c.restart.initialBackoff)) to \(SidecarDuration.format(c.restart.maxBackoff)), burst \(c.restart.burst) in \(SidecarDuration.format(c.restart.burstWindow)), reset after \(SidecarDuration.format(c.restart.resetAfter))"
            )
            print("stop.timeout      \(SidecarDuration.format(c.stopTimeout))")
            print("sampler           every \(SidecarDuration.format(c.sampling.interval)), window \(SidecarDuration.format(c.sampling.window))")
            for rule in c.alerts.rules where rule.kind != .soakFailed {
                print(
                    "alert             \(rule.name.padding(toLength: 20, withPad: " ", startingAt: 0)) "
                        + (rule.enabled
                            ? "threshold \(rule.threshold), for \(SidecarDuration.format(rule.forDuration))\(rule.window > 0 ? ", window \(SidecarDuration.format(rule.window))" : ""), \(rule.severity), runbook \(rule.runbookURL)"
                            : "disabled"))
            }
            print("alerts.repeat     \(c.alerts.repeatInterval > 0 ? SidecarDuration.format(c.alerts.repeatInterval) : "never") (webhooks)")
            print("alerts.resend     \(SidecarDuration.format(c.alerts.resendInterval)) (alertmanager-api receivers)")
            let labels = c.alerts.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            print("alerts.labels     \(labels.isEmpty ? "none (set instance to the label Prometheus gives this node)" : labels)")
            if c.receivers.isEmpty { print("receivers         none (alerts are logged and counted only)") }
            for r in c.receivers {
                // The URL and secret are secrets: the host only, and whether signing is on.
                print(
                    "receiver          \(r.name): \(r.redactedURL) \(r.format.rawValue)\(r.secret == nil ? ", unsigned" : ", signed") timeout \(SidecarDuration.format(r.timeout))"
                )
            }
            print(
                "delivery          backoff \(SidecarDuration.format(c.delivery.initialBackoff)) to \(SidecarDuration.format(c.delivery.maxBackoff)), give up after \(SidecarDuration.format(c.delivery.maxAge))"
            )
            print("listen            \(c.listenHost):\(c.listenPort)")
            print("state_dir         \(c.stateDirectory)")
        } catch {
            throw fail("\(error)", code: 2)
        }
    }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Start and supervise the node until SIGTERM or SIGINT.")
    @Option(name: .long, help: "The YAML configuration.") var config: String
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"

    func validate() throws {
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("unknown --log-level '\(logLevel)'") }
    }

    func run() async throws {
        let settings: SidecarConfiguration
        do {
            settings = try SidecarConfiguration.load(path: config, executableDirectory: executableDirectory())
        } catch {
            throw fail("\(error)", code: 2)
        }
        let level = Logger.Level(rawValue: logLevel) ?? .info
        OperatorLogging.bootstrap(level: level, toStandardError: true)
        let logger = Logger(label: "keel-sidecar")
        do {
            try FileManager.default.createDirectory(atPath: settings.stateDirectory, withIntermediateDirectories: true)
        } catch {
            throw fail("cannot create state_dir \(settings.stateDirectory): \(error)", code: 2)
        }
        let externalURL = "http://\(settings.listenHost):\(settings.listenPort)"
        // The node starts once the status page is listening, so that its address is the first
        // line a person sees (`make run`), before the node's own start-up lines.
        let gate = StartGate(open: false)
        let sidecar: Sidecar
        do {
            sidecar = try Sidecar(configuration: settings, logger: logger, externalURL: externalURL, startGate: gate)
        } catch {
            throw fail("\(error)", code: 2)
        }
        var quiet = logger
        quiet.logLevel = .warning
        let urlFile = settings.stateDirectory + "/sidecar.url"
        let host = settings.listenHost
        let systemd = SystemdNotifier()
        let api = Application(
            router: sidecar.router, configuration: .init(address: .hostname(host, port: settings.listenPort), serverName: "keel-sidecar"),
            onServerRunning: { channel in
                let url = "http://\(host):\(channel.localAddress?.port ?? 0)"
                do {
                    try (url + "\n").write(toFile: urlFile, atomically: true, encoding: .utf8)
                } catch {
                    // Only `keel-sidecar logs` reads it, and --sidecar stands in.
                    logger.warning("could not write sidecar.url; keel-sidecar logs needs --sidecar", metadata: ["error": "\(error)"])
                }
                print("keel-sidecar: status page \(url)/")
                print("keel-sidecar: listening \(url) (health \(url)/health, metrics \(url)/metrics, soak reports \(url)/soaks/)")
                print("keel-sidecar: supervising \(settings.node.command) \(settings.node.arguments.joined(separator: " "))")
                print(
                    "keel-sidecar: alerts to \(settings.receivers.isEmpty ? "no receiver (logged only)" : settings.receivers.map { "\($0.name) (\($0.redactedURL))" }.joined(separator: ", "))"
                )
                fflush(nil)
                gate.open()
                systemd.ready(status: "supervising the node; status page \(url)/")
            }, logger: quiet)
        if settings.logsToken == nil, !["127.0.0.1", "localhost", "::1"].contains(settings.listenHost) {
            logger.warning(
                "/logs is open to anyone who can reach the listen address, and the node's lines name peers; set logs.token_file",
                metadata: ["listen": "\(settings.listenHost):\(settings.listenPort)"])
        }
        // Reverse order on shutdown: the API, the sampler, the supervisor (stopping the node), then the dispatcher.
        let group = ServiceGroup(
            configuration: .init(
                services: sidecar.services + [
                    api, SystemdWatchdog(systemd: systemd),
                    ConfigReloader(path: config, executableDirectory: executableDirectory(), sidecar: sidecar, logger: logger),
                ], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            throw fail("\(error)", code: 1)
        }
    }
}

struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print the node's last output lines, as the running sidecar kept them (redacted).")
    @Option(name: .long, help: "The sidecar's URL (default: from STATE_DIR/sidecar.url, else http://127.0.0.1:9335).") var sidecar: String?
    @Option(name: .long, help: "The sidecar's state directory.") var stateDir: String = ".keel-sidecar"
    @Option(name: .long, help: "Lines per stream.") var lines: Int = 100
    @Option(name: .long, help: "stdout, stderr or both.") var stream: String = "both"
    @Option(name: .long, help: "A file holding the token /logs requires (the sidecar's logs.token_file), when it has one.") var tokenFile: String?

    func validate() throws {
        if lines < 1 { throw ValidationError("--lines must be at least 1") }
        if !["stdout", "stderr", "both"].contains(stream) { throw ValidationError("--stream must be stdout, stderr or both") }
    }

    func run() throws {
        let written: String?
        do {
            written = try TextFile.readIfPresent(stateDir + "/sidecar.url")
        } catch {
            throw fail("cannot read \(stateDir)/sidecar.url: \(error.localizedDescription); give --sidecar", code: 2)
        }
        let base = sidecar ?? written ?? "http://127.0.0.1:9335"
        do {
            var headers = [String: String]()
            if let tokenFile {
                let token: String?
                do {
                    token = try TextFile.readIfPresent(tokenFile)
                } catch {
                    throw fail("cannot read --token-file \(tokenFile): \(error.localizedDescription)", code: 2)
                }
                guard let token else { throw fail("cannot read --token-file \(tokenFile): there is no such file", code: 2) }
                headers["Authorization"] = "Bearer \(token)"
            }
            let response = try HTTPClient(connectTimeout: 3, timeout: 10).request("GET", base + "/logs?lines=\(lines)&stream=\(stream)", headers: headers)
            guard response.status == 200 else { throw fail("the sidecar answered \(response.status): \(response.text)", code: 1) }
            print(response.text, terminator: "")
        } catch let error as ClientError {
            throw fail("cannot reach the sidecar at \(base) (is it running?): \(error.message)", code: 3)
        }
    }
}
