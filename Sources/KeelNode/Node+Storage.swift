import KeelStorage
import Logging

#if canImport(Glibc)
    import Glibc
#endif

extension Node {
    /// Free bytes on the filesystem holding `path`, as an unprivileged process may use them.
    /// A directory not made yet is measured by the nearest one above it that exists.
    static func freeBytes(_ path: String) -> UInt64? {
        var info = statvfs()
        var probe = path
        while statvfs(probe, &info) != 0 {
            guard errno == ENOENT, let slash = probe.lastIndex(of: "/"), slash != probe.startIndex else { return nil }
            probe = String(probe[..<slash])
        }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    /// The floor under which writes pause and the node will not start.
    var freeSpaceFloor: UInt64 { configuration.storageMemory.freeSpaceFloor }

    /// Refuses to start with less free space than the floor: RocksDB would fail its first flush.
    static func checkFreeSpace(_ directory: String, floor: UInt64) throws {
        guard let free = freeBytes(directory), free < floor else { return }
        throw StorageError(
            .noSpace,
            String(
                format:
                    "only %.1f MiB free on the disk holding %@; the node needs at least %.1f MiB free to start. Free some space (or move the data directory) and start again",
                Double(free) / 1_048_576, directory, Double(floor) / 1_048_576))
    }

    /// One look at the store's writes (every second, from `NodeService`): pauses them before the
    /// disk is full, tells the operator once, stops and later resumes the miner, probes every
    /// few seconds, and throws when writes cannot come back without a restart.
    func watchStorage(now: Double) throws {
        let gate = store.writeGate
        let free = Node.freeBytes(configuration.dataDirectory)
        if let free { metrics.storageFreeBytes.set(to: Double(free)) }
        metrics.storageFreeFloorBytes.set(to: Double(freeSpaceFloor))
        metrics.storageWriteFailures.update(total: UInt64(gate.failures))
        for (family, count) in store.droppedRecords {
            metrics.recordsDropped[family.rawValue]?.update(total: UInt64(count))
            let logged = droppedLogged.withLock { seen in
                defer { seen[family] = count }; return seen[family] ?? 0
            }
            if count > logged {
                logger.warning(
                    "skipped and deleted damaged records: they hold only hints (addresses, unconfirmed transactions) and are learned again",
                    metadata: ["column_family": "\(family.rawValue)", "count": "\(count - logged)"])
            }
        }
        let actions = storageWatch.withLock { $0.step(now: now, free: free, pause: gate.pause) }
        defer { metrics.storageWritable.set(to: gate.pause == nil ? 1 : 0) }
        for action in actions {
            switch action {
            case .pauseForSpace(let reason):
                gate.pauseForSpace(reason)
            case .announce(let pause):
                let before = miningStatus()
                _ = stopMining()
                let threads = before.active ? before.threads : 0
                pausedMiningThreads.withLock { $0 = max($0, threads) }
                logger.error(
                    "writes paused: the node takes no blocks or transactions and does not mine until they work again; it retries every 5 s",
                    metadata: ["reason": "\(pause.reason)", "mining_threads_stopped": "\(threads)"])
            case .probe:
                do {
                    try store.probeWrite()
                    gate.reopen()
                    storageWatch.withLock { $0.recovered() }
                    let threads = pausedMiningThreads.withLock { t in
                        defer { t = 0 }; return t
                    }
                    if threads > 0 {
                        do {
                            _ = try startMining(threads: threads)
                        } catch {
                            logger.warning("mining did not restart after the pause", metadata: ["error": "\(error)"])
                        }
                    }
                    logger.notice("writes work again; taking blocks and transactions", metadata: ["mining_threads": "\(threads)"])
                } catch {
                    logger.debug("writes still fail", metadata: ["error": "\(error)"])
                }
            case .giveUp(let reason):
                throw StorageError(
                    .io, "stopping: \(reason). A restart reopens the store; if it keeps failing, check the disk (dmesg) and the data directory's permissions")
            }
        }
    }
}

extension Node {
    /// An online backup (`POST /v1/backup`, `keel chain backup`).
    public func backup(to directory: String) throws -> ChainStore.Backup {
        let backup = try store.backup(to: directory)
        logger.notice("backup written", metadata: ["path": "\(backup.path)", "height": "\(backup.height)"])
        return backup
    }
}
