import Foundation
import KeelFiles
import KeelTesting
import Testing

@Suite("Small files: written whole, created once, private")
struct AtomicFileTests {
    @Test("write replaces the contents with the mode asked for, and leaves no temporary file")
    func replace() throws {
        let dir = TemporaryDirectory("atomic")
        let path = dir.path + "/token"
        try AtomicFile.write(Data("one".utf8), to: path, mode: 0o600)
        try AtomicFile.write(Data("two".utf8), to: path, mode: 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "two")
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)
        #expect(mode.intValue == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["token"])
    }

    @Test("create never overwrites: of 16 concurrent creators exactly one wins and the file holds its bytes whole")
    func createOnce() async throws {
        let dir = TemporaryDirectory("atomic-create")
        let path = dir.path + "/wallet.json"
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for i in 0..<16 {
                group.addTask {
                    let body = Data(String(repeating: "\(i % 10)", count: 100_000).utf8)
                    return (i, (try? AtomicFile.create(body, at: path)) != nil)
                }
            }
            var all = [(Int, Bool)]()
            for await result in group { all.append(result) }
            return all
        }
        let winners = results.filter(\.1)
        #expect(winners.count == 1)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == String(repeating: "\(winners[0].0 % 10)", count: 100_000))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["wallet.json"], "no temporary files left")
        #expect(throws: AtomicFile.Failure.self) { try AtomicFile.create(Data("x".utf8), at: path) }
    }

    @Test("a secret its group or others can read is refused with the fix; a private one passes")
    func privateOnly() throws {
        let dir = TemporaryDirectory("atomic-private")
        let path = dir.path + "/api.token"
        try AtomicFile.write(Data("secret".utf8), to: path, mode: 0o644)
        do {
            try AtomicFile.checkPrivate(path, what: "the API token")
            Issue.record("a world-readable token passed")
        } catch let failure as AtomicFile.Failure {
            #expect(failure.message.contains("chmod 600") && failure.message.contains("644"))
            #expect(!failure.message.contains("secret"), "the secret itself is never in the message")
        }
        chmod(path, 0o600)
        try AtomicFile.checkPrivate(path, what: "the API token")
        try AtomicFile.checkPrivate(dir.path + "/missing", what: "nothing")
    }
}
