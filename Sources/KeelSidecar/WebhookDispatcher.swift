import Foundation
import KeelClient
import KeelCore
import KeelFiles
import Logging
import ServiceLifecycle
import Synchronization

/// Sends what the outbox holds: each due entry is POSTed to its receiver over libcurl, signed
/// when the receiver has a secret, then removed (2xx), rescheduled (`DeliveryPolicy`), or moved
/// to `failed/`. A receiver that does not answer holds back only its own entries.
public final class WebhookDispatcher: Service, Sendable {
    /// One attempt's result: the status (nil when no response arrived), `Retry-After`, and
    /// for transport failures libcurl's text (never the URL).
    public struct AttemptResult: Sendable {
        /// HTTP status, or nil.
        public var status: Int?
        /// The `Retry-After` header.
        public var retryAfter: String?
        /// Why no response arrived.
        public var error: String?
    }

    /// The receivers by name (replaced by a reload).
    public var receivers: [String: WebhookReceiver] { configured.withLock { $0.receivers } }
    /// Where undelivered notifications wait: on disk, so a restart delivers them.
    public let outbox: Outbox
    /// The last delivery attempts (receiver names and outcomes only), for the status page.
    public let log = DeliveryLog()
    var policy: DeliveryPolicy { configured.withLock { $0.policy } }
    private let configured: Mutex<(receivers: [String: WebhookReceiver], policy: DeliveryPolicy)>
    let metrics: SidecarMetrics
    let logger: Logger
    let externalURL: String
    private let wake = Mutex<Bool>(false)

    /// A dispatcher over `outbox`.
    public init(receivers: [WebhookReceiver], policy: DeliveryPolicy, outbox: Outbox, metrics: SidecarMetrics, logger: Logger, externalURL: String) {
        configured = Mutex((WebhookDispatcher.byName(receivers), policy))
        self.outbox = outbox
        self.metrics = metrics
        self.logger = logger
        self.externalURL = externalURL
        metrics.outboxDepth.set(to: Double(outbox.depth))
    }

    /// Takes reloaded receivers (URLs, secrets, formats) and delivery policy (SIGHUP). What the
    /// outbox holds for a receiver that is gone is dead-lettered when it comes due, and logged.
    public func reload(receivers: [WebhookReceiver], policy: DeliveryPolicy) {
        configured.withLock { $0 = (WebhookDispatcher.byName(receivers), policy) }
        wake.withLock { $0 = true }
    }

