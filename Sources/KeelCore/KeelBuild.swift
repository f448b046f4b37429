import CKeelBuildInfo

/// Which Keel this is: the release version and the commit it was built from, as `--version`
/// prints them and `keel_build_info` labels them.
public enum KeelBuild {
    /// The release version (semantic versioning).
    public static let version = "0.1.0"

    /// The commit (`git describe --always --dirty --abbrev=12`), stamped at build time by
    /// `scripts/stamp-build`, which `make` runs; "unknown" in a build made without it.
    public static let commit = String(cString: keel_build_commit())

    /// `keel-node 0.1.0 (commit 3443652abcde)`: the line `--version` prints for `program`.
    public static func versionLine(_ program: String) -> String { "\(program) \(version) (commit \(commit))" }
}
