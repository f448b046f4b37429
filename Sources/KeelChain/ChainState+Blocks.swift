import KeelCore
import KeelStorage
import Logging

extension ChainState {
    /// How much work a block's branch must show to be stored (Bitcoin Core's anti-DoS rule for
    /// blocks from peers): siblings of old blocks cost the sender one block's proof of work each
    /// but would cost us disk for good.
    public enum WorkRule: Sendable, Equatable {
        /// No rule: the miner, the API, tests.
        case none
        /// A block nobody asked for: its branch needs at least the tip's work.
        case unrequested
        /// A block asked for after its headers were checked, which proved `claimedWork` for a
        /// chain through it: that, or its own work, must come within `workMarginBlocks` of the tip.
        case requested(claimedWork: UInt256)

        var claimedWork: UInt256 {
            if case .requested(let work) = self { return work }
            return .zero
        }

        func threshold(tip: HeaderIndex.Entry) -> UInt256? {
            switch self {
            case .none: nil
            case .unrequested: tip.work
            case .requested: ChainState.threshold(tip: tip)
            }
        }

        func admits(parentWork: UInt256, header: BlockHeader, tip: HeaderIndex.Entry) -> Bool {
            guard let needed = threshold(tip: tip) else { return true }
            return max(parentWork + header.target.work, claimedWork) >= needed
        }
    }

    /// Validates and stores `block`, then moves the active chain to the branch with the most
    /// work. Throws the `ConsensusError` of the rule it breaks; an invalid block is remembered
    /// so it is never re-validated.
    ///
    /// A block under a `WorkRule` (P2P's) is stored only if its branch can soon win; otherwise
    /// it throws `ChainError.lowWork` and stores nothing.
    @discardableResult
    public func submit(_ block: Block, origin: Origin, rule: WorkRule = .none) throws -> SubmitResult {
        try submit([block], origin: origin, rules: [rule])[0].get()
    }

    /// Validates and stores `blocks` (each may build on one before it), then moves the active
    /// chain once: blocks that connect together are written in synced batches of several
    /// (`ConnectGroup`), which is what makes a sync as fast as its signature checks. One result
    /// per block, in order. A block that fails does not stop the blocks before it; blocks in
    /// `blocks` that descend from it are stored on a side branch, marked invalid with it (their
    /// result is `sideBranch`: only the invalid block's result names the broken rule).
    /// `rules` defaults to `.none` each.
    public func submit(_ blocks: [Block], origin: Origin, rules: [WorkRule]? = nil) -> [Result<SubmitResult, any Error>] {
        state.withLock { s in
            var results = [Result<SubmitResult, any Error>](repeating: .failure(ChainError(.notFound, "not submitted")), count: blocks.count)
            var stored = [Hash256: Checked]()
            var pending = [(index: Int, hash: Hash256, height: UInt64)]()
            let structures = ConsensusRules.checkStructures(blocks, network: network)
            // The blocks that pass are stored in one write: one each cost a write call and a
            // WAL record per block, a quarter of the importer's time in a sync of small blocks.
            var batch = WriteBatch()
            for (i, block) in blocks.enumerated() {
                do {
                    switch try store(block, rule: rules?[i] ?? .none, structure: structures[i], into: &batch, &s) {
                    case .known(let result):
                        results[i] = .success(result)
                    case .stored(let checked):
                        stored[checked.hash] = checked
                        pending.append((i, checked.hash, block.header.height))
                    }
                } catch {
                    results[i] = .failure(error)
                }
            }
            guard !pending.isEmpty else { return results }
            do {
                batch.setHeaderSequence(s.index.nextSequence)
                try store.write(batch, sync: false)
            } catch {
                // Indexed ahead of the write (a block's child is checked against it): taken back.
                s.index.forget(pending.map(\.hash))
                for item in pending { results[item.index] = .failure(error) }
                return results
            }
            let failures: [Hash256: ConsensusError]
            do { failures = try activateBestChain(&s, submitted: stored, origin: origin) } catch {
                for item in pending { results[item.index] = .failure(error) }
                return results
            }
            for item in pending {
                do {
                    if let failure = failures[item.hash] {
                        results[item.index] = .failure(failure)
                    } else {
                        // A block that passed its own checks but descends from one found
                        // invalid here is stored on a side branch, marked invalid with it: the
                        // fault is the invalid block's, and only its result says so.
                        // The height index is the active chain's (one read; a walk from the tip
                        // for each block of a sync's batch was quadratic in the batch).
                        let onChain = try s.tip.hash == item.hash || store.hash(atHeight: item.height) == item.hash
                        results[item.index] = .success(SubmitResult(hash: item.hash, height: item.height, status: onChain ? .connected : .sideBranch))
                    }
                } catch {
                    results[item.index] = .failure(error)
                }
            }
            return results
        }
    }

