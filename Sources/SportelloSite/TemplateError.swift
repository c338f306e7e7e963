import Foundation

/// A template problem with its place: `week.html:12:5: section "slots" is never closed`.
public struct TemplateError: Error, CustomStringConvertible, Sendable, Equatable {
    public let template: String
    public let line: Int
    public let column: Int
    public let message: String

    public var description: String { "\(template):\(line):\(column): \(message)" }
}