    private static func byName(_ receivers: [WebhookReceiver]) -> [String: WebhookReceiver] {
        Dictionary(receivers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Whether any receiver is an Alertmanager (`alertmanager-api`), which wants firing alerts re-sent.
    public var hasAlertmanagers: Bool { receivers.values.contains { $0.format == .alertmanagerAPI } }

    /// Queues `alert` for every receiver (with `resend`, for the Alertmanagers only), durably,
    /// before returning. A re-send replaces one still waiting in the outbox for the same alert:
    /// Alertmanager needs the latest, not every minute of an outage.
    public func enqueue(_ alert: Alert, resend: Bool = false) {
        let now = Date().timeIntervalSince1970
        for receiver in receivers.values.sorted(by: { $0.name < $1.name }) where !resend || receiver.format == .alertmanagerAPI {
            let body: [UInt8]
            switch receiver.format {
            case .alertmanager: body = AlertmanagerPayload(alert: alert, receiver: receiver.name, externalURL: externalURL).encoded()
            case .slack: body = AlertmanagerPayload(alert: alert, receiver: receiver.name, externalURL: externalURL).slackBody()
            case .alertmanagerAPI:
                body = AlertmanagerClient.body(alert)
                if resend {
                    for stale in outbox.all
                    where stale.receiver == receiver.name && stale.alertname == (alert.labels["alertname"] ?? "") && stale.status == "firing" {
                        if let error = outbox.remove(stale.id) {
                            logger.warning("a superseded outbox entry stays on disk", metadata: ["webhook_id": "\(stale.id)", "error": "\(error)"])
                        }
                    }
                }
            }
            let entry = Outbox.Entry(
                id: Outbox.newID(), receiver: receiver.name, alertname: alert.labels["alertname"] ?? "",
                status: alert.status, created: now, attempts: 0, nextAttempt: now,
                body: String(decoding: body, as: UTF8.self), lastError: nil)
            do {
                try outbox.put(entry)
            } catch {
                logger.error("could not queue a webhook notification", metadata: ["receiver": "\(receiver.name)", "error": "\(error)"])
            }
        }
        metrics.outboxDepth.set(to: Double(outbox.depth))
        wake.withLock { $0 = true }
    }

    /// Delivers until graceful shutdown.
    public func run() async throws {
        while !(Task.isShuttingDownGracefully || Task.isCancelled) {
            await deliverDue()
            var waited = 0
            while waited < 20,
                !wake.withLock({
                    let w = $0; $0 = false; return w
                }), !(Task.isShuttingDownGracefully || Task.isCancelled)
            {
                await Task.pause(for: .milliseconds(50))
                waited += 1
            }
        }
    }

    /// Delivers until the outbox is empty or `deadline` (monotonic seconds) passes; true when
    /// empty. Used by soaks, which exit after alerting.
    public func flush(until deadline: Double) async -> Bool {
        while outbox.depth > 0, Monotonic.seconds() < deadline {
            await deliverDue()
            if outbox.depth > 0 { await Task.pause(for: .milliseconds(100)) }
        }
        return outbox.depth == 0
    }

    /// One pass over the due entries.
    public func deliverDue() async {
        var unreachable = Set<String>()
        for entry in outbox.due(now: Date().timeIntervalSince1970) {
            guard let receiver = receivers[entry.receiver] else {
                if !outbox.deadLetter(entry, reason: "receiver '\(entry.receiver)' is no longer configured") {
                    logger.error("could not keep a copy in outbox/failed", metadata: ["webhook_id": "\(entry.id)"])
                }
                metrics.delivered("failed")
                log.record(
                    DeliveryLog.Entry(
                        time: Date().timeIntervalSince1970, receiver: entry.receiver, alertname: entry.alertname, status: entry.status,
                        outcome: "failed", detail: "receiver no longer configured"))
                logger.error(
                    "dropped a webhook notification: its receiver is no longer configured",
                    metadata: ["receiver": "\(entry.receiver)", "webhook_id": "\(entry.id)"])
                continue
            }
            if unreachable.contains(receiver.name) { continue }
            let result = await attempt(entry, to: receiver)
            var updated = entry
            updated.attempts += 1
            let now = Date().timeIntervalSince1970
            let decision = policy.decide(
                status: result.status, retryAfter: result.retryAfter, attempts: updated.attempts,
                created: entry.created, now: now, jitter: Double.random(in: 0...1))
            let meta: Logger.Metadata = [
                "receiver": "\(receiver.name)", "webhook_id": "\(entry.id)", "alertname": "\(entry.alertname)",
                "status": "\(entry.status)", "attempt": "\(updated.attempts)",
            ]
            let detail = result.status.map { "HTTP \($0)" } ?? result.error ?? "no response"
            let outcome: String
            switch decision {
            case .delivered: outcome = "delivered"
            case .retry: outcome = "retried"
            case .giveUp: outcome = "failed"
            }
            log.record(
                DeliveryLog.Entry(
                    time: now, receiver: receiver.name, alertname: entry.alertname, status: entry.status, outcome: outcome,
                    detail: outcome == "delivered" ? nil : detail))
            switch decision {
            case .delivered:
                if let error = outbox.remove(entry.id) {
                    logger.warning(
                        "delivered, but its outbox entry stays on disk: it will be sent again after a restart",
                        metadata: meta.merging(["error": "\(error)"]) { $1 })
                }
                metrics.delivered("delivered")
                logger.info("webhook delivered", metadata: meta)
            case .retry(let at):
                updated.nextAttempt = at
                updated.lastError = result.status.map { "HTTP \($0)" } ?? result.error ?? "no response"
                do {
                    try outbox.put(updated)
                } catch {
                    // The entry as it was stays in the outbox: it is retried sooner, not lost.
                    logger.error("could not reschedule a webhook in the outbox", metadata: ["webhook_id": "\(entry.id)", "error": "\(error)"])
                }
                metrics.delivered("retried")
                if result.status == nil { unreachable.insert(receiver.name) }
                logger.warning(
                    "webhook delivery failed; will retry",
                    metadata: meta.merging(
                        ["error": "\(updated.lastError ?? "")", "retry_in_s": "\(String(format: "%.1f", at - now))"]) { $1 })
            case .giveUp(let why):
                if !outbox.deadLetter(updated, reason: why) {
                    logger.error("could not keep a copy in outbox/failed", metadata: ["webhook_id": "\(entry.id)"])
                }
                metrics.delivered("failed")
                logger.error("webhook delivery given up; kept in outbox/failed", metadata: meta.merging(["reason": "\(why)"]) { $1 })
            }
        }
        metrics.outboxDepth.set(to: Double(outbox.depth))
    }

    private func attempt(_ entry: Outbox.Entry, to receiver: WebhookReceiver) async -> AttemptResult {
        let body = Array(entry.body.utf8)
        var headers = ["User-Agent": "keel-sidecar"]
        if let secret = receiver.secret {
            headers.merge(WebhookSigner(secret: secret).headers(id: entry.id, timestamp: Int(Date().timeIntervalSince1970), body: body)) { $1 }
        } else {
            headers["webhook-id"] = entry.id
        }
        let signed = headers
        return await Blocking.run {
            do {
                let response = try HTTPClient(connectTimeout: receiver.timeout, timeout: receiver.timeout)
                    .request("POST", receiver.endpoint, headers: signed, body: body, maxResponseBytes: 1 << 20)
                return AttemptResult(status: response.status, retryAfter: response.headers["retry-after"], error: nil)
            } catch let error as ClientError {
                // ClientError's message names the URL; only libcurl's own code and text are kept.
                return AttemptResult(status: nil, retryAfter: nil, error: (error.cause as? CurlError)?.description ?? error.code.rawValue)
            } catch {
                return AttemptResult(status: nil, retryAfter: nil, error: "transport")
            }
        }
    }
}
