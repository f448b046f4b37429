import KeelCore
import KeelTesting

/// Random values for property tests.
extension SeededGenerator {
    mutating func hash() -> Hash256 { Hash256(bytes: bytes(32))! }
    mutating func addressHash() -> AddressHash { AddressHash(bytes: bytes(20))! }

    mutating func transaction(maxInputs: Int = 4, maxOutputs: Int = 4) -> Transaction {
        let inputs = (0..<Int.random(in: 0...maxInputs, using: &self)).map { _ in
            TxInput(
                previous: OutPoint(txid: hash(), index: UInt32.random(in: 0...9, using: &self)),
                publicKey: bytes(32), signature: bytes(64))
        }
        let outputs = (0..<Int.random(in: 1...maxOutputs, using: &self)).map { _ in
            TxOutput(amount: Amount(units: UInt64.random(in: 0...Amount.maxMoney.units, using: &self)), addressHash: addressHash())
        }
        return Transaction(
            version: UInt32.random(in: 0...3, using: &self), inputs: inputs, outputs: outputs,
            lockTime: UInt64.random(in: 0...UInt64.max, using: &self))
    }

    mutating func header() -> BlockHeader {
        BlockHeader(
            version: next() as UInt32, height: next(), previousHash: hash(), merkleRoot: hash(),
            timestamp: next(), target: CompactTarget(bits: next() as UInt32), nonce: next())
    }

    mutating func block() -> Block {
        Block(header: header(), transactions: (0..<Int.random(in: 1...5, using: &self)).map { _ in transaction() })
    }
}

/// An in-memory UTXO set for consensus tests.
struct MemoryUTXOView: UTXOView {
    var entries: [OutPoint: UTXOEntry] = [:]
    func entry(for outpoint: OutPoint) throws -> UTXOEntry? { entries[outpoint] }
}
