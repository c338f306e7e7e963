import Foundation
import SportelloCore

/// A confirmed appointment and what became of it.
public struct Booking: Sendable, Equatable {
    /// The row id, for operators and the outbox.
    public let id: Int64
    /// The code given to the citizen (`bookingCode()`): with the codice fiscale it finds the booking.
    public let code: String
    /// The slot booked.
    public let slot: SlotRef
    /// When the appointment ends, unix seconds.
    public let slotEnd: Int64
    /// Where it stands: confirmed, cancelled, done or absent.
    public let state: BookingState
    /// When it was confirmed, unix seconds (the lead time in statistics).
    public let createdAt: Int64
    /// Who the appointment is for, and who presented it.
    public var person: PersonDetails
    /// Why an operator cancelled it.
    public var cancelReason: String?
    /// The language the citizen booked in, for the messages about it.
    public var language: String = "it"
    /// The local account that made it (nil: made without one, or by SPID/CIE).
    public var accountID: Int64?
    /// What stood behind it when it was made.
    public var proof: BookingProof = .none
    /// How many times it was moved: its calendar event's SEQUENCE (a cancellation's is one more).
    public var sequence: Int = 0
    /// The desk a desk service's booking occupies, as the store records it ("<office id>/<name>"); nil for a
    /// service without desks (docs/ARCHITECTURE.md §3 "Desks").
    public var desk: String?

    /// The desk's name as the office calls it ("Sportello 2"), for the agenda and the citizen's messages.
    public var deskName: String? {
        desk.map { key in DeskID(key: key)?.name ?? key }
    }
}
