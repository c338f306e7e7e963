import Foundation
import SportelloCore
import SportelloHTTP
import SportelloStore

/// The budgets of one client (see `LimitSettings`): live holds per address and browser, daily caps on
/// bookings, registrations and credential resets per address and contact. A refusal says until when.
extension Application {
    /// The anonymous browser session: lets a new hold give back the browser's previous one.
    static let visitorCookie = "sportello_visitor"

    /// The browser's session id when it sent a well-formed one (128 random bits as hex), else nil.
    static func visitor(_ request: HTTPRequest) -> String? {
        guard let value = request.cookies[visitorCookie], value.utf8.count == 32,
              value.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        return value
    }

    func visitorCookie(_ value: String) -> String {
        let secure = configuration.comune.baseURL.hasPrefix("https:") ? "; Secure" : ""
        return "\(Self.visitorCookie)=\(value); Path=\(layout.api("")); Max-Age=86400; HttpOnly; SameSite=Lax\(secure)"
    }

    /// Who asks for a hold: the address key, the browser session and the cap on the address's live holds.
    func holdClient(_ context: RequestContext, session: String) -> HoldClient {
        HoldClient(key: ClientKey.of(context.clientAddress), session: configuration.limits.holdsPerClient > 0 ? session : nil,
                   limit: configuration.limits.holdsPerClient)
    }

    /// The daily caps a confirmed booking counts against: its address and its contacts.
    func bookingCaps(_ person: PersonDetails, _ context: RequestContext) -> [DailyCap] {
        let limits = configuration.limits
        return [DailyCap("book:address:\(ClientKey.of(context.clientAddress))", limit: limits.bookingsPerAddressPerDay)]
            + Self.contactKeys([person.email, person.phone]).map { DailyCap("book:contact:\($0)", limit: limits.bookingsPerContactPerDay) }
    }

    /// Counts a registration ("register") or a credential reset ("reset") against the address's and the
    /// contacts' daily caps, whether or not an account exists (the answer must not tell); nil when it may go on.
    /// A reset also counts against its codice fiscale: each one replaces the holder's password, so whoever
    /// knows someone's codice fiscale and contact must not be able to keep them out with resets.
    func limitAccountRequest(_ kind: String, contacts: [String], codiceFiscale: String = "", _ context: RequestContext) -> HTTPResponse? {
        let limits = configuration.limits
        let (perAddress, perContact) = kind == "register"
            ? (limits.registrationsPerAddressPerDay, limits.registrationsPerContactPerDay)
            : (limits.credentialResetsPerAddressPerDay, limits.credentialResetsPerContactPerDay)
        let caps = [DailyCap("\(kind):address:\(ClientKey.of(context.clientAddress))", limit: perAddress)]
            + Self.contactKeys(contacts).map { DailyCap("\(kind):contact:\($0)", limit: perContact) }
            + (codiceFiscale.isEmpty ? [] : [DailyCap("\(kind):cf:\(codiceFiscale.prefix(32))", limit: perContact)])
        do {
            try store.takeDaily(caps, now: clock())
        } catch {
            return limitFailure(error, context) ?? failure(.storage, context)
        }
        return nil
    }

    /// Contacts as one key each however they were typed: mail lowercased, phone as its digits.
    static func contactKeys(_ contacts: [String]) -> [String] {
        contacts.compactMap { contact in
            let trimmed = contact.trimmingCharacters(in: .whitespaces).lowercased()
            if trimmed.contains("@") { return trimmed }
            let digits = trimmed.filter(\.isNumber)
            return digits.isEmpty ? nil : digits
        }
    }

    /// The answer to a spent budget: 429, Retry-After, and the instant it opens again in the person's words.
    /// Nil for any other error.
    func limitFailure(_ error: BookingError, _ context: RequestContext) -> HTTPResponse? {
        let t = site.renderer.texts(context.language)
        var response: HTTPResponse
        let until: Int64
        switch error {
        case .tooManyHolds(let instant):
            until = instant
            let local = RomeTime.local(until)
            response = failure(.tooManyHolds, context, messageArguments: [
                "count": String(configuration.limits.holdsPerClient), "time": LocalTime(minutes: local.minutes)?.description ?? ""])
        case .dailyLimitReached(let instant):
            until = instant
            response = failure(.dailyLimitReached, context, messageArguments: ["date": t.longDate(RomeTime.local(until).date)])
        default:
            return nil
        }
        response.headers.append(("Retry-After", String(max(1, until - clock()))))
        return response
    }
}

/// The address a client's budget is kept under: an IPv4 address as it is, an IPv6 address by its /64 (one
/// subscriber's network: a home or phone gets a whole /64 and can pick any address in it at will).
enum ClientKey {
    static func of(_ address: String) -> String {
        guard address.contains(":") else { return address }
        var bytes = [UInt8](repeating: 0, count: 16)
        let parsed = address.split(separator: "%", maxSplits: 1).first.map { String($0) } ?? address
        guard inet_pton(AF_INET6, parsed, &bytes) == 1 else { return address }
        // An IPv4 address written as IPv6 (::ffff:a.b.c.d) is that IPv4 address.
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return bytes[12..<16].map(String.init).joined(separator: ".")
        }
        let hex = Array("0123456789abcdef")
        var key = ""
        for (index, byte) in bytes[0..<8].enumerated() {
            if index > 0 && index % 2 == 0 { key.append(":") }
            key.append(hex[Int(byte >> 4)])
            key.append(hex[Int(byte & 0xF)])
        }
        return key + "::/64"
    }
}
