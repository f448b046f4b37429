import KeelCore
import Testing

@Suite("progress for people watching long work")
struct ProgressMeterTests {
    @Test("a report at most every interval, with the rate since the last one and the time left at that rate")
    func reports() throws {
        var meter = ProgressMeter(interval: 10, now: 100)
        #expect(meter.update(done: 500, total: 3_000, now: 105) == nil)
        let first = meter.update(done: 1_000, total: 3_000, now: 110)
        let report = try #require(first)
        #expect(report.rate == 100 && report.eta == 20)
        #expect(report.line(unit: "blocks") == "1,000/3,000 blocks (33%), 100 blocks/s, ETA 20s")
        #expect(report.bar(width: 10) == "[###.......]")
        #expect(meter.update(done: 1_100, total: 3_000, now: 115) == nil)
        let last = meter.update(done: 3_000, total: 3_000, now: 116, force: true)
        let end = try #require(last)
        #expect(end.fraction == 1 && end.eta == 0)
        #expect(ProgressMeter.duration(200) == "3m 20s" && ProgressMeter.duration(7_500) == "2h 5m")
        #expect(ProgressMeter.grouped(1_234_567) == "1,234,567" && ProgressMeter.grouped(12) == "12")
    }
}
