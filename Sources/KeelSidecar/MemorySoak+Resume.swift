import Foundation
import KeelClient
import KeelFiles
import KeelWallet

extension MemorySoak {
    /// What a memory soak keeps in `soak.json` so that a later sidecar process, given the same
    /// `--report-dir`, carries on where it stopped: when it started, and the options it runs with.
    struct State: Codable, Sendable {
        var startedAt: Double
        var duration: Double
        var warmup: Double
        var maxGrowth: Double
        var interval: Double
        var nodeArguments: [String]
    }

    /// Where a run starts: a fresh soak, or one resumed with its earlier samples.
    struct Start {
        var state: State
        var samples: [Sample]
        var wallet: Wallet
        var passphrase: String
        var segment: Int
    }

    /// Starts a new soak in `options.directory`, or resumes the one already there (unfinished,
    /// same options). Throws a message saying why when a soak there cannot be resumed.
    static func prepare(_ o: Options) throws -> Start {
        let dir = o.directory
        let stateFile = dir + "/soak.json", passFile = dir + "/wallet.passphrase", walletPath = dir + "/wallet.json"
        guard FileManager.default.fileExists(atPath: stateFile) else {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let passphrase = "soak-" + Outbox.newID()
            // The passphrase guards a throwaway dev wallet; it is kept (0600) only so a resumed
            // soak can keep paying from it.
            guard FileManager.default.createFile(atPath: passFile, contents: Data(passphrase.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw SidecarError(.storage, "cannot write \(passFile)")
            }
            let wallet = try Wallet.create(path: walletPath, network: .dev, passphrase: passphrase, logN: 10)
            let state = State(
                startedAt: Date().timeIntervalSince1970, duration: o.duration, warmup: o.warmup, maxGrowth: o.maxGrowth,
                interval: o.interval, nodeArguments: o.nodeArguments)
            try JSONEncoder().encode(state).write(to: URL(fileURLWithPath: stateFile))
            return Start(state: state, samples: [], wallet: wallet, passphrase: passphrase, segment: 0)
        }
        func refuse(_ why: String) -> SidecarError {
            SidecarError(.soakFailed, "cannot resume the memory soak in \(dir): \(why); pass another --report-dir to start a new one")
        }
        guard !FileManager.default.fileExists(atPath: dir + "/report.json") else { throw refuse("it has finished (report.json is there)") }
        let state: State
        do {
            state = try JSONDecoder().decode(State.self, from: Data(contentsOf: URL(fileURLWithPath: stateFile)))
        } catch {
            throw refuse("soak.json is unreadable (\(error.localizedDescription))")
        }
        guard state.duration == o.duration, state.maxGrowth == o.maxGrowth, state.warmup == o.warmup, state.nodeArguments == o.nodeArguments else {
            throw refuse(
                String(
                    format: "it runs with --duration %@ --warmup %@ --max-growth %.4g and node arguments [%@]; give the same options",
                    SidecarDuration.format(state.duration), SidecarDuration.format(state.warmup), state.maxGrowth,
                    state.nodeArguments.joined(separator: " ")))
        }
        let pass: Data, wallet: Wallet
        do {
            pass = try Data(contentsOf: URL(fileURLWithPath: passFile))
            wallet = try Wallet.open(path: walletPath)
        } catch {
            throw refuse("its wallet (wallet.json, wallet.passphrase) is missing or unreadable (\(error))")
        }
        var samples = [Sample]()
        let text: String?
        do {
            text = try TextFile.readIfPresent(dir + "/samples.jsonl")
        } catch {
            throw refuse("samples.jsonl is unreadable (\(error.localizedDescription))")
        }
        if let text {
            let decoder = JSONDecoder()
            // A torn last line (the sidecar killed mid-write) is dropped; every other line must read.
            let lines = text.split(separator: "\n")
            for (i, line) in lines.enumerated() {
                do {
                    samples.append(try decoder.decode(Sample.self, from: Data(line.utf8)))
                } catch {
                    if i != lines.count - 1 { throw refuse("samples.jsonl line \(i + 1) is unreadable") }
                }
            }
        }
        let segment = (samples.compactMap(\.segment).max() ?? -1) + 1
        return Start(state: state, samples: samples, wallet: wallet, passphrase: String(decoding: pass, as: UTF8.self), segment: segment)
    }

    /// Waits until no process holds the node's data directory (the node of a killed sidecar
    /// dies with it, but may take a moment); throws if one still does after `timeout` seconds.
    static func waitForDataDirectory(_ directory: String, timeout: Double = 30) async throws {
        let lockFile = directory + "/keel.lock"
        let deadline = Monotonic.seconds() + timeout
        while true {
            let fd = open(lockFile, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return }  // never started: nothing holds it
            let free = flock(fd, LOCK_SH | LOCK_NB) == 0
            close(fd)
            if free { return }
            guard Monotonic.seconds() < deadline else {
                let holder: String
                do {
                    holder = try TextFile.readIfPresent(lockFile) ?? "unknown"
                } catch {
                    holder = "unknown"  // only the message below names it
                }
                throw SidecarError(.soakFailed, "cannot resume: a node (pid \(holder)) still runs on \(directory); stop it and run the soak again")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Bytes the files under `path` hold.
    static func directoryBytes(_ path: String) -> Double {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total = 0.0
        while let name = walker.nextObject() as? String {
            do {
                total += (try FileManager.default.attributesOfItem(atPath: path + "/" + name)[.size] as? NSNumber)?.doubleValue ?? 0
            } catch {
                continue  // deleted since the listing (RocksDB drops tables as it compacts)
            }
        }
        return total
    }

    /// Free bytes on the file system holding `path`.
    static func freeBytes(_ path: String) -> Double? {
        do {
            return (try FileManager.default.attributesOfFileSystem(forPath: path)[.systemFreeSize] as? NSNumber)?.doubleValue
        } catch {
            return nil  // unknown: the soak goes on, as it did before it could ask
        }
    }
}
