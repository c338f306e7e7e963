import CSQLite
import Foundation
import Glibc

/// A problem with a backup, a restore or the serve lock, said in words.
public struct MaintenanceError: Error, CustomStringConvertible, Sendable {
    /// What went wrong and what to do, for the command line.
    public let description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
