import Foundation

/// A configuration problem at a precise place in the file.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Where in the file (`services[2].schedule.mon[0]`); empty for the document as a whole.
    public let path: String
    /// What is wrong there and what is expected, for the person editing the file.
    public let message: String

    /// A problem at `path` (empty for the whole document), explained by `message`.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// The message prefixed by its path, as `sportello check` prints it.
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}
