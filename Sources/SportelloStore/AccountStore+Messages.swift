import SportelloCore

/// The messages account changes queue, written in the change's own transaction.
extension AccountStore {
    /// The credentials message, to the verified contact only: the password then proves that contact (accounts
    /// from before this have none recorded: their email). The password waits in a private file (removed once
    /// handed over), never in the database.
    func sendCredentials(
        _ connection: Connection, account: Account, password: String, language: String,
        policy: MessagePolicy, now: Int64
    ) throws -> Int {
        let recipient = account.verifiedContact.isEmpty ? account.email : account.verifiedContact
        guard !recipient.isEmpty else { return 0 }
        let payload = [
            "codiceFiscale": account.codiceFiscale, "name": "\(account.givenName) \(account.familyName)",
            SecretFiles.payloadKey: try SecretFiles(database: database).store(password),
        ]
        return try Outbox.enqueuePersonMessage(
            connection, kind: .credentials, to: recipient, language: language,
            payload: payload, limits: policy.limits, at: now)
    }

    /// A registration for a codice fiscale that already has an account creates nothing and sends no password;
    /// the contact it gave is told so, with what to do: the forgotten-credentials form when the account is
    /// theirs, SPID/CIE (which disables it) when someone else registered their codice fiscale. The page's answer
    /// stays the same either way; the mailbox learns only what a password arriving or not would tell it.
    func tellAccountExists(
        _ connection: Connection, account: Account, recipient: String, language: String,
        policy: MessagePolicy, now: Int64
    ) throws -> Int {
        try Outbox.enqueuePersonMessage(
            connection, kind: .accountExists, to: recipient, language: language,
            payload: ["codiceFiscale": account.codiceFiscale], limits: policy.limits,
            at: now)
    }

    /// An account was just created for a codice fiscale that has bookings with other contacts: those people
    /// (likely its real holder) are told on the channels the comune uses, so a squatted codice fiscale does not
    /// go unnoticed.
    func warnOtherContacts(
        _ connection: Connection, account: Account, language: String, policy: MessagePolicy,
        now: Int64
    ) throws -> Int {
        let payload = ["codiceFiscale": account.codiceFiscale, "name": "\(account.givenName) \(account.familyName)"]
        var queued = 0
        for (channel, recipient) in try Self.otherContacts(
            connection, codiceFiscale: account.codiceFiscale,
            except: [account.email, account.phone])
        where policy.sends(on: channel) {
            let written = try Outbox.enqueue(
                connection, kind: .accountCreated, channel: channel,
                recipient: recipient, bookingID: nil,
                language: language, payload: payload, at: now, limits: policy.limits)
            if written { queued += 1 }
        }
        return queued
    }
}