    /// What `store` did with a block.
    private enum Stored {
        /// It was known (and valid) already.
        case known(SubmitResult)
        /// It passed the context-free checks and is stored, not yet connected.
        case stored(Checked)
    }

    /// Checks a block against its parent and the rules that need no UTXO set, adds it to
    /// `batch` and to the index (the caller writes the batch, unsynced: a stored but unconnected
    /// block lost in a crash was never committed; the next synced connect flushes it with the
    /// rest of the WAL).
    ///
    /// `structure` is `checkStructure`'s result for the block, computed ahead (for several
    /// blocks at once); its error is thrown where the check stood, after the header's.
    private func store(
        _ block: Block, rule: WorkRule, structure: Result<[Hash256], ConsensusError>, into batch: inout WriteBatch, _ s: inout State
    ) throws -> Stored {
        let hash = block.hash
        if let known = try s.index.entry(hash) {
            guard known.isValid else { throw ChainError(.knownInvalid, "block \(hash) is already known to be invalid") }
            return .known(SubmitResult(hash: hash, height: known.height, status: .duplicate))
        }
        guard let parent = try s.index.entry(block.header.previousHash) else {
            throw ConsensusError(.previousHash, "previous block \(block.header.previousHash) is unknown")
        }
        guard parent.isValid else {
            throw ConsensusError(.previousHash, "previous block \(parent.hash) is invalid")
        }
        guard rule.admits(parentWork: parent.work, header: block.header, tip: s.tip) else {
            throw ChainError(.lowWork, "block \(hash) at height \(block.header.height) is on a branch with too little work to be stored")
        }
        let context = try s.index.context(of: parent, network: network)
        try ConsensusRules.checkHeader(block.header, parent: context, network: network, now: clock.nowMilliseconds())
        let txids = try structure.get()

        let record = HeaderRecord(
            header: block.header, cumulativeWork: parent.work + block.header.target.work,
            status: .valid, sequence: s.index.nextSequence)
        batch.putHeader(record, hash: hash)
        batch.putBlock(block, hash: hash)
        s.index.insert(HeaderIndex.Entry(hash: hash, record: record))
        return .stored(Checked(hash: hash, block: block, txids: txids))
    }

