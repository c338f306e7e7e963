import Foundation
import SportelloCore
import Testing

@testable import SportelloStore

/// Citizens' accounts on a database of their own: registration, sign-in and its lock, sessions, reset,
/// the SPID/CIE take-over.
@Suite struct AccountStoreTests {
    let now: Int64 = 1_800_000_000
    let codiceFiscale = mario.codiceFiscale
    let stranger = "BNCGVN80A01H501U"

    func withAccounts(_ body: (Database, AccountStore) throws -> Void) throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let database = try Database(path: path)
        try body(database, AccountStore(database: database))
    }

    /// Registers Mario and returns his password.
    func register(_ accounts: AccountStore) throws -> String {
        let registration = try accounts.register(mario, verifiedContact: mario.email, now: now, address: "203.0.113.9")
        guard case .created(_, let password) = registration.value else {
            throw AccountError.database(.inconsistent("not created"))
        }
        return password
    }

    /// The passwords the queued credentials messages will carry (each waits in its private file).
    func queuedPasswords(_ database: Database) throws -> [String] {
        let files = SecretFiles(database: database)
        return try database.read { connection in
            var passwords: [String] = []
            try connection.forEach("SELECT payload FROM outbox WHERE kind = 'credentials' ORDER BY id") { row in
                let payload = (try? JSONSerialization.jsonObject(with: Data(row.text(0).utf8))) as? [String: String]
                if let name = payload?[SecretFiles.payloadKey], let password = files.read(name) {
                    passwords.append(password)
                }
            }
            return passwords
        }
    }

    /// Signs Mario in with `password` at `at` from `address`.
    @discardableResult
    func login(
        _ accounts: AccountStore, _ password: String, at: Int64, from address: String = "t",
        as codiceFiscale: String = mario.codiceFiscale
    ) throws(AccountError) -> (Account, session: String) {
        try accounts.login(codiceFiscale: codiceFiscale, password: password, now: at, address: address)
    }

    @Test func registeringCreatesOneAccountWithAGeneratedPasswordAndItsMessageInTheSameTransaction() throws {
        try withAccounts { database, accounts in
            let mail = MessagePolicy(email: true, sms: false)
            let registration = try accounts.register(
                mario, verifiedContact: mario.email, now: now, address: "t",
                messages: mail)
            guard case .created(let account, let password) = registration.value else {
                Issue.record("not created")
                return
            }
            #expect(account.codiceFiscale == codiceFiscale && account.verifiedContact == mario.email)
            // Its message is queued in the same transaction: one credentials row, to the verified contact.
            #expect(registration.change.messagesQueued == 1 && password.count == 10)
            let queued = try database.read { connection in
                var rows: [String] = []
                try connection.forEach("SELECT kind, recipient FROM outbox") {
                    rows.append("\($0.text(0)) \($0.text(1))")
                }
                return rows
            }
            #expect(queued == ["credentials \(mario.email)"])
            let kinds = (
                lower: password.contains(where: \.isLowercase), upper: password.contains(where: \.isUppercase),
                digit: password.contains(where: \.isNumber)
            )
            #expect(kinds.lower && kinds.upper && kinds.digit)
            // The password is stored only as a hash.
            let stored = try database.read { try $0.first("SELECT password_hash FROM accounts") { $0.text(0) } }
            #expect(stored != nil && stored != password && PasswordHasher.verify(password, hash: stored ?? ""))
            // Again: the same answer to the caller's page, no new account, no new password (only "an account
            // exists", to the contact given).
            let again = try accounts.register(
                mario, verifiedContact: mario.email, now: now + 1, address: "u",
                messages: mail)
            #expect(again.value == .alreadyRegistered(account))
            let kindsQueued = try database.read { connection in
                var kinds: [String] = []
                try connection.forEach("SELECT kind FROM outbox ORDER BY id") { kinds.append($0.text(0)) }
                return kinds
            }
            #expect(kindsQueued == ["credentials", "accountExists"])
            #expect(try database.read { try $0.scalarInt("SELECT COUNT(*) FROM accounts") } == 1)
        }
    }

    @Test func aRegistrationWhoseMessageCannotBeQueuedLeavesNoAccount() throws {
        try withAccounts { database, accounts in
            // The outbox cannot take the credentials message: the whole registration rolls back.
            try database.write { try $0.execute("DROP TABLE outbox") }
            do {
                _ = try accounts.register(
                    mario, verifiedContact: mario.email, now: now, address: "t",
                    messages: MessagePolicy(email: true, sms: false))
                Issue.record("registered without its message")
            } catch {
                // The caller is told it failed (a database error); what matters here is what stayed.
            }
            let accountsLeft = try database.read { try $0.scalarInt("SELECT COUNT(*) FROM accounts") }
            #expect(accountsLeft == 0)
        }
    }

    @Test func signingInOpensASessionThatEndsAfterItsHoursOrOnSignOut() throws {
        try withAccounts { _, accounts in
            let password = try register(accounts)
            // The codice fiscale as typed, in any case.
            let (account, session) = try login(accounts, password, at: now, as: codiceFiscale.lowercased())
            #expect(account.codiceFiscale == codiceFiscale)
            #expect(
                try accounts.account(session: session, now: now + AccountStore.sessionSeconds - 1)?.id == account.id)
            #expect(try accounts.account(session: session, now: now + AccountStore.sessionSeconds) == nil)
            #expect(try accounts.account(session: "not-a-token", now: now) == nil)
            #expect(try accounts.account(session: Tokens.hex128(), now: now) == nil)
            accounts.logout(session: session)
            #expect(try accounts.account(session: session, now: now) == nil)
            #expect(throws: AccountError.wrongCredentials) { try login(accounts, password, at: now, as: stranger) }
        }
    }

    @Test func wrongPasswordsLockTheAccountForTheirAddressOnly() throws {
        try withAccounts { _, accounts in
            let password = try register(accounts)
            let guesser = "198.51.100.7"
            for _ in 1..<AccountStore.maximumFailures {
                #expect(throws: AccountError.wrongCredentials) { try login(accounts, "wrong", at: now, from: guesser) }
            }
            let until = now + AccountStore.lockSeconds
            #expect(throws: AccountError.locked(until: until)) { try login(accounts, "wrong", at: now, from: guesser) }
            // Locked even for the right password from that address, until the lock ends…
            #expect(throws: AccountError.locked(until: until)) {
                try login(accounts, password, at: until - 1, from: guesser)
            }
            // …while its holder, elsewhere, signs in.
            try login(accounts, password, at: now + 1, from: "203.0.113.9")
            try login(accounts, password, at: until, from: guesser)
            // A success clears the count: the next wrong password is the first again.
            #expect(throws: AccountError.wrongCredentials) {
                try login(accounts, "wrong", at: until + 1, from: guesser)
            }
        }
    }

    @Test func resettingNeedsTheRegisteredContactAndEndsEverySession() throws {
        try withAccounts { database, accounts in
            let old = try register(accounts)
            let (_, session) = try login(accounts, old, at: now)
            let mail = MessagePolicy(email: true, sms: false)
            #expect(
                try !accounts.resetCredentials(
                    codiceFiscale: codiceFiscale, contact: "other@example.it", now: now,
                    address: "t", messages: mail
                ).value)
            #expect(
                try !accounts.resetCredentials(
                    codiceFiscale: stranger, contact: mario.email, now: now,
                    address: "t"
                ).value)
            #expect(try queuedPasswords(database).isEmpty && (try accounts.account(session: session, now: now)) != nil)
            // The mobile as typed locally (its last digits) matches too; the address is not case-sensitive.
            #expect(
                try accounts.resetCredentials(
                    codiceFiscale: codiceFiscale, contact: "333 1234567", now: now,
                    address: "t"
                ).value)
            #expect(
                try accounts.resetCredentials(
                    codiceFiscale: codiceFiscale.lowercased(),
                    contact: "MARIO@example.it", now: now, address: "t", messages: mail
                ).value)
            let new = try #require(try queuedPasswords(database).first)
            #expect(try accounts.account(session: session, now: now) == nil)
            #expect(throws: AccountError.wrongCredentials) { try login(accounts, old, at: now) }
            try login(accounts, new, at: now)
        }
    }

    @Test func aCertifiedSignInTakesTheLocalAccountOver() throws {
        try withAccounts { _, accounts in
            let password = try register(accounts)
            let (_, session) = try login(accounts, password, at: now)
            #expect(try accounts.takeOver(codiceFiscale: codiceFiscale, now: now, address: "t"))
            #expect(try !accounts.takeOver(codiceFiscale: codiceFiscale, now: now, address: "t"))
            #expect(try accounts.account(session: session, now: now) == nil)
            #expect(throws: AccountError.wrongCredentials) { try login(accounts, password, at: now) }
        }
    }
}
