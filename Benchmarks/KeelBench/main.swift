// keel-bench: every figure beside its reference, measured in the same run (these machines are
// shared and noisy, so compare ratios and medians, not absolute numbers across runs).
import Foundation
import KeelCore

// `keel-bench [signatures] [commit] [balance] [shutdown] [mining] [template] [metrics] [api] [p2p] [memory] [statuspage]`
// runs a subset; no argument runs all.
let chosen = Set(CommandLine.arguments.dropFirst())
func wanted(_ name: String) -> Bool { chosen.isEmpty || chosen.contains(name) }

print("keel-bench on \(SignatureVerifier.coreCount) cores (release build)")
print("")
if wanted("signatures") { await SignatureBench.run() }
if wanted("commit") { try ChainBench.blockCommit() }
if wanted("balance") { try ChainBench.balance() }
if wanted("shutdown") { try await ShutdownBench.run() }
if wanted("mining") { try MiningBench.stopLatency() }
if wanted("template") { try MiningBench.templateCache() }
if wanted("metrics") { MiningBench.metricsRender() }
if wanted("api") { try await APIBench.run() }
if wanted("p2p") { try await P2PBench.run() }
if chosen.contains("sync") { try await P2PBench.sync() }
if wanted("memory") { try await MemoryBench.run() }
if wanted("statuspage") { try StatusPageBench.run() }
