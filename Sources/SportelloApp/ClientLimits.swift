import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore

/// The budgets of one client (see `LimitSettings`): live holds per address and browser, daily caps on
/// bookings, registrations and credential resets per address and contact. A refusal says until when.
protocol ClientLimits: EndpointController {
    var store: BookingStore { get }
    var proofOfWork: ProofOfWork? { get }
    var clock: @Sendable () -> Int64 { get }
}

extension ClientLimits {
    /// The anonymous browser session: lets a new hold give back the browser's previous one.
    static var visitorCookie: String { "sportello_visitor" }

    /// The browser's session id when it sent a well-formed one (128 random bits as hex), else nil.
    static func visitor(_ request: HTTPRequest) -> String? {
        guard let value = request.cookies[visitorCookie], value.utf8.count == 32,
            value.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { return nil }
        return value
    }

    func visitorCookie(_ value: String) -> String {
        cookie(Self.visitorCookie, value: value, path: layout.apiRoot + "/", maxAge: 86_400, sameSite: "Lax")
    }

    /// Who asks for a hold: the address key, the browser session and the cap on the address's live holds.
    /// `proven`: the client answered a proof-of-work challenge, and this hold is not counted against its cap.
    func holdClient(_ context: RequestContext, session: String, proven: Bool) -> HoldClient {
        HoldClient(
            key: ClientKey.of(context.clientAddress), session: configuration.limits.holdsPerClient > 0 ? session : nil,
            limit: proven ? 0 : configuration.limits.holdsPerClient)
    }

    /// Whether the form answers the client's proof-of-work challenge (used up if so).
    func proven(_ fields: FormFields, _ context: RequestContext) -> Bool {
        guard let proofOfWork, fields["pow_salt"] != nil else { return false }
        return proofOfWork.redeem(fields, client: ClientKey.of(context.clientAddress), now: clock())
    }

    /// The daily caps a confirmed booking counts against: its address and its contacts (none once proven).
    func bookingCaps(_ person: PersonDetails, _ context: RequestContext, _ fields: FormFields) -> [DailyCap] {
        if proven(fields, context) { return [] }
        let limits = configuration.limits
        return [DailyCap("book:address:\(ClientKey.of(context.clientAddress))", limit: limits.bookingsPerAddressPerDay)]
            + Self.contactKeys([person.email, person.phone]).map {
                DailyCap("book:contact:\($0)", limit: limits.bookingsPerContactPerDay)
            }
    }

    /// Counts a registration ("register") or a credential reset ("reset") against the address's and the
    /// contacts' daily caps, whether or not an account exists (the answer must not tell); nil when it may go on.
    /// A reset also counts against its codice fiscale: each one replaces the holder's password, so whoever
    /// knows someone's codice fiscale and contact must not be able to keep them out with resets.
    func limitAccountRequest(
        _ kind: String, contacts: [String], codiceFiscale: String = "", _ context: RequestContext,
        fields: FormFields
    ) -> HTTPResponse? {
        if proven(fields, context) { return nil }
        let limits = configuration.limits
        let (perAddress, perContact) =
            kind == "register"
            ? (limits.registrationsPerAddressPerDay, limits.registrationsPerContactPerDay)
            : (limits.credentialResetsPerAddressPerDay, limits.credentialResetsPerContactPerDay)
        let caps =
            [DailyCap("\(kind):address:\(ClientKey.of(context.clientAddress))", limit: perAddress)]
            + Self.contactKeys(contacts).map { DailyCap("\(kind):contact:\($0)", limit: perContact) }
            + (codiceFiscale.isEmpty ? [] : [DailyCap("\(kind):cf:\(codiceFiscale.prefix(32))", limit: perContact)])
        do {
            try store.takeDaily(caps, now: clock())
        } catch {
            return limitFailure(error, context, retry: (kind == "register" ? .accounts : .credentials, fields))
                ?? failure(EndpointError(error), context)
        }
        return nil
    }

