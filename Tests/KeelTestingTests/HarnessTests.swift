import Foundation
import KeelTesting
import Testing

@Suite("The process harness: artifacts kept on failure, deadlines that say what they waited for")
struct HarnessTests {
    @Test("a failed scope keeps its data directory and writes each process's output to a log it names")
    func failedScopeKeepsEverything() async throws {
        var kept = ""
        let (result, line) = await TestArtifacts.withScope("harness failure") { _ async throws -> Void in
            let dir = TemporaryDirectory("artifact")
            kept = dir.path
            try "state".write(toFile: dir.appending("data"), atomically: true, encoding: .utf8)
            let echo = try ChildProcess("/bin/sh", ["-c", "echo first line; echo second line"])
            _ = await echo.waitForExit(timeout: 10)
            try await Poll.until("the output to end", timeout: 10) { echo.outputClosed }
            throw PollTimeout(what: "something that never came")
        }
        if case .success = result { Issue.record("the body's throw was lost") }
        let text = try #require(line, "a failed scope names what it kept")
        #expect(text.contains(kept), "\(text)")
        #expect(FileManager.default.fileExists(atPath: kept + "/data"), "the data directory survives the failure")
        let logs = try #require(text.split(separator: " ").map(String.init).first { $0.contains("keel-failed-harness") })
        let files = try FileManager.default.contentsOfDirectory(atPath: logs.trimmingCharacters(in: CharacterSet(charactersIn: ";")))
        let log = try #require(files.first { $0.hasPrefix("sh-") && $0.hasSuffix(".log") }, "\(files)")
        let content = try String(contentsOfFile: logs.trimmingCharacters(in: CharacterSet(charactersIn: ";")) + "/" + log, encoding: .utf8)
        #expect(content == "first line\nsecond line\n")
        try FileManager.default.removeItem(atPath: kept)
        try FileManager.default.removeItem(atPath: logs.trimmingCharacters(in: CharacterSet(charactersIn: ";")))
    }

    @Test("a passing scope removes its directories, whether released before or after it ends")
    func passingScopeCleansUp() async throws {
        var early = "", late = ""
        var survivor: TemporaryDirectory?
        let (result, line) = await TestArtifacts.withScope("harness success") { _ async throws -> Void in
            let dir = TemporaryDirectory("artifact")
            early = dir.path
            survivor = TemporaryDirectory("artifact")
            late = survivor!.path
        }
        if case .failure(let error) = result { Issue.record(error) }
        #expect(line == nil)
        #expect(!FileManager.default.fileExists(atPath: early))
        #expect(FileManager.default.fileExists(atPath: late), "still referenced: not removed yet")
        survivor = nil
        #expect(!FileManager.default.fileExists(atPath: late), "removed on release, the test having passed")
    }

    @Test("Poll.until throws a timeout naming what it waited for, the deadline and the last value")
    func pollNamesTheLastValue() async throws {
        var samples = 0
        do {
            try await Poll.until(
                "the counter to reach 1000", timeout: 0.2, interval: 0.01,
                value: { () -> Int in
                    samples += 1
                    return samples
                }, satisfies: { $0 >= 1000 })
            Issue.record("it cannot have reached 1000")
        } catch let timeout as PollTimeout {
            #expect(timeout.description.hasPrefix("timed out after "))
            #expect(timeout.description.contains("waiting for the counter to reach 1000 (last value: \(samples))"), "\(timeout)")
        }
        let value = try await Poll.until(
            "a value over 3", timeout: 5, interval: 0.001,
            value: { () -> Int in
                samples += 1
                return samples
            }, satisfies: { $0 > 3 })
        #expect(value == samples)
    }

    @Test("a child is in a process group of its own and is killed when the test runner dies")
    func childrenDieWithTheRunner() async throws {
        let child = try ChildProcess("/bin/sleep", ["300"])
        defer { child.send(SIGKILL) }
        let stat = try String(contentsOfFile: "/proc/\(child.pid)/stat", encoding: .utf8)
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        #expect(Int32(fields[2]) == child.pid, "its process group is its own")

        // A runner that dies: an exit test is a child runner process; the sleep it starts must
        // not outlive it.
        let result = try await #require(
            processExitsWith: .failure, observing: [\.standardOutputContent],
            performing: {
                let orphan = try ChildProcess("/bin/sleep", ["300"])
                print("pid \(orphan.pid)")
                fflush(nil)
                abort()
            })
        let text = String(decoding: result.standardOutputContent, as: UTF8.self)
        let pid = try #require(text.split(separator: "\n").first { $0.hasPrefix("pid ") }.flatMap { Int32($0.dropFirst(4)) }, "\(text)")
        try await Poll.until("the runner's child \(pid) to die with it", timeout: 10) {
            // Gone, or a zombie waiting for init: either way not running.
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            return stat.contains(") Z ")
        }
    }
}
