import ArgumentParser
import Foundation
import KeelClient

/// How `keel` finds a node: the data directory (api.url, api.token) or explicit flags.
struct NodeOptions: ParsableArguments {
    @Option(name: .long, help: "The node's data directory (reads DIR/api.url and DIR/api.token).")
    var dataDir: String?

    @Option(name: .long, help: "The node's API base URL (default: DIR/api.url, else http://127.0.0.1:9334).")
    var api: String?

    @Option(name: .long, help: "A file holding the API token (default: DIR/api.token).")
    var tokenFile: String?

    @Flag(name: .long, help: "Print JSON for scripts.")
    var json = false

    func client() throws -> NodeClient {
        do {
            let dir = dataDir ?? ProcessInfo.processInfo.environment["KEEL_DATA_DIR"]
            return NodeClient(endpoint: try NodeEndpoint.resolve(dataDirectory: dir, api: api, tokenFile: tokenFile))
        } catch let error as ClientError {
            throw CLIFailure(error)
        }
    }

    /// With `--json`, prints the node's own answer at `path` (so scripts see every field the
    /// API has, not the CLI's selection) and returns nil; otherwise the client for the caller's
    /// text output.
    func clientForText(orPrintJSONAt path: String) throws -> NodeClient? {
        let client = try client()
        guard json else { return client }
        print(try client.raw(path).text)
        return nil
    }
}

/// Exit codes scripts can rely on: 0 success, 1 the node refused the request (its error code is
/// printed), 2 the request could not be made (configuration), 3 the node is unreachable,
/// 64 bad usage (from the argument parser).
struct CLIFailure: Error, CustomStringConvertible {
    let message: String
    let exitCode: Int32

    init(_ error: ClientError) {
        message = error.code == .api ? "\(error.apiCode.map { "\($0): " } ?? "")\(error.message)" : error.message
        exitCode = error.exitStatus
    }

    init(message: String, exitCode: Int32) {
        self.message = message
        self.exitCode = exitCode
    }

    var description: String { message }
}

/// Runs `body`, printing a failure's message to stderr and exiting with its code.
func reporting<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let failure as CLIFailure {
        fflush(nil)  // what was printed comes before the error
        FileHandle.standardError.write(Data("keel: \(failure.message)\n".utf8))
        throw ExitCode(failure.exitCode)
    } catch let error as ClientError {
        let failure = CLIFailure(error)
        fflush(nil)
        FileHandle.standardError.write(Data("keel: \(failure.message)\n".utf8))
        throw ExitCode(failure.exitCode)
    }
}

/// Prints an Encodable-free JSON object (keys sorted).
func printJSON(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
