import Hummingbird
import KeelAPIModels
import KeelChain
import KeelCore

extension Handlers {
    func submitTransaction(_ body: API.HexBody) throws -> API.Txid {
        let chain = try chain()
        let tx = try decodeHex(body, as: Transaction.self, what: "transaction")
        return API.Txid(txid: try chain.submitTransaction(tx).hex)
    }

    func submitBlock(_ body: API.HexBody) throws -> API.SubmittedBlock {
        let chain = try chain()
        let block = try decodeHex(body, as: Block.self, what: "block")
        let result = try chain.submit(block, origin: .api)
        return API.SubmittedBlock(hash: result.hash.hex, height: result.height, status: result.status.rawValue)
    }

    func startMining(_ body: API.MiningStartBody) throws -> API.Mining {
        let threads = body.threads ?? 1
        guard (1...256).contains(threads) else {
            throw APIError.badRequest("bad_threads", "threads must be from 1 to 256")
        }
        _ = try chain()
        return try backend.startMining(threads: threads)
    }

    func stopMining() -> API.MiningStopped {
        let (status, seconds) = backend.stopMining()
        return API.MiningStopped(mining: status, stopSeconds: seconds)
    }
}
