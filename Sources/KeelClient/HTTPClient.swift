import CCurl
import Foundation
import Synchronization

/// A blocking HTTP/1.1 client over libcurl, for the CLI and the sidecar: a connect timeout and
/// a total timeout on every call, so nothing waits forever. Copies of a client share a few idle
/// easy handles, and with them their open connections: a second request to the node reuses the
/// first one's connection instead of a new TCP handshake (about half of a small request's time).
public struct HTTPClient: Sendable {
    /// A complete response: the body is read whole, up to `maxResponseBytes`.
    public struct Response: Sendable {
        /// The status code.
        public let status: Int
        /// The body as received, undecoded.
        public let body: [UInt8]
        /// The response headers, names lowercased (the last value of a repeated header).
        public var headers: [String: String] = [:]
        /// Connections libcurl opened for this request: 0 when it reused an idle one.
        public var newConnections = 0
        /// The body as UTF-8 text.
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Seconds to establish the connection.
    public var connectTimeout: Double
    /// Seconds for the whole request.
    public var timeout: Double

    private static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    private let handles = HandlePool()

    /// A client with the given timeouts.
    public init(connectTimeout: Double = 5, timeout: Double = 30) {
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }

    private final class Sink {
        var bytes = [UInt8]()
        var headers = [String: String]()
        let limit: Int
        init(limit: Int) { self.limit = limit }
    }

    /// Performs a request. Throws `ClientError` (with libcurl's code in the cause) when no
    /// HTTP response arrives; any HTTP status is a response.
    public func request(
        _ method: String, _ url: String, headers: [String: String] = [:], body: [UInt8]? = nil,
        maxResponseBytes: Int = 64 << 20
    ) throws -> Response {
        guard HTTPClient.initialized, let handle = handles.take() else {
            throw ClientError(.transport, "libcurl could not be initialized")
        }
        var reusable = false
        defer { handles.give(back: handle, reusable: reusable) }
        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in headers { list = curl_slist_append(list, "\(name): \(value)") }
        if body != nil { list = curl_slist_append(list, "Content-Type: application/json") }
        // libcurl adds "Expect: 100-continue" to large bodies; the node answers directly.
        list = curl_slist_append(list, "Expect:")
        defer { curl_slist_free_all(list) }

        let sink = Sink(limit: maxResponseBytes)
        let context = Unmanaged.passRetained(sink)
        defer { context.release() }
        _ = keel_curl_setopt_string(handle, CURLOPT_URL, url)
        _ = keel_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = keel_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout * 1000))
        _ = keel_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeout * 1000))
        _ = keel_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method)
        _ = keel_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, list)
        if let body {
            _ = keel_curl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, body.count)
            _ = body.withUnsafeBufferPointer { keel_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress)) }
        }
        _ = keel_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context.toOpaque())
        _ = keel_curl_setopt_write_function(handle) { data, size, count, user in
            let sink = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
            let length = size * count
            guard sink.bytes.count + length <= sink.limit else { return 0 }  // aborts the transfer
            if let data { sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length)) }
            return length
        }
        _ = keel_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context.toOpaque())
        _ = keel_curl_setopt_header_function(handle) { data, size, count, user in
            let sink = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
            let length = size * count
            guard let data else { return length }
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
            if line.hasPrefix("HTTP/") {
                sink.headers = [:]  // a new response (after a redirect or 100 Continue)
            } else if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased()
                sink.headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return length
        }
        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else {
            let cause = CurlError(code: Int(code.rawValue), text: String(cString: curl_easy_strerror(code)))
            let kind: ClientError.Code = code == CURLE_OPERATION_TIMEDOUT ? .timeout : .transport
            throw ClientError(kind, "\(method) \(url) failed: \(cause.text)", cause: cause)
        }
        var status = 0
        _ = keel_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var connects = 0
        _ = keel_curl_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &connects)
        reusable = true
        return Response(status: status, body: sink.bytes, headers: sink.headers, newConnections: connects)
    }
}

/// Idle libcurl easy handles (each with its connection cache), at most `limit` kept.
final class HandlePool: Sendable {
    /// A `CURL *` that one thread uses at a time. Why `@unchecked Sendable` is safe: a handle is
    /// only ever in the pool (behind its mutex) or held by the one request that took it.
    private struct Handle: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
    }

    private let idle = Mutex<[Handle]>([])
    private let limit = 4

    /// An idle handle with its options reset (its connections kept), or a new one.
    func take() -> UnsafeMutableRawPointer? {
        if let handle = idle.withLock({ $0.popLast() }) {
            curl_easy_reset(handle.pointer)
            return handle.pointer
        }
        return curl_easy_init()
    }

    /// Keeps `handle` for the next request, unless its request failed (its connection may be
    /// broken) or the pool is full.
    func give(back handle: UnsafeMutableRawPointer, reusable: Bool) {
        let kept =
            reusable
            && idle.withLock { handles in
                guard handles.count < limit else { return false }
                handles.append(Handle(pointer: handle))
                return true
            }
        if !kept { curl_easy_cleanup(handle) }
    }

    deinit {
        for handle in idle.withLock({ $0 }) { curl_easy_cleanup(handle.pointer) }
    }
}

/// libcurl's own result code and text.
public struct CurlError: Error, Sendable, CustomStringConvertible {
    /// The `CURLcode`.
    public let code: Int
    /// `curl_easy_strerror`'s text.
    public let text: String
    /// `curl error N: text`.
    public var description: String { "curl error \(code): \(text)" }
}
