import Foundation
import SportelloCore

/// Operator accounts, separate from citizens. An operator signs in with a token (`op<id>-<32 hex>`) shown
/// once when the account is made; only its yescrypt hash is stored.
public struct OperatorStore: Sendable {
    /// The database operators live in.
    public let database: Database

    /// An operator store over `database` (migrated by the caller).
    public init(database: Database) { self.database = database }

    /// Creates an operator and returns the token to hand over; it cannot be shown again.
    public func create(name: String, scope: [String], now: Int64) throws(OperatorError) -> (Operator, token: String) {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 64,
            name.unicodeScalars.allSatisfy({
                CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)
            })
        else { throw .invalidName }
        let secret = Tokens.hex128()
        let hash: String
        do { hash = try PasswordHasher.hash(secret) } catch { throw .database(DatabaseError(error)) }
        do {
            return try database.write { connection in
                if try connection.scalarInt("SELECT COUNT(*) FROM operators WHERE name = ?", .text(name)) > 0 {
                    throw OperatorError.nameTaken
                }
                try connection.execute(
                    "INSERT INTO operators (name, token_hash, scope, created_at) VALUES (?, ?, ?, ?)",
                    .text(name), .text(hash), .text(scope.joined(separator: ",")), .int(now))
                let id = connection.lastInsertRowID
                try AuditLog.record(
                    connection, at: now, actor: "cli", action: "operator.add", subject: name, address: "")
                return (Operator(id: id, name: name, scope: scope), "op\(id)-\(secret)")
            }
        } catch let error as OperatorError {
            throw error
        } catch {
            throw .database(DatabaseError(error))
        }
    }

    /// The operator a token belongs to, or nil for a malformed, unknown, wrong or disabled token. Every
    /// refusal costs one hash check, so the time taken does not tell which operator ids exist. A database
    /// failure is thrown, not taken for a wrong token.
    public func authenticate(token: String) throws(DatabaseError) -> Operator? {
        let parts = token.trimmingCharacters(in: .whitespaces).split(separator: "-", maxSplits: 1)
        guard parts.count == 2, parts[0].hasPrefix("op"), let id = Int64(parts[0].dropFirst(2)),
            parts[1].utf8.count == 32
        else {
            _ = PasswordHasher.verify(String(token.prefix(64)), hash: Self.decoyHash)
            return nil
        }
        let row: (name: String, hash: String, scope: String)?
        do {
            row = try database.read { connection in
                try connection.first(
                    "SELECT name, token_hash, scope FROM operators WHERE id = ? AND disabled_at IS NULL", .int(id)
                ) {
                    (name: $0.text(0), hash: $0.text(1), scope: $0.text(2))
                }
            }
        } catch {
            throw DatabaseError(error)
        }
        guard let found = row else {
            _ = PasswordHasher.verify(String(parts[1]), hash: Self.decoyHash)
            return nil
        }
        guard PasswordHasher.verify(String(parts[1]), hash: found.hash) else { return nil }
        return Operator(id: id, name: found.name, scope: found.scope.split(separator: ",").map(String.init))
    }

    /// A hash of nothing anyone knows, checked when a token names no operator.
    // Hashing a random 32-hex secret cannot hit `unsupportedPassword`; were libcrypt broken, no sign-in works anyway.
    static let decoyHash: String = (try? PasswordHasher.hash(Tokens.hex128())) ?? ""

    /// How long a sign-in lasts without a logout.
    public static let sessionSeconds: Int64 = 12 * 3_600

    /// Opens a session for a signed-in operator and returns its id, for the cookie. Only the id's SHA-256 is
    /// stored, so reading the database does not let anyone act as the operator.
    public func startSession(for account: Operator, now: Int64) throws -> String {
        let id = Tokens.hex128()
        try database.write { connection in
            try connection.execute("DELETE FROM operator_sessions WHERE expires_at <= ?", .int(now))
            try connection.execute(
                "INSERT INTO operator_sessions (id_hash, operator_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                .text(SHA256.hexDigest(id)), .int(account.id), .int(now), .int(now + Self.sessionSeconds))
        }
        return id
    }

    /// The operator of a live session, or nil for a malformed, unknown, ended or expired id or a disabled operator.
    /// A database failure is thrown, not taken for "signed out".
    public func operatorOf(session id: String, now: Int64) throws(DatabaseError) -> Operator? {
        guard id.utf8.count == 32, id.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            return nil
        }
        do {
            return try database.read { connection in
                try connection.first(
                    """
                    SELECT o.id, o.name, o.scope FROM operator_sessions s JOIN operators o ON o.id = s.operator_id
                    WHERE s.id_hash = ? AND s.expires_at > ? AND o.disabled_at IS NULL
                    """, .text(SHA256.hexDigest(id)), .int(now)
                ) {
                    Operator(id: $0.int(0), name: $0.text(1), scope: $0.text(2).split(separator: ",").map(String.init))
                }
            }
        } catch {
            throw DatabaseError(error)
        }
    }

    /// Ends a session at once (logout). The cookie goes either way; a session the database failed to delete is
    /// logged, since it stays usable until it expires.
    public func endSession(_ id: String) {
        do {
            try database.write { connection in
                try connection.execute("DELETE FROM operator_sessions WHERE id_hash = ?", .text(SHA256.hexDigest(id)))
            }
        } catch {
            Log.error("logout_failed", ["error": .text("\(error)")])
        }
    }

    /// Every operator with whether it is disabled, for `sportello operator list`.
    public func list() throws(OperatorError) -> [(Operator, disabled: Bool)] {
        do {
            return try database.read { connection in
                var operators: [(Operator, disabled: Bool)] = []
                try connection.forEach("SELECT id, name, scope, disabled_at IS NOT NULL FROM operators ORDER BY name") {
                    row in
                    operators.append(
                        (
                            Operator(
                                id: row.int(0), name: row.text(1),
                                scope: row.text(2).split(separator: ",").map(String.init)),
                            disabled: row.int(3) != 0
                        ))
                }
                return operators
            }
        } catch {
            throw .database(DatabaseError(error))
        }
    }

    /// Revokes an operator's token at once.
    public func disable(name: String, now: Int64) throws(OperatorError) {
        do {
            try database.write { connection in
                try connection.execute(
                    "UPDATE operators SET disabled_at = ? WHERE name = ? AND disabled_at IS NULL", .int(now),
                    .text(name))
                if connection.changes == 0 { throw OperatorError.unknownOperator }
                try connection.execute(
                    "DELETE FROM operator_sessions WHERE operator_id = (SELECT id FROM operators WHERE name = ?)",
                    .text(name))
                try AuditLog.record(
                    connection, at: now, actor: "cli", action: "operator.disable", subject: name, address: "")
            }
        } catch let error as OperatorError {
            throw error
        } catch {
            throw .database(DatabaseError(error))
        }
    }
}
