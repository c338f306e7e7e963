import Foundation
import SportelloCore

/// Accounts and their sessions. Passwords are generated (never chosen), alphanumeric and case-sensitive,
/// and stored only as yescrypt hashes; sessions are 128-bit random tokens with an expiry.
public struct AccountStore: Sendable {
    /// The database the accounts and sessions live in.
    public let database: Database

    /// An account store over `database` (migrated by the caller).
    public init(database: Database) { self.database = database }

    /// Wrong passwords in a row before the account locks, and for how long.
    public static let maximumFailures = 5
    /// How long a locked account refuses every password, in seconds.
    public static let lockSeconds: Int64 = 15 * 60
    /// How long a session stays valid after sign-in, in seconds.
    public static let sessionSeconds: Int64 = 8 * 3_600

    /// Letters and digits that cannot be confused when read from an SMS (no 0/O, 1/l/I).
    static let passwordAlphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")

    /// A new random password from `passwordAlphabet`, with at least one lowercase, uppercase and digit.
    public static func generatePassword(length: Int = 10) -> String {
        var generator = SystemRandomNumberGenerator()
        // At least one lowercase, one uppercase and one digit, as many password rules expect.
        while true {
            let password = String(
                (0..<length).map { _ in
                    passwordAlphabet[Int(generator.next() as UInt64 % UInt64(passwordAlphabet.count))]
                })
            if password.contains(where: \.isLowercase) && password.contains(where: \.isUppercase)
                && password.contains(where: \.isNumber)
            {
                return password
            }
        }
    }

    /// Registers a citizen. With `messages`, the credentials message is queued in the same transaction, so an
    /// account never exists without its message (and the holders of the codice fiscale's other bookings are
    /// warned); when the codice fiscale already has an account, that contact is told so instead (nil: nothing is
    /// queued). `verifiedContact` is the one contact (the email or the mobile) the credentials are sent to.
    public func register(
        _ person: PersonDetails, verifiedContact: String, now: Int64, address: String,
        language: String = "it",
        messages: MessagePolicy? = nil
    ) throws(AccountError) -> Committed<Registration> {
        let password = Self.generatePassword()
        let hash: String
        do { hash = try PasswordHasher.hash(password) } catch { throw .database(DatabaseError(error)) }
        return try run { connection in
            if let existing = try account(connection, where: "codice_fiscale = ?", .text(person.codiceFiscale)) {
                try audit(
                    connection, now: now, action: "account.register.repeat", subject: existing.codiceFiscale,
                    address: address)
                let queued =
                    try messages.map {
                        try tellAccountExists(
                            connection, account: existing, recipient: verifiedContact,
                            language: language, policy: $0, now: now)
                    } ?? 0
                return Committed(.alreadyRegistered(existing), change: StoreChange(messagesQueued: queued))
            }
            try connection.execute(
                """
                INSERT INTO accounts (codice_fiscale, given_name, family_name, email, phone, password_hash,
                    created_at, failed_logins,
                    verified_contact, last_used_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
                """, .text(person.codiceFiscale), .text(person.givenName), .text(person.familyName),
                .text(person.email), .text(person.phone),
                .text(hash), .int(now), .text(verifiedContact), .int(now))
            let account = Account(
                id: connection.lastInsertRowID, codiceFiscale: person.codiceFiscale, givenName: person.givenName,
                familyName: person.familyName, email: person.email, phone: person.phone,
                verifiedContact: verifiedContact)
            try audit(
                connection, now: now, action: "account.register", subject: account.codiceFiscale, address: address)
            var queued = 0
            if let messages {
                queued += try sendCredentials(
                    connection, account: account, password: password, language: language,
                    policy: messages, now: now)
                queued += try warnOtherContacts(
                    connection, account: account, language: language, policy: messages,
                    now: now)
            }
            return Committed(.created(account, password: password), change: StoreChange(messagesQueued: queued))
        }
    }

