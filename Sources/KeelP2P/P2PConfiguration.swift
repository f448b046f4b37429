/// How the P2P layer listens, dials and defends itself.
public struct P2PConfiguration: Sendable {
    /// Where to listen (`nil`: do not accept connections). Port 0 picks a free one.
    public var listenHost: String?
    /// The port to listen on; 0 picks a free one (tests), and the bound address is then in `listenAddress`.
    public var listenPort: Int
    /// Addresses always kept connected (`--connect HOST:PORT`).
    public var connect: [String]
    /// Bootstrap addresses (`--seed HOST:PORT`), dialled in order with fallback.
    public var seeds: [String]
    /// Seconds a dial may take, TCP connect plus handshake (`--connect-timeout`).
    public var connectTimeout: Double
    /// Seconds between health rounds (`--health-interval`).
    public var healthInterval: Double
    /// Seconds between pings to each peer.
    public var pingInterval: Double
    /// Most inbound peers; when full, the least useful is evicted for a newcomer (`InboundPolicy`).
    public var maxInbound: Int
    /// Most inbound connections from one host (`--max-inbound-per-host`).
    public var maxInboundPerHost: Int = 8
    /// Outbound peers the node keeps dialling towards (the minimum the health loop restores).
    public var targetOutbound: Int
    /// Seconds a ban lasts.
    public var banSeconds: Double
    /// Whether to learn and share addresses (`addr`/`getaddr`).
    public var discovery: Bool
    /// On the dev network, also dial learned and imported addresses that are not loopback
    /// (`--allow-remote-peers`). Main and test dial any address regardless.
    public var allowRemotePeers: Bool
    /// Test only: learned addresses must also start with this (`DialPolicy.testPrefix`).
    public var testDialPrefix: String?

    /// Creates a configuration; the defaults are the node's.
    public init(
        listenHost: String? = "127.0.0.1", listenPort: Int = 9333, connect: [String] = [], seeds: [String] = [],
        connectTimeout: Double = 10, healthInterval: Double = 30, pingInterval: Double = 30, maxInbound: Int = 1000,
        targetOutbound: Int = 8, banSeconds: Double = 86_400, discovery: Bool = true, allowRemotePeers: Bool = false
    ) {
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.connect = connect
        self.seeds = seeds
        self.connectTimeout = connectTimeout
        self.healthInterval = healthInterval
        self.pingInterval = pingInterval
        self.maxInbound = maxInbound
        self.targetOutbound = targetOutbound
        self.banSeconds = banSeconds
        self.discovery = discovery
        self.allowRemotePeers = allowRemotePeers
    }

    /// Splits `host:port` (IPv6 in brackets); nil if it is not one.
    public static func parse(_ address: String) -> (host: String, port: UInt16)? {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]), port != 0 else {
            return nil
        }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}