    /// Moves to the most-work valid branch; an equal-work branch never replaces the tip.
    /// Returns the consensus failures of submitted blocks whose connection failed.
    func activateBestChain(_ s: inout State, submitted: [Hash256: Checked], origin: Origin) throws -> [Hash256: ConsensusError] {
        var failures = [Hash256: ConsensusError]()
        var disconnected = [Transaction]()
        var changed = false
        while let best = s.index.best, best.hash != s.tip.hash, best.work > s.tip.work {
            guard let fork = try s.index.forkWithActiveChain(best, tip: s.tip) else {
                throw ChainError(.inconsistent, "no common ancestor between the tip and \(best.hash)")
            }
            var path = [HeaderIndex.Entry]()
            var cursor: HeaderIndex.Entry? = best
            while let c = cursor, c.hash != fork.hash {
                path.append(c)
                cursor = try s.index.entry(c.header.previousHash)
            }
            let depth = s.tip.height - fork.height
            if depth > 0 {
                observer.onReorg?(depth)
                logger.info("reorganizing", metadata: ["depth": "\(depth)", "fork_height": "\(fork.height)", "new_tip": "\(best.hash)"])
            }
            while s.tip.hash != fork.hash { disconnected += try disconnectTip(&s) }
            changed = true
            var group = ConnectGroup()
            // The block added last, on trust, while its signatures are checked on other
            // threads: the next block's inputs are validated meanwhile (it sees the trusted
            // block's outputs), and a group is written only once all its signatures verified.
            var trusted: Prepared?
            var invalid: Rejected?
            do {
                for entry in path.reversed() {
                    let checked = submitted[entry.hash]
                    let prepared: Prepared
                    do {
                        prepared = try prepare(entry, checked: checked, origin: checked != nil ? origin : .reorg, over: group, s)
                    } catch let failure as ConsensusError {
                        // The trusted block may be the invalid one: its failure comes first.
                        if let rejected = try resolve(&trusted, &group, &s, more: false) {
                            invalid = rejected
                        } else {
                            invalid = Rejected(entry: entry, submitted: checked != nil, failure: failure)
                        }
                        break
                    }
                    if let rejected = try resolve(&trusted, &group, &s, more: true) {
                        _ = prepared.check.wait()
                        invalid = rejected
                        break
                    }
                    group.add(prepared.member, spentEntries: prepared.unsigned.spent)
                    trusted = prepared
                }
                if invalid == nil, let rejected = try resolve(&trusted, &group, &s, more: false) { invalid = rejected }
                if let invalid {
                    // The blocks before it are valid: they are written before it is marked.
                    try commit(&group, &s, finishing: true)
                    logger.warning(
                        "invalid block", metadata: ["hash": "\(invalid.entry.hash)", "height": "\(invalid.entry.height)", "rule": "\(invalid.failure.code)"])
                    var batch = WriteBatch()
                    for marked in try s.index.invalidate(invalid.entry.hash, path: path) { batch.putHeader(marked.record, hash: marked.hash) }
                    try store.write(batch, sync: false)
                    if invalid.submitted { failures[invalid.entry.hash] = invalid.failure }
                }
            } catch {
                // A store that failed: the checks and the write in flight are waited for and
                // the write reported (it may have succeeded), so the tip in memory is the store's.
                if let trusted { _ = trusted.check.wait() }
                do { try settle(&group, &s) } catch { logger.error("a group's write failed", metadata: ["error": "\(error)"]) }
                throw error
            }
            try commit(&group, &s, finishing: true)
        }
        if changed {
            try s.index.prune(tip: s.tip)
            pruneSideBranchesIfDue(&s)
            s.generation += 1
            if !disconnected.isEmpty { try rebuildMempool(&s, adding: disconnected) }
        }
        return failures
    }

    /// A block that passed the structure checks, with the transaction ids they computed.
    struct Checked {
        let hash: Hash256
        let block: Block
        let txids: [Hash256]
    }

    /// Settles the group being written (its blocks reported committed), then writes this one:
    /// in the background while the next group is validated, or, when `finishing`, at once.
    func commit(_ group: inout ConnectGroup, _ s: inout State, finishing: Bool) throws {
        try settle(&group, &s)
        if finishing {
            if let (members, seconds) = try group.writeNow(to: store) { report(members, writeSeconds: seconds, &s) }
        } else {
            group.startWrite(to: store)
        }
    }

    /// Waits for the group being written, then reports it.
    private func settle(_ group: inout ConnectGroup, _ s: inout State) throws {
        guard let (members, seconds) = try group.finishWrite() else { return }
        report(members, writeSeconds: seconds, &s)
    }

