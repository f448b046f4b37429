import Hummingbird
import KeelChain
import KeelCore

extension Handlers {
    func submitTransaction(_ body: HexBody) throws -> TxidJSON {
        let chain = try chain()
        let tx = try decodeHex(body, as: Transaction.self, what: "transaction")
        return TxidJSON(txid: try chain.submitTransaction(tx).hex)
    }

    func submitBlock(_ body: HexBody) throws -> SubmittedBlockJSON {
        let chain = try chain()
        let block = try decodeHex(body, as: Block.self, what: "block")
        let result = try chain.submit(block, origin: .api)
        return SubmittedBlockJSON(hash: result.hash.hex, height: result.height, status: result.status.rawValue)
    }

    func startMining(_ body: StartBody) throws -> MiningJSON {
        let threads = body.threads ?? 1
        guard (1...256).contains(threads) else {
            throw APIError.badRequest("bad_threads", "threads must be from 1 to 256")
        }
        _ = try chain()
        return MiningJSON(try backend.startMining(threads: threads), network: network)
    }

    func stopMining() -> StopJSON {
        let (status, seconds) = backend.stopMining()
        return StopJSON(mining: MiningJSON(status, network: network), stopSeconds: seconds)
    }
}
