import Foundation

/// A template problem with its place: `week.html:12:5: section "slots" is never closed`.
public struct TemplateError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The name of the template with the problem.
    public let template: String
    /// 1-based line of the problem in the template's source.
    public let line: Int
    /// 1-based column of the problem in the template's source.
    public let column: Int
    /// What is wrong, in words.
    public let message: String

    /// "template:line:column: message", the form editors and compilers use, so the place can be jumped to.
    public var description: String { "\(template):\(line):\(column): \(message)" }
}
