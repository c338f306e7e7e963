import SportelloStore

/// Who is booking, when known: an account signed in with its credentials, or an identity certified by
/// SPID/CIE at the comune's authenticating proxy.
struct Citizen: Sendable, Equatable {
    let codiceFiscale: String
    let givenName: String
    let familyName: String
    let email: String
    let phone: String
    /// Certified by SPID/CIE: names and codice fiscale are locked on the forms.
    let certified: Bool
    /// The local account signed in (nil for SPID/CIE).
    var accountID: Int64? = nil
    /// The contact the account's password went to: what its holder has proved to receive.
    var verifiedContact = ""

    var fullName: String { "\(givenName) \(familyName)" }

    /// What this citizen may see and cancel: a certified person everything booked for them, and what they
    /// presented for others (also through a local account of theirs, known by its copies going to one of their
    /// certified contacts); an account what it made and what carries its verified contact (a typed codice
    /// fiscale proves nothing).
    var viewer: BookingViewer {
        if certified { return .certified(codiceFiscale: codiceFiscale, contacts: [email, phone]) }
        return .account(id: accountID ?? -1, codiceFiscale: codiceFiscale, verifiedContact: verifiedContact)
    }

    init(codiceFiscale: String, givenName: String, familyName: String, email: String, phone: String, certified: Bool) {
        self.codiceFiscale = codiceFiscale
        self.givenName = givenName
        self.familyName = familyName
        self.email = email
        self.phone = phone
        self.certified = certified
    }

    init(account: Account) {
        self.init(
            codiceFiscale: account.codiceFiscale, givenName: account.givenName, familyName: account.familyName,
            email: account.email,
            phone: account.phone, certified: false)
        accountID = account.id
        verifiedContact = account.verifiedContact
    }
}