    /// Contacts as one key each however they were typed: mail lowercased, phone as the digits of its
    /// international form ("333 123 4567" and "+39 333 1234567" are one number).
    static func contactKeys(_ contacts: [String]) -> [String] {
        contacts.compactMap { contact in
            let trimmed = contact.trimmingCharacters(in: .whitespaces).lowercased()
            if trimmed.contains("@") { return trimmed }
            let digits = ((try? FieldValidator.phone(trimmed)) ?? trimmed).filter(\.isNumber)
            return digits.isEmpty ? nil : digits
        }
    }

    /// The answer to a spent budget: 429, Retry-After, and the instant it opens again in the person's words.
    /// With `limits.proofOfWork`, also a challenge whose answer lets the same request (`retry`: its route under
    /// `/api/` and its fields) through once: a form that sends it again. Nil for any other error.
    func limitFailure(
        _ error: BookingError, _ context: RequestContext, retry: (route: EndpointRoute, fields: FormFields)? = nil
    ) -> HTTPResponse? {
        let t = site.renderer.texts(context.language)
        var response: HTTPResponse
        let until: Int64
        let extra = retry.flatMap { proofOfWorkChallenge(route: $0.route, fields: $0.fields, context) }
        switch error {
        case .tooManyHolds(let instant):
            until = instant
            let local = RomeTime.local(until)
            response = failure(
                .tooManyHolds, context,
                messageArguments: [
                    "count": String(configuration.limits.holdsPerClient),
                    "time": LocalTime(minutes: local.minutes)?.description ?? "",
                ],
                extra: extra)
        case .dailyLimitReached(let instant):
            until = instant
            response = failure(
                .dailyLimitReached, context, messageArguments: ["date": t.longDate(RomeTime.local(until).date)],
                extra: extra)
        default:
            return nil
        }
        response.headers.append(("Retry-After", String(max(1, until - clock()))))
        return response
    }

    /// A new challenge for this client, for the JSON answer and the error page; nil when proof of work is off.
    private func proofOfWorkChallenge(
        route: EndpointRoute, fields: FormFields, _ context: RequestContext
    ) -> (json: [String: Any], page: TemplateFields)? {
        guard let proofOfWork else { return nil }
        let settings = proofOfWork.settings
        let challenge = proofOfWork.issue(to: ClientKey.of(context.clientAddress), now: clock())
        let t = site.renderer.texts(context.language)
        let ready =
            LocalTime(minutes: RomeTime.local(challenge.issued + Int64(settings.waitSeconds)).minutes)?.description
            ?? ""
        let kept = fields.pairs.filter { !ProofOfWork.fieldNames.contains($0.name) }
        return (
            json: [
                "challenge": [
                    "algorithm": "SHA-256", "salt": challenge.salt, "issued": challenge.issued,
                    "signature": challenge.signature,
                    "bits": settings.bits, "waitSeconds": settings.waitSeconds,
                    "how": "send the same request again with pow_salt, pow_issued, pow_signature and pow_nonce, where "
                        + "SHA-256(salt + nonce) starts with bits zero bits; or without pow_nonce after waitSeconds",
                ]
            ],
            page: [
                "proof": .object([
                    "action": .string(layout.api(route)), "salt": .string(challenge.salt),
                    "issued": .string(String(challenge.issued)),
                    "signature": .string(challenge.signature), "bits": .string(String(settings.bits)),
                    "waitSeconds": .string(String(settings.waitSeconds)),
                    "fields": .list(kept.map { .object(["name": .string($0.name), "value": .string($0.value)]) }),
                    "text": .string(
                        t.format(
                            "proofOfWork.wait", count: settings.waitSeconds,
                            ["time": ready, "seconds": String(settings.waitSeconds)])),
                    "working": .string(t.text("proofOfWork.working")), "button": .string(t.text("proofOfWork.button")),
                ])
            ]
        )
    }
}
