/// An error that names its place in the one vocabulary of refusals.
public protocol CodedError: Error {
    /// The stable code this error is answered with.
    var errorCode: ErrorCode { get }
}
