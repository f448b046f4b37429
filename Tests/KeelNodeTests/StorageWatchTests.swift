import KeelNode
import KeelStorage
import KeelTesting
import Testing

@Suite("The storage watch: pause for space, say it once, probe, resume, give up", .ownThread, .keepsArtifacts)
struct StorageWatchTests {
    let floor: UInt64 = 30 << 20

    @Test("free space under the floor pauses writes before RocksDB fails; resuming waits for a quarter above it")
    func lowSpace() {
        var watch = StorageWatch(floor: floor)
        #expect(watch.step(now: 0, free: floor + 1, pause: nil).isEmpty)
        let first = watch.step(now: 1, free: floor - 1, pause: nil)
        guard case .pauseForSpace(let reason)? = first.first else { Issue.record("no pause: \(first)"); return }
        #expect(reason.contains("MiB free"))
        let pause = WriteGate.Pause(code: .noSpace, reason: reason, preemptive: true)
        #expect(watch.step(now: 2, free: floor - 1, pause: pause) == [.announce(pause)])
        #expect(watch.step(now: 3, free: floor + 1, pause: pause).isEmpty, "at the floor is not room enough")
        #expect(watch.step(now: 400, free: floor - 1, pause: pause).isEmpty, "a full disk waits for the operator, however long")
        #expect(watch.step(now: 401, free: watch.resumeAt, pause: pause) == [.probe])
        #expect(watch.step(now: 402, free: watch.resumeAt, pause: pause).isEmpty, "probes 5 s apart")
        #expect(watch.step(now: 406, free: watch.resumeAt, pause: pause) == [.probe])
        watch.recovered()
        #expect(watch.step(now: 407, free: watch.resumeAt, pause: nil).isEmpty)
        #expect(watch.step(now: 408, free: floor - 1, pause: nil).count == 1, "a second outage is announced again")
    }

    @Test("an I/O error is announced once, probed every 5 s, and given up after a minute of failing probes")
    func ioError() {
        var watch = StorageWatch(floor: floor)
        let pause = WriteGate.Pause(code: .io, reason: "RocksDB refused a write", preemptive: false)
        #expect(watch.step(now: 0, free: floor * 10, pause: pause) == [.announce(pause), .probe])
        var probes = 1, gaveUp: Double?
        for t in stride(from: 1.0, through: 70, by: 1) {
            for action in watch.step(now: t, free: floor * 10, pause: pause) {
                if action == .probe { probes += 1 }
                if case .giveUp = action { gaveUp = gaveUp ?? t }
                #expect(action != StorageWatch.Action.announce(pause), "said once")
            }
        }
        #expect(probes == 12)
        #expect(gaveUp == 60)
    }
}
