#if canImport(Glibc)
    import Glibc
#endif

/// Which `Host` headers the API answers. A web page the operator opens can make the browser
/// send requests to 127.0.0.1 under the page's own name (DNS rebinding) and read the answers,
/// `/v1/peers/export` among them; refusing names the operator did not list stops that, as
/// geth's `--http.vhosts` does. IP literals and `localhost` are always answered (a rebinding
/// page cannot send those), with any port.
public struct HostAllowList: Sendable, Equatable {
    /// Names allowed besides IP literals and `localhost` (lowercased); `*` allows any.
    public let names: Set<String>

    /// An allow list with `names` (`--api-allow-host`).
    public init(_ names: [String] = []) { self.names = Set(names.map { $0.lowercased() }) }

    /// Whether a request with this `Host` header (nil: none sent) is answered.
    public func allows(_ header: String?) -> Bool {
        if names.contains("*") { return true }
        // HTTP/1.0 clients send no Host; nothing a browser sends lacks one.
        guard let header, !header.isEmpty else { return true }
        let host = HostAllowList.hostPart(header).lowercased()
        if host == "localhost" || names.contains(host) { return true }
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// `example.com:9334` -> `example.com`; `[::1]:9334` -> `::1`.
    static func hostPart(_ header: String) -> String {
        if header.hasPrefix("["), let close = header.firstIndex(of: "]") {
            return String(header[header.index(after: header.startIndex)..<close])
        }
        if let colon = header.lastIndex(of: ":"), header.firstIndex(of: ":") == colon { return String(header[..<colon]) }
        return header
    }
}
