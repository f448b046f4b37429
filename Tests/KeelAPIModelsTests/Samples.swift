import KeelAPIModels
import KeelCore

/// One value of each body, with every optional field filled, so that a field the document names
/// and the model lacks (or the reverse) shows.
enum Samples {
    static let amount = API.Amount(Amount(units: 22_662_500_000))
    static let mining = API.Mining(active: true, threads: 2, hashesTotal: 1_000, payTo: "tkeel1qexample")
    static let transaction: API.Transaction = {
        let key = [UInt8](repeating: 7, count: 32)
        let tx = Transaction(
            inputs: [TxInput(previous: OutPoint(txid: Hash256.zero, index: 1), publicKey: key, signature: [UInt8](repeating: 1, count: 64))],
            outputs: [TxOutput(amount: Amount(units: 5_000), addressHash: AddressHash(publicKey: key))])
        return API.Transaction(tx, network: .dev)
    }()
    static let hash = String(repeating: "ab", count: 32)
    static let peer = API.Peer(
        id: 1, direction: "outbound", remoteAddress: "127.0.0.1:18444", listenAddress: "127.0.0.1:18444", userAgent: "keel/0.1.0",
        bestHeight: 12, pingSeconds: 0.01, score: 100, connectedSeconds: 3)
    static let bundle = API.PeerBundle(
        network: "dev", genesis: hash, exportedAt: 1,
        peers: [.init(address: "127.0.0.2:18444", source: "self", lastSeen: 1, lastSuccess: 2)])

    static let responses: [String: any Encodable & Sendable] = [
        "GET /health": API.Health(status: "ok", phase: "running"),
        "GET /ready": API.Ready(ready: false, phase: "running", reasons: ["no peers"]),
        "GET /v1/status": API.Status(
            network: "dev", version: "0.1.0", phase: "running", height: 3, tip: hash, tipTimestamp: 1, peers: 1,
            mempool: .init(transactions: 1, bytes: 200), mining: mining),
        "GET /v1/blocks/{id}": API.Block(
            hash: hash, height: 3, previousHash: hash, merkleRoot: hash, timestamp: 1, target: "1000", nonce: 9, size: 300,
            inActiveChain: true, confirmations: 1, transactions: [transaction]),
        "GET /v1/transactions/{txid}": API.TransactionLookup(
            status: "confirmed", blockHash: hash, blockHeight: 3, confirmations: 1, fee: amount, transaction: transaction),
        "GET /v1/addresses/{address}/balance": API.Balance(address: "tkeel1qexample", balance: amount, utxoCount: 1),
        "GET /v1/addresses/{address}/utxos": API.UTXOPage(
            address: "tkeel1qexample",
            utxos: [API.UTXO(txid: hash, index: 0, amount: amount, height: 3, coinbase: true, spendable: false, spentInMempool: false)],
            next: "\(hash):0"),
        "GET /v1/mempool": API.Mempool(
            transactions: 1, bytes: 200, entries: [.init(txid: hash, fee: amount, size: 200, feeRate: 1.5)]),
        "GET /v1/mining": mining,
        "POST /v1/mining/template": API.Template(
            height: 4, previousHash: hash, target: "1000", minimumTimestamp: 2, generation: 1, transactions: 0, fees: amount,
            payTo: "tkeel1qexample", headerHex: "00", blockHex: "00"),
        "POST /v1/transactions": API.Txid(txid: hash),
        "POST /v1/mining/start": mining,
        "POST /v1/mining/stop": API.MiningStopped(mining: mining, stopSeconds: 0.2),
        "POST /v1/mining/submit": API.SubmittedBlock(hash: hash, height: 4, status: "connected"),
        "GET /v1/peers": API.Peers(peers: [peer]),
        "GET /v1/peers/export": bundle,
        "POST /v1/peers/import": API.PeerImport(added: 1, known: 0, invalid: 0, refused: 0),
        "POST /v1/peers/connect": API.Connected(address: "127.0.0.2:18444", connected: false, error: "no handshake"),
        "POST /v1/peers/disconnect": API.Disconnected(address: "127.0.0.2:18444", closed: 1),
        "GET /v1/network/health": API.NetworkHealth(
            status: "degraded", reasons: ["1 outbound peers, below the target of 8"], listenAddress: "127.0.0.1:18444", inbound: 0,
            outbound: 1, targetOutbound: 8, addressBookSize: 3, learnedAddresses: 1, bannedHosts: 0,
            seeds: [.init(address: "127.0.0.2:18444", reachable: true, latencySeconds: 0.01, lastAttempt: 1, lastError: "refused")],
            tipHeight: 3, bestPeerHeight: 3, retryDelaySeconds: 1),
        "POST /v1/network/verify": API.Verification(steps: [API.VerifyStep(name: "address_book", passed: true, detail: "3 addresses known")]),
        "POST /v1/backup": API.Backup(path: "/tmp/b", network: "dev", height: 3, tip: hash, utxoHash: hash, minerKey: true),
    ]

    static let requests: [String: any Encodable & Sendable] = [
        "POST /v1/mining/template": API.TemplateBody(address: "tkeel1qexample"),
        "POST /v1/transactions": API.HexBody(hex: "00"),
        "POST /v1/mining/start": API.MiningStartBody(threads: 2),
        "POST /v1/mining/submit": API.HexBody(hex: "00"),
        "POST /v1/peers/import": bundle,
        "POST /v1/peers/connect": API.PeerAddressBody(address: "127.0.0.2:18444"),
        "POST /v1/peers/disconnect": API.PeerAddressBody(address: "127.0.0.2:18444"),
        "POST /v1/backup": API.BackupBody(to: "/tmp/b"),
    ]
}
