import KeelMetrics
import KeelStorage
import Prometheus

/// The P2P layer's metrics, made on the node's registry. Labels are bounded: directions,
/// command names, disconnect and ban reason codes, dial results. Never a peer id or address.
public final class P2PMetrics: Sendable {
    /// Connection directions.
    public static let directions = ["inbound", "outbound"]
    /// Traffic directions.
    public static let flows = ["received", "sent"]
    /// Why a peer is banned or disconnected (bounded codes).
    public static let reasons = [
        "bad_magic", "bad_command", "oversized", "bad_checksum", "malformed_message", "invalid_block",
        "invalid_transaction", "flood", "protocol_violation", "wrong_network", "wrong_genesis",
        "self_connection", "handshake_timeout", "ping_timeout", "slow_reader", "closed", "shutdown",
        "duplicate", "requested", "stalling", "evicted",
    ]
    /// Dial outcomes.
    public static let dialResults = ["connected", "refused", "timeout", "handshake_failed"]
    /// Inbound connections turned away.
    public static let rejections = ["banned", "limit", "host_limit"]
    /// Where an address the dial policy refused came from.
    public static let refusedSources = ["addr", "inbound", "imported"]

    /// `keel_p2p_peer_clock_offset_seconds`: the median of connected peers' clocks minus ours.
    public let peerClockOffset: Gauge
    /// `keel_peers{direction}`.
    public let peers: [String: Gauge]
    /// `keel_p2p_messages_total{command,flow}`.
    let messages: [String: Counter]
    /// `keel_p2p_bytes_total{command,flow}`.
    let bytes: [String: Counter]
    /// `keel_peer_ping_seconds`.
    public let pingSeconds: ValueHistogram
    /// `keel_peer_bans_total{reason}`.
    let bans: [String: Counter]
    /// `keel_peer_disconnects_total{reason}`.
    let disconnects: [String: Counter]
    /// `keel_p2p_dials_total{result}`.
    let dials: [String: Counter]
    /// `keel_p2p_inbound_rejected_total{reason}`: banned, all slots full of peers worth keeping
    /// (limit), or the host's own limit reached (host_limit).
    let rejected: [String: Counter]
    /// `keel_p2p_addresses_refused_total{source}`.
    let refusedAddresses: [String: Counter]
    /// `keel_p2p_dial_backs_refused_total{reason}`: reach-check requests not acted on.
    let refusedDialBacks: [String: Counter]
    /// Why a dial-back request is refused (`DialBacks.Refusal`).
    public static let dialBackRefusals = DialBacks.Refusal.allCases.map(\.rawValue)
    /// `keel_p2p_store_write_failures_total`: address-book and ban writes RocksDB refused.
    public let storeWriteFailures: Counter
    /// `keel_p2p_address_book_size`.
    public let addressBookSize: Gauge
    /// `keel_p2p_banned_hosts`.
    public let bannedHosts: Gauge
    /// `keel_p2p_seeds` and `keel_p2p_seeds_reachable`.
    public let seeds: Gauge, seedsReachable: Gauge
    /// `keel_p2p_orphan_blocks`.
    public let orphanBlocks: Gauge
    /// `keel_p2p_best_peer_height`.
    public let bestPeerHeight: Gauge
    /// `keel_p2p_addresses_rate_limited_total`: addresses in `addr` messages beyond the
    /// sender's rate, dropped unread.
    public let addressesRateLimited: Counter
    /// `keel_p2p_orphan_bytes`.
    public let orphanBytes: Gauge
    /// `keel_p2p_download_queue`: blocks queued for download over all peers.
    public let downloadQueue: Gauge
    /// `keel_p2p_blocks_in_flight`.
    public let blocksInFlight: Gauge
    /// `keel_p2p_import_queue_blocks`: blocks received and waiting to be validated; at its
    /// bound (1,024) the download waits for validation.
    public let importQueue: Gauge
    /// `keel_p2p_sync_resumed_total`: a peer was ahead with nothing left to fetch, so headers
    /// were asked for again. 0 on a healthy node: each one means blocks to fetch were lost.
    public let syncResumed: Counter
    /// `keel_p2p_download_refused_total{reason}`: blocks not queued, orphans not held.
    let downloadRefused: [String: Counter]
    /// Why a block was not queued or held.
    public static let downloadRefusals =
        BlockDownloader.Refusal.allCases.map(\.rawValue) + OrphanPool.Refusal.allCases.map { "orphans_" + $0.rawValue } + ["import_queue_full"]
    /// `keel_p2p_requests_expired_total{reason}`: block requests taken back from a peer.
    let requestsExpired: [String: Counter]
    /// Why a request was taken back: the peer stalled while others delivered, or it went
    /// unanswered for the request timeout.
    public static let expiries = ["stalled", "timeout"]
    /// `keel_p2p_ignored_total{what,reason}`: headers and blocks not followed or not stored,
    /// without blaming the peer.
    let ignored: [String: Counter]
    /// What was ignored and why.
    public static let ignoredKinds = [
        "headers low_work", "headers presync", "headers redownload_mismatch", "headers unconnected",
        "headers from_the_future", "block low_work", "block unrequested_orphan", "block orphan_expired",
    ]

