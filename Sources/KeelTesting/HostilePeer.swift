import KeelCore
import KeelP2P
import Synchronization

/// A peer that speaks the protocol correctly and lies: it completes the handshake, then sends
/// what a test tells it to and answers `getheaders` and `getdata` from the chain it claims,
/// delivering blocks or holding them back. It connects from its own loopback source address
/// (127.0.0.x) and teaches only loopback addresses.
public final class HostilePeer: Sendable {
    /// The connection.
    public let raw: RawPeer
    /// Block hashes the node asked this peer for.
    public let requested = Mutex<Set<Hash256>>([])
    /// `getheaders` requests the node sent this peer.
    public let headerRequests = Atomic<Int>(0)

    private init(raw: RawPeer) { self.raw = raw }

    /// Connects to `address` from `source` and completes the handshake, claiming `bestHeight`.
    public static func connect(to address: String, from source: String, bestHeight: UInt64 = 0) async throws -> HostilePeer {
        let raw = try await RawPeer.connect(to: address, from: source)
        try await raw.handshake(bestHeight: bestHeight)
        return HostilePeer(raw: raw)
    }

    /// Sends one message (ignored if the node has closed the connection).
    public func send(_ message: Message) async {
        guard !raw.isClosed else { return }
        try? await raw.send(message)
    }

    /// Whether the node closed the connection.
    public var isClosed: Bool { raw.isClosed }

    /// Reads what arrived and answers it for `seconds` (or until the node hangs up): `getheaders`
    /// from `headers` (the chain it claims, in order), `getdata` from `blocks` when `deliver`,
    /// pings always (so only the lie, not silence, is what the node reacts to).
    public func serve(headers: [BlockHeader], blocks: [Hash256: Block] = [:], deliver: Bool, for seconds: Double) async {
        let index = Dictionary(headers.enumerated().map { ($0.element.hash, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline, !raw.isClosed, !Task.isCancelled {
            for message in raw.messages() {
                switch message {
                case .ping(let nonce):
                    await send(.pong(nonce))
                case .getheaders(let locator, _):
                    headerRequests.add(1, ordering: .relaxed)
                    let start = locator.lazy.compactMap { index[$0] }.first.map { $0 + 1 } ?? 0
                    await send(.headers(Array(headers[min(start, headers.count)...].prefix(Message.maxHeaders))))
                case .getdata(let items):
                    requested.withLock { set in for item in items where item.kind == .block { set.insert(item.hash) } }
                    guard deliver else { continue }
                    for item in items {
                        if let block = blocks[item.hash] { await send(.block(block)) }
                    }
                default:
                    break
                }
            }
            await Task.pause(for: .milliseconds(10))
        }
    }

    /// `count` blocks on `parent`, each a sibling of the others (a different payee each), with
    /// valid proof of work: what it costs to send them is one block's work each.
    public static func siblings(on parent: ParentContext, count: Int, network: Network = .dev) -> [Block] {
        (0..<count).map { i in BlockFactory.make(parent: parent, network: network, payTo: AddressHash(publicKey: Array("sibling \(i)".utf8))) }
    }

    /// `count` blocks whose parents nobody has, each padded to about `size` bytes, meeting the
    /// target they declare (the easiest the network allows).
    public static func orphans(count: Int, size: Int, network: Network = .dev) -> [Block] {
        (0..<count).map { i in
            let coinbase = Transaction.coinbase(height: 1_000 + UInt64(i), amount: Amount(units: 1), to: .burn)
            let filler = Transaction(
                inputs: [
                    TxInput(
                        previous: OutPoint(txid: Hash256.sha256d(Array("orphan \(i)".utf8)), index: 0),
                        publicKey: [UInt8](repeating: 1, count: 32), signature: [UInt8](repeating: 2, count: 64))
                ],
                outputs: (0..<max(1, size / 40)).map { _ in TxOutput(amount: Amount(units: 1), addressHash: .burn) })
            let transactions = [coinbase, filler]
            var header = BlockHeader(
                height: 1_000 + UInt64(i), previousHash: Hash256.sha256d(Array("nobody's parent \(i)".utf8)),
                merkleRoot: Merkle.root(transactions.map(\.txid)), timestamp: network.genesis.header.timestamp + 1_000,
                target: network.powLimit)
            while !header.target.isMet(by: header.hash) { header.nonce += 1 }
            return Block(header: header, transactions: transactions)
        }
    }

    /// A chain of `count` headers on `parent` that each declare `target` (not the one the
    /// rules give) and meet it.
    public static func forgedHeaders(on parent: ParentContext, count: Int, target: CompactTarget) -> [BlockHeader] {
        var headers = [BlockHeader]()
        var previous = parent.hash
        var timestamp = parent.timestamp
        for i in 0..<count {
            timestamp += 100
            var header = BlockHeader(
                height: parent.height + 1 + UInt64(i), previousHash: previous, merkleRoot: .zero,
                timestamp: timestamp, target: target)
            while !header.target.isMet(by: header.hash) { header.nonce += 1 }
            headers.append(header)
            previous = header.hash
        }
        return headers
    }
}
