extension ChainState {
    /// Runs a store read for a question that answers "unknown" rather than throwing (a peer's
    /// locator, a header lookup, whether a block is known). A failed read answers nil like an
    /// unknown block, but is logged with what was being read and counted
    /// (`Observer.onReadFailure`), so a failing disk is not mistaken for missing data.
    func readOrNil<T>(_ what: @autoclosure () -> String, _ read: () throws -> T?) -> T? {
        do {
            return try read()
        } catch {
            logger.error("store read failed; answered as unknown", metadata: ["reading": "\(what())", "error": "\(error)"])
            observer.onReadFailure?()
            return nil
        }
    }
}