    /// Moves the tip over written blocks and reports each as committed (not before its write
    /// returned: a crash may take back what is not yet written).
    private func report(_ members: [ConnectGroup.Member], writeSeconds seconds: Double, _ s: inout State) {
        // One write serves the group: each block is charged its share.
        let writeSeconds = seconds / Double(members.count)
        var changes = [Change]()
        changes.reserveCapacity(members.count)
        for member in members {
            for txid in member.leaving { s.mempool.remove(txid) }
            s.tip = member.entry
            s.generation += 1
            // Ten a second on dev: at debug, so an operator's journal holds the periodic progress
            // line (NodeService) instead of a flood.
            logger.debug(
                "block committed",
                metadata: [
                    "height": "\(member.entry.height)", "hash": "\(member.entry.hash)", "txs": "\(member.block.transactions.count)",
                    "origin": "\(member.origin.rawValue)",
                ])
            observer.onConnect?(
                ConnectEvent(
                    hash: member.entry.hash, height: member.entry.height, timestamp: member.block.header.timestamp, origin: member.origin,
                    transactionCount: member.block.transactions.count, seconds: member.validationSeconds + writeSeconds,
                    signatureSeconds: member.signatureSeconds, writeSeconds: writeSeconds))
            changes.append(.blockConnected(hash: member.entry.hash, height: member.entry.height, origin: member.origin))
        }
        notify(changes)
    }

    /// Adds to `batch` everything that connects `block` on top of the current tip.
    static func addConnection(to batch: inout WriteBatch, block: Block, hash: Hash256, txids: [Hash256], spent: [[UTXOEntry]]) {
        let height = block.header.height
        var undo = [UndoRecord.SpentOutput]()
        for (i, tx) in block.transactions.enumerated() {
            for (j, input) in tx.inputs.enumerated() {
                let entry = spent[i][j]
                batch.removeUTXO(input.previous, entry)
                undo.append(UndoRecord.SpentOutput(outpoint: input.previous, entry: entry))
            }
            for (n, output) in tx.outputs.enumerated() {
                batch.addUTXO(OutPoint(txid: txids[i], index: UInt32(n)), UTXOEntry(output: output, height: height, isCoinbase: i == 0))
            }
            batch.putTxLocation(TxLocation(blockHash: hash, index: UInt32(i)), txid: txids[i])
        }
        batch.putUndo(UndoRecord(spent: undo), hash: hash)
        batch.putHeight(height, hash: hash)
        batch.setTip(hash: hash, height: height)
    }

    /// Disconnects blocks (one synced batch each) until the tip is at `height`. The blocks stay
    /// stored and valid, so the next accepted block moves the chain back to the most-work branch.
    public func rewind(toHeight height: UInt64) throws {
        try state.withLock { s in
            var disconnected = [Transaction]()
            while s.tip.height > height { disconnected += try disconnectTip(&s) }
            s.generation += 1
            try rebuildMempool(&s, adding: disconnected)
        }
    }

    /// Disconnects the tip in one synced batch; returns its non-coinbase transactions.
    private func disconnectTip(_ s: inout State) throws -> [Transaction] {
        let entry = s.tip
        guard let parent = try s.index.entry(entry.header.previousHash) else {
            throw ChainError(.inconsistent, "cannot disconnect block \(entry.hash): its parent is unknown")
        }
        guard let block = try store.block(entry.hash), let undo = try store.undo(entry.hash) else {
            throw ChainError(.inconsistent, "cannot disconnect block \(entry.hash): body or undo data is missing")
        }
        var batch = WriteBatch()
        var remaining = undo.spent[...]
        // Reverse order undoes spends of outputs created earlier in the same block correctly.
        for (i, tx) in block.transactions.enumerated().reversed() {
            let txid = tx.txid
            for (n, output) in tx.outputs.enumerated() {
                batch.removeUTXO(OutPoint(txid: txid, index: UInt32(n)), UTXOEntry(output: output, height: entry.height, isCoinbase: i == 0))
            }
            let restored = remaining.suffix(tx.inputs.count)
            guard restored.count == tx.inputs.count else {
                throw ChainError(.inconsistent, "undo data of block \(entry.hash) does not match its inputs")
            }
            remaining = remaining.dropLast(tx.inputs.count)
            for item in restored { batch.addUTXO(item.outpoint, item.entry) }
            batch.deleteTxLocation(txid)
        }
        batch.deleteUndo(entry.hash)
        batch.deleteHeight(entry.height)
        batch.setTip(hash: parent.hash, height: parent.height)
        try store.write(batch, sync: true)
        s.tip = parent
        logger.debug("block disconnected", metadata: ["height": "\(entry.height)", "hash": "\(entry.hash)"])
        return block.transactions.filter { !$0.isCoinbase }
    }
}
