import Foundation
import SportelloCore

/// The citizen's details as validated by the form.
public struct PersonDetails: Sendable, Equatable {
    /// Given name as typed (validated, not normalised).
    public var givenName: String
    /// Family name as typed (validated, not normalised).
    public var familyName: String
    /// The codice fiscale of the person the appointment is for (upper-case).
    public var codiceFiscale: String
    /// Where confirmations and reminders go by email ("" for none).
    public var email: String
    /// Where confirmations and reminders go by SMS ("" for none).
    public var phone: String
    /// Free text for the office, if the service asks for it.
    public var notes: String?
    /// The codice fiscale of whoever booked for someone else (nil when booked for oneself).
    public var presenterCodiceFiscale: String?
    /// The name of whoever booked for someone else.
    public var presenterName: String?
    /// Where the presenter gets a copy of the messages about a booking made for someone else.
    public var presenterContact: String?
    /// The answers to the service's extra form fields, by field id (`ExtraField`); empty answers are left out.
    public var extraFields: [String: String] = [:]

    /// Details as the form validated them; the presenter fields only when booking for someone else.
    public init(
        givenName: String, familyName: String, codiceFiscale: String, email: String, phone: String,
        notes: String? = nil,
        presenterCodiceFiscale: String? = nil, presenterName: String? = nil
    ) {
        self.givenName = givenName
        self.familyName = familyName
        self.codiceFiscale = codiceFiscale
        self.email = email
        self.phone = phone
        self.notes = notes
        self.presenterCodiceFiscale = presenterCodiceFiscale
        self.presenterName = presenterName
    }
}
