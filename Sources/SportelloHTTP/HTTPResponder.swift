import Foundation

/// Answers requests. `respond(to:)` runs on one of the server's worker threads (several at once, so it must be
/// thread-safe), or on the event-loop thread itself for the requests `answersOnEventLoop` claims.
public protocol HTTPResponder: Sendable {
    /// The answer to `request`. The server adds `Date`, `Content-Length` and `Connection`.
    func respond(to request: HTTPRequest) -> HTTPResponse
    /// Whether a request finishes work the server already admitted (a confirmation of a hold it granted):
    /// such a request is queued even past `HTTPLimits.maxQueuedRequests`, so admission control turns away new
    /// work, never the completion of work in progress. Their number is bounded by that earlier work.
    func completesAdmittedWork(method: String, path: String) -> Bool
    /// Whether `request` is answered on the event-loop thread, without the hand-over to a worker and back: only
    /// for answers that are quick and never wait on a lock, a database or a child process (a static file, most
    /// often from memory). Everything else on that thread waits meanwhile, so the default is false.
    func answersOnEventLoop(_ request: HTTPRequest) -> Bool
}

extension HTTPResponder {
    /// By default every request finishes new work and may be turned away by admission control.
    public func completesAdmittedWork(method: String, path: String) -> Bool { false }
    /// By default every request goes to a worker.
    public func answersOnEventLoop(_ request: HTTPRequest) -> Bool { false }
}
