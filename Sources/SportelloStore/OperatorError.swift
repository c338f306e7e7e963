import Foundation
import SportelloCore

/// Why an operator command was refused.
public enum OperatorError: Error, Equatable, Sendable {
    case invalidName, nameTaken, unknownOperator
    /// The database failed; nothing changed.
    case database(DatabaseError)
}

extension OperatorError: CustomStringConvertible {
    /// The refusal in words for the command line, with what to do next.
    public var description: String {
        switch self {
        case .invalidName: "an operator name is 1 to 64 letters, digits, dots, dashes or underscores"
        case .nameTaken:
            """
            an operator with this name already exists (choose another name, or give this one a new token with: \
            sportello operator token NAME)
            """
        case .unknownOperator: "there is no operator with this name (see: sportello operator list)"
        case .database(let error): "the database failed: \(error)"
        }
    }
}
