import KeelStorage

/// What the node does about its store's writes, as a plain state machine: given the time, the
/// free space and the write gate's state, it says when to pause writes for space, when to tell
/// the operator (once per outage), when to probe whether writes work again, and when to give up
/// so the supervisor restarts the node (reopening RocksDB clears an error it keeps).
public struct StorageWatch: Sendable {
    /// What to do.
    public enum Action: Equatable, Sendable {
        /// Close the gate: free space is under the floor.
        case pauseForSpace(String)
        /// Writes just stopped: log once, stop the miner, mark not ready.
        case announce(WriteGate.Pause)
        /// Try one synced write past the gate.
        case probe
        /// Writes have failed for too long with space available: exit non-zero.
        case giveUp(String)
    }

    /// Free bytes below which writes pause (and the node will not start).
    public let floor: UInt64
    /// Seconds between probes.
    public var probeInterval: Double = 5
    /// Seconds of failing probes, with space available, before giving up.
    public var giveUpAfter: Double = 60

    private var announced = false
    private var failingSince: Double?
    private var lastProbe = -Double.infinity

    /// A watch that keeps `floor` bytes free.
    public init(floor: UInt64) { self.floor = floor }

    /// Free space needed before a pause for space ends: a quarter above the floor, so a disk
    /// hovering at the floor does not flap.
    public var resumeAt: UInt64 { floor + floor / 4 }

    /// One look, every second or so.
    public mutating func step(now: Double, free: UInt64?, pause: WriteGate.Pause?) -> [Action] {
        guard let pause else {
            if let free, free < floor {
                return [
                    .pauseForSpace(
                        String(
                            format: "only %.1f MiB free on the disk holding the data directory (the node keeps %.1f MiB free for RocksDB)",
                            Double(free) / 1_048_576, Double(floor) / 1_048_576))
                ]
            }
            return []
        }
        var actions = [Action]()
        if !announced {
            announced = true
            actions.append(.announce(pause))
        }
        let roomToTry = pause.code != .noSpace || (free ?? 0) >= resumeAt
        guard roomToTry else {
            failingSince = nil
            return actions
        }
        if failingSince == nil { failingSince = now }
        if now - failingSince! >= giveUpAfter {
            actions.append(.giveUp(String(format: "writes have failed for %.0f s with space available: %@", now - failingSince!, pause.reason)))
        } else if now - lastProbe >= probeInterval {
            lastProbe = now
            actions.append(.probe)
        }
        return actions
    }

    /// A probe write succeeded: the outage is over.
    public mutating func recovered() {
        announced = false
        failingSince = nil
        lastProbe = -Double.infinity
    }
}
