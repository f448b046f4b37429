import KeelCore

extension API {
    /// `GET /health`: the process answers and its store is open (liveness, not readiness).
    public struct Health: Codable, Sendable, Equatable {
        /// Always `ok` in a 200.
        public let status: String
        /// `starting`, `reindexing`, `running` or `stopping`.
        public let phase: String
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(status: String, phase: String) {
            self.status = status
            self.phase = phase
        }
    }

    /// `GET /ready`: 200 when the node can serve, 503 with the reasons when it cannot.
    public struct Ready: Codable, Sendable, Equatable {
        /// Whether `reasons` is empty.
        public let ready: Bool
        /// The node's phase.
        public let phase: String
        /// In words, e.g. "no peers" or "still syncing".
        public let reasons: [String]
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(ready: Bool, phase: String, reasons: [String]) {
            self.ready = ready
            self.phase = phase
            self.reasons = reasons
        }
    }

    /// `GET /v1/mining`, and what starting or stopping the miner leaves.
    public struct Mining: Codable, Sendable, Equatable {
        /// Whether worker threads run.
        public let active: Bool
        /// Worker threads (0 when stopped).
        public let threads: Int
        /// Hashes tried since the node started (a counter: it survives stop and start).
        public let hashesTotal: UInt64
        /// The address coinbases pay; absent when none is set.
        public let payTo: String?
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(active: Bool, threads: Int, hashesTotal: UInt64, payTo: String?) {
            self.active = active
            self.threads = threads
            self.hashesTotal = hashesTotal
            self.payTo = payTo
        }
    }

    /// `POST /v1/mining/stop`: the state once every worker has exited.
    public struct MiningStopped: Codable, Sendable, Equatable {
        /// The miner after the stop.
        public let mining: Mining
        /// From the request to the last worker's exit.
        public let stopSeconds: Double
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(mining: Mining, stopSeconds: Double) {
            self.mining = mining
            self.stopSeconds = stopSeconds
        }
    }

    /// `POST /v1/mining/start`; a missing body starts one thread.
    public struct MiningStartBody: Codable, Sendable, Equatable {
        /// 1 to 256.
        public let threads: Int?
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(threads: Int?) { self.threads = threads }
    }

    /// `GET /v1/status`.
    public struct Status: Codable, Sendable, Equatable {
        /// What the mempool holds.
        public struct Mempool: Codable, Sendable, Equatable {
            /// Transactions waiting.
            public let transactions: Int
            /// Their encoded size.
            public let bytes: Int
            /// Memberwise; nothing is checked here (the handler checks before it builds one).
            public init(transactions: Int, bytes: Int) {
                self.transactions = transactions
                self.bytes = bytes
            }
        }
        /// `dev`, `test` or `main`.
        public let network: String
        /// `0.1.0 (commit …)`.
        public let version: String
        /// `starting`, `reindexing`, `running` or `stopping`.
        public let phase: String
        /// The active chain's tip.
        public let height: UInt64, tip: String
        /// The tip block's timestamp, ms since the epoch.
        public let tipTimestamp: UInt64
        /// Connected peers, both directions.
        public let peers: Int
        /// The mempool's size now.
        public let mempool: Mempool
        /// The miner.
        public let mining: Mining
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(
            network: String, version: String, phase: String, height: UInt64, tip: String, tipTimestamp: UInt64, peers: Int,
            mempool: Mempool, mining: Mining
        ) {
            (self.network, self.version, self.phase) = (network, version, phase)
            (self.height, self.tip, self.tipTimestamp) = (height, tip, tipTimestamp)
            (self.peers, self.mempool, self.mining) = (peers, mempool, mining)
        }
    }

    /// `POST /v1/backup {"to": "/abs/dir"}`: where the online backup goes (a new directory on the
    /// node's machine, whose parent exists).
    public struct BackupBody: Codable, Sendable, Equatable {
        /// Absolute, at most 4096 bytes.
        public let to: String
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(to: String) { self.to = to }
    }

    /// What a backup holds, read back from the copy itself (the same fields as its
    /// `backup.json`).
    public struct Backup: Codable, Sendable, Equatable {
        /// The backup's directory.
        public let path: String
        /// The copied store's network.
        public let network: String
        /// The copy's tip, and its UTXO set hash as `keel chain info` prints it.
        public let height: UInt64, tip: String, utxoHash: String
        /// Whether the miner key was copied beside it.
        public let minerKey: Bool
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(path: String, network: String, height: UInt64, tip: String, utxoHash: String, minerKey: Bool) {
            (self.path, self.network) = (path, network)
            (self.height, self.tip, self.utxoHash, self.minerKey) = (height, tip, utxoHash, minerKey)
        }
    }
}
