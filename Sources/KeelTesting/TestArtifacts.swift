import Foundation
import Synchronization
import Testing

/// What a test leaves behind for whoever reads its failure: the data directories it made and
/// the output of the processes it ran.
///
/// Inside a scope (the `.keepsArtifacts` trait, or `withScope`), a `TemporaryDirectory` is not
/// removed when released but when the scope ends, and only if the test passed; a `ChildProcess`
/// hands over its output. When the test fails, each process's output is written to a log file
/// in a directory of its own and the failure names that directory and every data directory kept.
public final class TestArtifacts: Sendable {
    /// The scope of the running test, if any.
    @TaskLocal public static var current: TestArtifacts?

    private struct State {
        var directories: [String] = []
        var outputs: [(name: String, output: ChildProcess.Output)] = []
        var failed = false
        /// nil while the test runs; then whether it failed.
        var verdict: Bool?
    }

    /// The test's name, as used in the kept directory's name.
    public let name: String
    private let state = Mutex(State())

    init(name: String) { self.name = name }

    /// Records that the test has failed (an issue was recorded or its body threw).
    public func markFailed() { state.withLock { $0.failed = true } }

    /// A directory to keep on failure, removed on success once the scope ends (at once if it
    /// has ended and the test passed).
    func keep(directory path: String) {
        let removeNow = state.withLock { s -> Bool in
            if let failed = s.verdict { return !failed }
            s.directories.append(path)
            return false
        }
        if removeNow { try? FileManager.default.removeItem(atPath: path) }
    }

    /// A process's output, written to `<name>.log` if the test fails.
    func keep(output: ChildProcess.Output, of name: String) {
        state.withLock { $0.outputs.append((name, output)) }
    }

    /// Ends the scope: on success removes the directories; on failure writes the logs and
    /// returns a line naming where everything is.
    func finish() -> String? {
        let s = state.withLock { s -> State in
            s.verdict = s.failed
            return s
        }
        guard s.failed else {
            for path in s.directories { try? FileManager.default.removeItem(atPath: path) }
            return nil
        }
        let safe = String(name.map { $0.isLetter || $0.isNumber ? $0 : "-" }.prefix(60))
        let logs = TemporaryDirectory.make("failed-\(safe)")
        for (process, output) in s.outputs {
            _ = FileManager.default.createFile(atPath: "\(logs)/\(process).log", contents: Data((output.text + "\n").utf8))
        }
        var text = "kept for inspection: logs of \(s.outputs.count) process(es) in \(logs)"
        if !s.directories.isEmpty { text += "; data in " + s.directories.joined(separator: ", ") }
        return text
    }

    /// Runs `body` in a scope named `name` (given to it, to mark failures the body does not
    /// throw); a throw counts as a failure. Returns the body's result and the line `finish`
    /// gave (nil when it passed).
    public static func withScope<T>(_ name: String, _ body: (TestArtifacts) async throws -> T) async -> (Result<T, any Error>, String?) {
        let scope = TestArtifacts(name: name)
        let result: Result<T, any Error>
        do {
            result = .success(try await $current.withValue(scope) { try await body(scope) })
        } catch {
            scope.markFailed()
            result = .failure(error)
        }
        return (result, scope.finish())
    }
}

/// Keeps a failed test's data directories and process logs and names them in the failure
/// (see `TestArtifacts`). Put it on every suite that starts processes or nodes.
public struct KeepsArtifacts: SuiteTrait, TestTrait, TestScoping {
    /// Applies to every test of the suite and its nested suites.
    public var isRecursive: Bool { true }

    /// Runs the test case in a scope that watches for failures.
    public func provideScope(
        for test: Test, testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        // Suites get a scope too, and a nested suite's trait sees its parent's: one per case.
        guard testCase != nil, TestArtifacts.current == nil else { return try await function() }
        let (result, line) = await TestArtifacts.withScope(test.name) { scope in
            // Expectation failures do not throw: watch the issues the test records.
            let watch = IssueHandlingTrait.compactMapIssues { issue in
                if issue.isFailure { scope.markFailed() }
                return issue
            }
            try await watch.provideScope(for: test, testCase: testCase, performing: function)
        }
        if let line { Issue.record(Comment(rawValue: line)) }
        try result.get()
    }
}

extension Trait where Self == KeepsArtifacts {
    /// Keeps a failed test's data and logs and names them (see `TestArtifacts`).
    public static var keepsArtifacts: Self { KeepsArtifacts() }
}
