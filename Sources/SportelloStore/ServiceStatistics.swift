import CSQLite
import Foundation
import SportelloCore

/// Counts of one service over a period, for the statistics CSV.
public struct ServiceStatistics: Sendable, Equatable {
    /// The service counted.
    public var serviceID: String
    /// Bookings for appointments in the period.
    public var bookings = 0
    /// Appointments recorded as done.
    public var done = 0
    /// Appointments recorded as absent (no-shows).
    public var absent = 0
    /// Bookings the citizen cancelled.
    public var cancelledByCitizen = 0
    /// Bookings the office cancelled.
    public var cancelledByOperator = 0
    /// Mean days between booking and appointment.
    public var meanLeadDays = 0.0

    /// Absences among the appointments whose outcome was recorded.
    public var noShowRate: Double { done + absent == 0 ? 0 : Double(absent) / Double(done + absent) }
}