    /// Checks a password and opens a session; returns its token. Wrong passwords lock the account for the
    /// address that sent them only, so a stranger guessing from elsewhere cannot lock its holder out.
    /// An account taken over by a SPID/CIE sign-in accepts no password.
    public func login(
        codiceFiscale: String, password: String, now: Int64, address: String
    ) throws(AccountError) -> (Account, session: String) {
        let row: (Account, hash: String, lockedUntil: Int64?)?
        do {
            row = try database.read { connection in
                try connection.first(
                    """
                    SELECT \(Self.accountColumns), a.password_hash, f.locked_until
                    FROM accounts a LEFT JOIN login_failures f ON f.account_id = a.id AND f.address = ?2
                    WHERE a.codice_fiscale = ?1 AND a.disabled_at IS NULL
                    """, .text(codiceFiscale.uppercased()), .text(address)
                ) { (Self.account($0), $0.text(7), $0.optionalInt(8)) }
            }
        } catch {
            throw .database(DatabaseError(error))
        }
        guard let (account, hash, lockedUntil) = row else {
            // Spend the same time as a real check, so timing does not tell which codici fiscali have accounts.
            _ = PasswordHasher.verify(password, hash: Self.decoyHash)
            throw .wrongCredentials
        }
        if let lockedUntil, lockedUntil > now {
            // As long as a check, like every other answer.
            _ = PasswordHasher.verify(password, hash: Self.decoyHash)
            throw .locked(until: lockedUntil)
        }
        guard PasswordHasher.verify(password, hash: hash) else {
            let lock = try run { connection -> Int64? in
                // Counts from addresses that went quiet a day ago are forgotten, so the table stays small.
                try connection.execute(
                    "DELETE FROM login_failures WHERE updated_at < ?1 AND (locked_until IS NULL OR locked_until < ?2)",
                    .int(now - 86_400), .int(now))
                try connection.execute(
                    """
                    INSERT INTO login_failures (account_id, address, failures, locked_until, updated_at)
                    VALUES (?1, ?2, 1, NULL, ?3)
                    ON CONFLICT (account_id, address) DO UPDATE SET failures = failures + 1, updated_at = ?3
                    """, .int(account.id), .text(address), .int(now))
                let failures = try connection.scalarInt(
                    "SELECT failures FROM login_failures WHERE account_id = ? AND address = ?",
                    .int(account.id), .text(address))
                try audit(
                    connection, now: now, action: "account.login.failed", subject: account.codiceFiscale,
                    address: address)
                guard failures >= Int64(Self.maximumFailures) else { return nil }
                try connection.execute(
                    "UPDATE login_failures SET failures = 0, locked_until = ? WHERE account_id = ? AND address = ?",
                    .int(now + Self.lockSeconds), .int(account.id), .text(address))
                return now + Self.lockSeconds
            }
            if let lock { throw .locked(until: lock) }
            throw .wrongCredentials
        }
        let token = Tokens.hex128()
        try run { connection in
            try connection.execute(
                "DELETE FROM login_failures WHERE account_id = ? AND address = ?", .int(account.id), .text(address))
            try connection.execute("UPDATE accounts SET last_used_at = ? WHERE id = ?", .int(now), .int(account.id))
            try connection.execute("DELETE FROM sessions WHERE expires_at <= ?", .int(now))
            try connection.execute(
                "INSERT INTO sessions (token, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                .text(token), .int(account.id), .int(now), .int(now + Self.sessionSeconds))
            try audit(connection, now: now, action: "account.login", subject: account.codiceFiscale, address: address)
        }
        return (account, token)
    }

    /// The account of a live session, or nil for an unknown, forged or expired token. A database failure is
    /// thrown, not taken for "signed out".
    public func account(session token: String, now: Int64) throws(DatabaseError) -> Account? {
        guard token.utf8.count == 32, token.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        do {
            return try database.read { connection in
                try connection.first(
                    """
                    SELECT \(Self.accountColumns)
                    FROM sessions s JOIN accounts a ON a.id = s.account_id
                    WHERE s.token = ? AND s.expires_at > ? AND a.disabled_at IS NULL
                    """, .text(token), .int(now), transform: Self.account)
            }
        } catch {
            throw DatabaseError(error)
        }
    }

    /// Ends a session. The cookie goes either way; a session the database failed to delete is logged, since it
    /// stays usable until it expires.
    public func logout(session token: String) {
        do {
            try database.write { try $0.execute("DELETE FROM sessions WHERE token = ?", .text(token)) }
        } catch {
            Log.error("logout_failed", ["error": .text("\(error)")])
        }
    }

    /// "Credenziali dimenticate o non funzionanti": when the codice fiscale and the registered email or mobile
    /// match, a new password replaces the old one, every session ends, and (with `messages`, in the same
    /// transaction) the message is queued to the account's verified contact only. Returns whether it happened;
    /// the page says the same either way.
    public func resetCredentials(
        codiceFiscale: String, contact: String, now: Int64, address: String,
        language: String = "it",
        messages: MessagePolicy? = nil
    ) throws(AccountError) -> Committed<Bool> {
        let password = Self.generatePassword()
        let hash: String
        do { hash = try PasswordHasher.hash(password) } catch { throw .database(DatabaseError(error)) }
        return try run { connection in
            guard
                let account = try account(
                    connection, where: "codice_fiscale = ? AND disabled_at IS NULL", .text(codiceFiscale.uppercased()))
            else {
                return Committed(false, change: .none)
            }
            let given = contact.trimmingCharacters(in: .whitespaces)
            let digits = given.filter(\.isNumber)
            let matches =
                given.lowercased() == account.email.lowercased()
                || (!digits.isEmpty && account.phone.filter(\.isNumber).hasSuffix(digits) && digits.count >= 9)
            try audit(
                connection, now: now, action: matches ? "account.reset" : "account.reset.mismatch",
                subject: account.codiceFiscale, address: address)
            guard matches else { return Committed(false, change: .none) }
            try connection.execute(
                "UPDATE accounts SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE id = ?",
                .text(hash), .int(account.id))
            try connection.execute("DELETE FROM login_failures WHERE account_id = ?", .int(account.id))
            try connection.execute("DELETE FROM sessions WHERE account_id = ?", .int(account.id))
            let queued =
                try messages.map {
                    try sendCredentials(
                        connection, account: account, password: password, language: language, policy: $0,
                        now: now)
                } ?? 0
            return Committed(true, change: StoreChange(messagesQueued: queued))
        }
    }

    /// A SPID/CIE sign-in for a codice fiscale that has a local account: the certified person is its holder,
    /// so the account (perhaps registered by someone else with that codice fiscale) stops working at once.
    /// Returns whether an account was disabled.
    @discardableResult
    public func takeOver(codiceFiscale: String, now: Int64, address: String) throws(AccountError) -> Bool {
        // Certified sign-ins arrive on every request: only a live local account costs a write.
        let live: Int64
        do {
            live = try database.read { connection in
                try connection.scalarInt(
                    "SELECT COUNT(*) FROM accounts WHERE codice_fiscale = ? AND disabled_at IS NULL",
                    .text(codiceFiscale))
            }
        } catch {
            throw .database(DatabaseError(error))
        }
        guard live > 0 else { return false }
        return try run { connection in
            guard
                let account = try account(
                    connection, where: "codice_fiscale = ? AND disabled_at IS NULL", .text(codiceFiscale))
            else { return false }
            try connection.execute("UPDATE accounts SET disabled_at = ? WHERE id = ?", .int(now), .int(account.id))
            try connection.execute("DELETE FROM sessions WHERE account_id = ?", .int(account.id))
            try audit(
                connection, now: now, action: "account.takeover", subject: account.codiceFiscale, address: address)
            return true
        }
    }

    /// The contacts on bookings for a codice fiscale other than `except`: the people to tell when an account
    /// is created for it. Bounded: a few recent ones are enough to reach the holder.
    static func otherContacts(
        _ connection: Connection, codiceFiscale: String,
        except: [String]
    ) throws -> [(channel: NotificationChannel, recipient: String)] {
        var found: [(NotificationChannel, String)] = []
        let excluded = Set(except.map { $0.lowercased() })
        try connection.forEach(
            """
            SELECT DISTINCT email, phone FROM bookings WHERE codice_fiscale = ? AND anonymized_at IS NULL
            ORDER BY id DESC LIMIT 20
            """, .text(codiceFiscale)
        ) { row in
            for (channel, value) in [
                (NotificationChannel.email, row.optionalText(0) ?? ""), (.sms, row.optionalText(1) ?? ""),
            ]
            where !value.isEmpty && !excluded.contains(value.lowercased())
                && !found.contains(where: { $0.1.lowercased() == value.lowercased() })
            {
                found.append((channel, value))
            }
        }
        return found
    }

    // MARK: Pieces

    /// Columns of `accounts` read as an `Account`, qualified with the alias `a`.
    static let accountColumns =
        "a.id, a.codice_fiscale, a.given_name, a.family_name, a.email, a.phone, a.verified_contact"

    static func account(_ row: Row) -> Account {
        Account(
            id: row.int(0), codiceFiscale: row.text(1), givenName: row.text(2), familyName: row.text(3),
            email: row.text(4), phone: row.text(5),
            verifiedContact: row.optionalText(6) ?? "")
    }

    private func account(_ connection: Connection, where condition: String, _ argument: SQLValue) throws -> Account? {
        try connection.first(
            "SELECT \(Self.accountColumns) FROM accounts a WHERE \(condition)", argument, transform: Self.account)
    }

    /// A hash of nothing anyone knows, checked when the codice fiscale has no account.
    // Hashing a random 32-hex secret cannot hit `unsupportedPassword`; were libcrypt broken, no sign-in works anyway.
    static let decoyHash: String = (try? PasswordHasher.hash(Tokens.hex128())) ?? ""

    private func audit(_ connection: Connection, now: Int64, action: String, subject: String, address: String) throws {
        try AuditLog.record(connection, at: now, actor: "citizen", action: action, subject: subject, address: address)
    }

    private func run<T>(_ body: (Connection) throws -> T) throws(AccountError) -> T {
        try database.transaction(storage: AccountError.database, body)
    }
}
