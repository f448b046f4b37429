import KeelCore

extension ChainState {
    /// A block template on the current tip paying `payTo`: coinbase (subsidy plus fees) then
    /// mempool transactions by fee rate while they fit. Cached until the tip or the mempool
    /// changes, so miners and the API share one build.
    public func blockTemplate(payTo: AddressHash) throws -> BlockTemplate {
        let started = MonotonicTime.now()
        let (template, cached) = try state.withLock { s in
            if let cached = s.template, cached.payTo == payTo, cached.template.generation == s.generation {
                return (cached.template, true)
            }
            return (try build(payTo: payTo, &s), false)
        }
        observer.onTemplate?(cached, MonotonicTime.seconds(since: started))
        return template
    }

    private func build(payTo: AddressHash, _ s: inout State) throws -> BlockTemplate {
        let context = try s.index.context(of: s.tip, network: network)
        let height = s.tip.height + 1
        var selected = [Transaction]()
        var txids = [Hash256]()
        var fees = Amount.zero
        var size = BlockHeader.encodedSize + 16 + 64
        for entry in s.mempool.byFeeRate where size + entry.size <= network.maxBlockSize {
            selected.append(entry.tx)
            txids.append(entry.txid)
            fees = fees.adding(entry.fee) ?? fees
            size += entry.size
        }
        let reward = network.subsidy(at: height).adding(fees) ?? network.subsidy(at: height)
        let coinbase = Transaction.coinbase(height: height, amount: reward, to: payTo)
        let minimum = context.medianTimePast + 1
        let header = BlockHeader(
            height: height, previousHash: s.tip.hash,
            merkleRoot: Merkle.root([coinbase.txid] + txids),
            timestamp: max(clock.nowMilliseconds(), minimum),
            target: context.nextTarget(network: network))
        let template = BlockTemplate(
            header: header, transactions: [coinbase] + selected, generation: s.generation,
            minimumTimestamp: minimum, fees: fees)
        s.template = (payTo, template)
        return template
    }
}
