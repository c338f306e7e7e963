import Foundation

/// A responder made of a closure.
public struct HTTPClosureResponder: HTTPResponder {
    private let handler: @Sendable (HTTPRequest) -> HTTPResponse
    /// A responder answering with `handler`, on worker threads.
    public init(_ handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) { self.handler = handler }
    /// `handler`'s answer.
    public func respond(to request: HTTPRequest) -> HTTPResponse { handler(request) }
}
