import KeelCore
import KeelStorage

/// Connecting a branch block by block, each block's signatures checked on other threads while
/// the importer validates the next block's inputs (issue 17: a block of 1,000 transactions
/// spent half its time in signature checks with the importer thread waiting).
extension ChainState {
    /// What a block's signature checks found: the first failing job, if any, and their seconds.
    struct SignatureOutcome: Sendable {
        let failure: Int?
        let seconds: Double
    }

    /// A block validated but for its signatures, whose checks are running; once added to its
    /// group it stays there on trust until they return.
    struct Prepared {
        let member: ConnectGroup.Member
        /// Submitted now (its failure is reported), not read back for a reorg.
        let submitted: Bool
        let check: BackgroundResult<SignatureOutcome>
        let unsigned: BlockValidation.Unsigned
    }

    /// The block that broke a rule, ending its branch's connection.
    struct Rejected {
        let entry: HeaderIndex.Entry
        let submitted: Bool
        let failure: ConsensusError
    }

    /// Validates `entry`'s block on top of the group (the tip and the blocks the group holds)
    /// and starts its signature checks. A just-submitted block comes `checked`; one read back
    /// from the store (during a reorg) is checked again, which also yields its txids.
    func prepare(_ entry: HeaderIndex.Entry, checked: Checked?, origin: Origin, over group: ConnectGroup, _ s: State) throws -> Prepared {
        let started = MonotonicTime.now()
        let block: Block, txids: [Hash256]
        if let checked {
            (block, txids) = (checked.block, checked.txids)
        } else {
            guard let stored = try store.block(entry.hash) else {
                throw ChainError(.inconsistent, "the body of block \(entry.hash) at height \(entry.height) is missing")
            }
            (block, txids) = (stored, try ConsensusRules.checkStructure(stored, network: network))
        }
        let unsigned = try BlockValidation.checkInputs(block, txids: txids, view: try group.view(for: block, over: store), network: network)
        let check = checkSignatures(unsigned.signatureJobs)
        var leaving = Set<Hash256>()
        for (i, tx) in block.transactions.enumerated() {
            if s.mempool.contains(txids[i]) { leaving.insert(txids[i]) }
            for input in tx.inputs {
                if let other = s.mempool.spender(of: input.previous) { leaving.insert(other) }
            }
        }
        let member = ConnectGroup.Member(
            entry: entry, block: block, txids: txids, origin: origin, validationSeconds: MonotonicTime.seconds(since: started),
            signatureSeconds: 0, leaving: leaving)
        return Prepared(member: member, submitted: checked != nil, check: check, unsigned: unsigned)
    }

    /// Starts `jobs` on the pool; a batch too small to go parallel is checked at once (handing
    /// it over would cost more than it saves).
    private func checkSignatures(_ jobs: [SignatureJob]) -> BackgroundResult<SignatureOutcome> {
        let verifier = self.verifier
        let run: @Sendable () -> SignatureOutcome = {
            let started = MonotonicTime.now()
            let failure = verifier.verify(jobs)
            return SignatureOutcome(failure: failure, seconds: MonotonicTime.seconds(since: started))
        }
        return verifier.mode(for: jobs.count) == .parallel ? BackgroundResult(onPool: run) : BackgroundResult(value: run())
    }

    /// Waits for the trusted block's signatures. Verified: it stays in the group, and a full
    /// group starts its write in the background when `more` blocks follow to validate meanwhile;
    /// otherwise the caller writes it at once. (A sync's batch of 64 small blocks fills exactly
    /// one group: its write went to a new thread only for the importer to wait for it, and each
    /// thread cost its creation, faults on its stack and, at its exit, an madvise whose TLB
    /// shootdown interrupts the other core. keel-bench sync's in-process import of 10,000
    /// blocks: 0.38-0.58 s before, 0.31-0.38 s after.)
    /// Failed: it leaves the group and is returned as the invalid block.
    func resolve(_ trusted: inout Prepared?, _ group: inout ConnectGroup, _ s: inout State, more: Bool) throws -> Rejected? {
        guard let current = trusted else { return nil }
        trusted = nil
        let outcome = current.check.wait()
        if let failed = outcome.failure {
            group.dropLast()
            let failure = current.unsigned.error(forFailedJob: failed) ?? ConsensusError(.badSignature, "a signature does not verify")
            return Rejected(entry: current.member.entry, submitted: current.submitted, failure: failure)
        }
        group.recordSignatures(seconds: outcome.seconds)
        if group.isFull, more { try commit(&group, &s, finishing: false) }
        return nil
    }
}
