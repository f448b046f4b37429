import KeelCore

/// A failure of the P2P layer itself (not of a peer, which costs that peer only).
public typealias P2PError = DomainError<P2PErrorDomain>

/// The domain of `P2PError`: its codes (every one fails while running).
public enum P2PErrorDomain: ErrorDomain {}

/// The codes of `P2PError`.
extension ErrorCode where Domain == P2PError {
    /// The listen address could not be bound.
    public static let listen = Self(rawValue: "p2p_listen_failed")
    /// The address book could not be read or written.
    public static let storage = Self(rawValue: "p2p_storage_failed")
}
