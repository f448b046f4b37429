import Foundation

/// Headless Chromium (Debian's `chromium`) loading a page the way a person's browser would:
/// its DOM after load, the console messages it logged, and screenshots. Every run has its own
/// profile directory and a deadline; the browser is killed when it passes.
public enum Chromium {
    /// The browser's path, if installed.
    public static var path: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// What a load produced.
    public struct Load: Sendable {
        /// The serialised DOM after load.
        public var dom: String
        /// Console messages (`CONSOLE` lines of Chromium's log): errors, CSP refusals, failed loads.
        public var console: [String]
    }

    /// Loads `url` and returns its DOM and the console messages.
    public static func load(_ url: String, timeout: Double = 60) async throws -> Load {
        let directory = TemporaryDirectory("chromium")
        let domFile = directory.appending("dom.html"), logFile = directory.appending("chromium.log")
        try await run(["--dump-dom", url], directory: directory, stdout: domFile, stderr: logFile, timeout: timeout)
        let dom = (try? String(contentsOfFile: domFile, encoding: .utf8)) ?? ""
        let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        return Load(dom: dom, console: log.split(separator: "\n").map(String.init).filter { $0.contains("CONSOLE") })
    }

    /// Writes a PNG of `url` at `width`×`height` CSS pixels to `file`.
    public static func screenshot(_ url: String, to file: String, width: Int, height: Int, timeout: Double = 60) async throws {
        let directory = TemporaryDirectory("chromium")
        try await run(
            ["--screenshot=\(file)", "--window-size=\(width),\(height)", "--hide-scrollbars", url], directory: directory,
            stdout: "/dev/null", stderr: directory.appending("chromium.log"), timeout: timeout)
        guard FileManager.default.fileExists(atPath: file) else {
            let log = (try? String(contentsOfFile: directory.appending("chromium.log"), encoding: .utf8)) ?? ""
            throw ChromiumError(message: "no screenshot written to \(file): \(log.suffix(600))")
        }
    }

    /// A failed browser run.
    public struct ChromiumError: Error, CustomStringConvertible {
        /// What went wrong.
        public var message: String
        /// The message.
        public var description: String { message }
    }

    private static func run(_ arguments: [String], directory: TemporaryDirectory, stdout: String, stderr: String, timeout: Double) async throws {
        guard let path else { throw ChromiumError(message: "chromium is not installed (make deps installs it)") }
        // Root has no user namespace sandbox here; loopback-only network; no first-run or GPU work.
        let flags = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--enable-logging=stderr", "--v=0", "--user-data-dir=\(directory.appending("profile"))",
        ]
        func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let command = ([path] + flags + arguments).map(quote).joined(separator: " ") + " >" + quote(stdout) + " 2>" + quote(stderr)
        let process = try ChildProcess("/bin/sh", ["-c", "exec " + command])
        guard let status = await process.waitForExit(timeout: timeout) else {
            process.send(SIGKILL)
            throw ChromiumError(message: "chromium did not finish within \(Poll.scaled(timeout)) s")
        }
        guard status == 0 else {
            let log = (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""
            throw ChromiumError(message: "chromium exited with status \(status): \(log.suffix(600))")
        }
    }
}

/// Where a test writes what a person should be able to look at afterwards (screenshots):
/// `.build/test-output/<name>`, kept whether the test passes or fails.
public enum TestOutput {
    /// The directory for `name`, created.
    public static func directory(_ name: String) throws -> String {
        let path = FileManager.default.currentDirectoryPath + "/.build/test-output/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
