import Foundation
import Hummingbird
import KeelAPIModels

/// The request context of the node API: snake_case JSON both ways and an upload limit that
/// fits the largest block as hex in a JSON body.
public struct KeelRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage

    /// Creates a context for a request.
    public init(source: Source) { coreContext = .init(source: source) }

    /// 2 MB blocks are 4 MB of hex; anything above 5 MiB is refused with 413.
    public var maxUploadSize: Int { 5 << 20 }

    /// snake_case keys in.
    public var requestDecoder: JSONDecoder { API.jsonDecoder() }

    /// snake_case keys out, sorted so responses are stable.
    public var responseEncoder: JSONEncoder { API.jsonEncoder() }
}
