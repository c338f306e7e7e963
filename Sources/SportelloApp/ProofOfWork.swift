import SportelloCore
import SportelloHTTP
import SportelloStore
import Synchronization

/// Challenges for clients past their budget (`limits.proofOfWork`), served by Sportello itself: a client answers
/// with a number whose SHA-256 after the challenge's salt starts with `bits` zero bits, or, without JavaScript,
/// by sending the challenge back after `waitSeconds`. A challenge is signed (HMAC with a key of this process),
/// bound to the client's address key, good for 10 minutes and for one action; issuing another to the same client
/// replaces it, so challenges cannot be stockpiled and answered all at once.
final class ProofOfWork: Sendable {
    struct Challenge: Equatable {
        let salt: String
        let issued: Int64
        let signature: String
    }

    let settings: ProofOfWorkSettings
    private let secret: [UInt8]
    /// The one challenge each client may answer (client key → salt).
    private let current = Mutex<[String: String]>([:])
    static let lifetime: Int64 = 600
    static let maxClients = 100_000
    static let fieldNames: Set<String> = ["pow_salt", "pow_issued", "pow_signature", "pow_nonce"]

    init(settings: ProofOfWorkSettings) {
        self.settings = settings
        var generator = SystemRandomNumberGenerator()
        secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    func issue(to client: String, now: Int64) -> Challenge {
        let salt = Tokens.hex128()
        current.withLock { current in
            // A flood of addresses cannot grow this without bound; the challenges dropped are simply asked again.
            if current.count >= Self.maxClients { current.removeAll(keepingCapacity: true) }
            current[client] = salt
        }
        return Challenge(salt: salt, issued: now, signature: sign(salt, now, client))
    }

    /// Whether `fields` answer the client's current challenge (work or wait done); the answer is used up.
    func redeem(_ fields: FormFields, client: String, now: Int64) -> Bool {
        guard let salt = fields["pow_salt"], salt.utf8.count == 32,
            let issued = fields["pow_issued"].flatMap({ Int64($0) }),
            // Compared without subtracting `issued`: a client's Int64.min would overflow `now - issued`.
            let signature = fields["pow_signature"], issued <= now, issued >= now - Self.lifetime,
            Tokens.constantTimeEqual(Array(signature.utf8), Array(sign(salt, issued, client).utf8))
        else { return false }
        if let nonce = fields["pow_nonce"], !nonce.isEmpty {
            guard nonce.utf8.count <= 20, Self.work(salt: salt, nonce: nonce) >= settings.bits else { return false }
        } else if issued > now - Int64(settings.waitSeconds) {
            return false
        }
        return current.withLock { current in
            guard current[client] == salt else { return false }
            current[client] = nil
            return true
        }
    }

    /// The leading zero bits of SHA-256(salt + nonce): what a client proves.
    static func work(salt: String, nonce: String) -> Int {
        SHA256.leadingZeroBits(SHA256.hash(Array((salt + nonce).utf8)))
    }

    private func sign(_ salt: String, _ issued: Int64, _ client: String) -> String {
        SHA256.hex(
            SHA256.hmac(
                key: secret, message: Array("\(salt)|\(issued)|\(client)|\(settings.bits)|\(settings.waitSeconds)".utf8)
            ))
    }
}