    /// Creates every series at zero on `registry`.
    public init(registry: PrometheusCollectorRegistry) {
        let r = registry
        peers = r.gauges("keel_peers", "Connected peers that completed the handshake, by who dialled.", label: "direction", values: P2PMetrics.directions)
        peerClockOffset = r.makeGauge(
            descriptor: .keel(
                "keel_p2p_peer_clock_offset_seconds",
                "Median over connected peers of their clock minus ours at the handshake, seconds (0 without peers)."))
        var messages = [String: Counter](), bytes = [String: Counter]()
        for command in Message.commands + ["unknown"] {
            for flow in P2PMetrics.flows {
                let labels = [("command", command), ("direction", flow)]
                messages[command + " " + flow] = r.makeCounter(
                    descriptor: .keel("keel_p2p_messages_total", "P2P messages, by command and direction (received or sent)."), labels: labels)
                bytes[command + " " + flow] = r.makeCounter(
                    descriptor: .keel("keel_p2p_bytes_total", "P2P bytes including frame headers, by command and direction."), labels: labels)
            }
        }
        self.messages = messages
        self.bytes = bytes
        pingSeconds = r.makeValueHistogram(
            descriptor: .keel("keel_peer_ping_seconds", "Round trip of a ping to a peer and its pong, in seconds."),
            buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5])
        bans = r.counters("keel_peer_bans_total", "Peer hosts banned, by the offence that used up their score.", label: "reason", values: P2PMetrics.reasons)
        disconnects = r.counters("keel_peer_disconnects_total", "Peer connections closed, by reason.", label: "reason", values: P2PMetrics.reasons)
        dials = r.counters("keel_p2p_dials_total", "Outbound dials, by result.", label: "result", values: P2PMetrics.dialResults)
        rejected = r.counters(
            "keel_p2p_inbound_rejected_total", "Inbound connections closed before the handshake, by reason.", label: "reason", values: P2PMetrics.rejections)
        refusedAddresses = r.counters(
            "keel_p2p_addresses_refused_total",
            "Learned or imported addresses the dial policy refused (on dev: not loopback), by where they came from; never dialled.", label: "source",
            values: P2PMetrics.refusedSources)
        refusedDialBacks = r.counters(
            "keel_p2p_dial_backs_refused_total",
            "Reach-check requests refused (answered unreachable without dialling): the peer had one running (busy), asked within 10 s of its last (rate), or the node had four running (limit).",
            label: "reason", values: P2PMetrics.dialBackRefusals)
        storeWriteFailures = r.makeCounter(
            descriptor: .keel(
                "keel_p2p_store_write_failures_total",
                "Writes of the address book and bans that RocksDB refused (a full disk, I/O errors): the records live on in memory and are written again when they change."
            ))
        addressBookSize = r.makeGauge(descriptor: .keel("keel_p2p_address_book_size", "Addresses in the address book."))
        bannedHosts = r.makeGauge(descriptor: .keel("keel_p2p_banned_hosts", "Hosts currently banned."))
        seeds = r.makeGauge(descriptor: .keel("keel_p2p_seeds", "Configured seed and --connect addresses."))
        seedsReachable = r.makeGauge(descriptor: .keel("keel_p2p_seeds_reachable", "Seed and --connect addresses whose last dial completed a handshake."))
        orphanBlocks = r.makeGauge(descriptor: .keel("keel_p2p_orphan_blocks", "Blocks held until their parent arrives."))
        bestPeerHeight = r.makeGauge(descriptor: .keel("keel_p2p_best_peer_height", "The highest tip height a connected peer announced."))
        addressesRateLimited = r.makeCounter(
            descriptor: .keel(
                "keel_p2p_addresses_rate_limited_total",
                "Addresses in addr messages over the sender's rate (1,000 at once, 0.1 a second), dropped unread."))
        orphanBytes = r.makeGauge(descriptor: .keel("keel_p2p_orphan_bytes", "Bytes of blocks held until their parent arrives."))
        downloadQueue = r.makeGauge(descriptor: .keel("keel_p2p_download_queue", "Blocks queued for download, over all peers."))
        blocksInFlight = r.makeGauge(descriptor: .keel("keel_p2p_blocks_in_flight", "Blocks requested from peers and not yet delivered."))
        importQueue = r.makeGauge(
            descriptor: .keel("keel_p2p_import_queue_blocks", "Blocks received and waiting to be validated; at its bound the download waits."))
        syncResumed = r.makeCounter(
            descriptor: .keel(
                "keel_p2p_sync_resumed_total",
                "Times a peer was ahead with nothing left to fetch, queued or in flight, and headers were asked for again (0 when healthy)."))
        downloadRefused = r.counters(
            "keel_p2p_download_refused_total", "Blocks not queued for download or not held as orphans because a bound was reached, by bound.", label: "reason",
            values: P2PMetrics.downloadRefusals)
        requestsExpired = r.counters(
            "keel_p2p_requests_expired_total", "Block requests taken back from a peer and asked of others: it stalled while others delivered, or timed out.",
            label: "reason", values: P2PMetrics.expiries)
        ignored = Dictionary(
            uniqueKeysWithValues: P2PMetrics.ignoredKinds.map { key in
                let parts = key.split(separator: " ").map(String.init)
                return (
                    key,
                    r.makeCounter(
                        descriptor: .keel(
                            "keel_p2p_ignored_total",
                            "Headers messages and blocks from peers not followed or not stored, without penalty, by what and why."),
                        labels: [("what", parts[0]), ("reason", parts[1])])
                )
            })
    }

    func message(_ command: String, _ flow: String, bytes count: Int) {
        let key = (Message.commands.contains(command) ? command : "unknown") + " " + flow
        messages[key]?.increment()
        bytes[key]?.increment(by: Int64(count))
    }

    func ignore(_ what: String, _ reason: String, count: Int = 1) { ignored[what + " " + reason]?.increment(by: Int64(count)) }
    func refusedDownload(_ reason: String, count: Int) { downloadRefused[reason]?.increment(by: Int64(count)) }
    func disconnected(_ reason: String) { disconnects[reason]?.increment() }
    func banned(_ reason: String) { bans[reason]?.increment() }
    func dialed(_ result: String) { dials[result]?.increment() }
    func rejectedInbound(_ reason: String) { rejected[reason]?.increment() }
    func refusedAddress(_ source: PeerRecord.Source) { refusedAddresses[source.name]?.increment() }
}
