import Foundation

/// Texts of a service in one language.
public struct ServiceText: Sendable, Hashable {
    /// What the service is called on its page and in messages.
    public var name: String
    /// A sentence or two on what the service is for and who can ask for it.
    public var description: String
    /// What to bring to the appointment, one item each.
    public var documents: [String]
    /// The label of the notes field when the service asks what the appointment is for.
    public var reasonLabel: String?
}
