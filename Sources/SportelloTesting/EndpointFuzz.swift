import Foundation
import SportelloApp
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import Synchronization

/// The `endpoint` fuzz target: every POST route under `/api/` (citizen, accounts, operator; with and without
/// a session, a certified identity or an operator token) driven in process through `Application.respond`,
/// no sockets. Every answer must come within `budget` seconds and never be a 5xx (but the health check's
/// "degraded"); a crash or a hang is caught
/// by the harness around it.
///
/// An input is text in three parts, so corpus files read like requests:
///
///     holds                              the route under /api/ (an unknown one picks a route from its bytes)
///     jc                                 flags: j JSON, c citizen session, o/O operator token (all / one office),
///                                        p/P identity headers from the trusted proxy (valid / junk), e English,
///                                        x foreign Origin, g GET, 0-9 client address, v an IPv6 client,
///                                        m a multipart Content-Type, n none
///     service=certificati&slot=@slot     the form body, any bytes
///
/// In the body `@slot` (a slot of the named service in its window), `@hold`, `@code`, `@block` (the last
/// hold, booking and block the endpoint handed out), `@cf` (one of a few valid codici fiscali), `@lastcf`
/// (the last booking's), `@mycf` (the signed-in citizen's), `@token` (the operator's), `@date` (today) and
/// `@powsalt`, `@powissued`, `@powsig` (the last proof-of-work challenge handed out; the fixture turns
/// `limits.proofOfWork` on) are replaced before the request is made, so mutated inputs keep reaching past the
/// first checks.
public final class EndpointFuzz: Sendable {
    /// Every route, in the table's order (inputs pick an unknown route by position).
    public static let routes = EndpointRoute.allCases.map(\.rawValue)
    /// Longest an answer may take, in seconds; generous for a debug build on a busy machine, far below the
    /// seconds a date-dependent search used to cost.
    public static let budget = 2.0
    /// What the fixture's identity proxy shares with the endpoint; `p`/`P` inputs send it, so certified
    /// identities (real or junk) reach the routes.
    static let proxySecret = "fuzz-secret-shared-with-the-proxy"

    let application: Application
    let site: LoadedSite
    let clock: @Sendable () -> Int64
    let folder: String
    let start: Int64
    let ticks = Locked<Int64>(0)
    let citizenSession: String
    /// Logout gets this one, so the session of every other input stays signed in.
    let spareSession: String
    let citizenCodiceFiscale: String
    let operatorToken: String
    let narrowOperatorToken: String
    let codiciFiscali: [String]
    private let learned = Mutex<[String: String]>([:])

    /// A fresh database over the fixture comune of the repository at `root` (`FixtureComune`: its
    /// Tests/Fixtures/comune.json and site-templates), with a registered, signed-in citizen and two operators.
    /// Its clock starts on a Wednesday at 08:00 and moves a second per request, so holds expire during long runs.
    public init(root: String) throws {
        folder =
            FileManager.default.temporaryDirectory.appendingPathComponent("sportello-fuzz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let options = FixtureComune.options(in: folder, root: URL(fileURLWithPath: root))
        var configuration = try SiteConfiguration.load(path: options.configPath)
        // The fuzzer is one client: the per-address limit would answer 429 to everything after a few inputs.
        configuration.booking.requestsPerMinutePerAddress = 0
        // Challenges are offered past a budget and their fields read on every budgeted route: fuzzed like the rest.
        var proof = ProofOfWorkSettings()
        proof.bits = 4
        proof.waitSeconds = 5
        configuration.limits.proofOfWork = proof
        // The one-time code on the summary (`verification_code`, `resend`) is fuzzed on the tributi office's services.
        for index in configuration.services.indices where configuration.services[index].id == "tributi" {
            configuration.services[index].verifyContact = true
        }
        var identity = IdentityHeaders()
        identity.proxySecret = Self.proxySecret
        identity.spidLoginURL = "/auth/spid/login"
        configuration.identity = identity
        let site = try LoadedSite(configuration: configuration, options: options)
        self.site = site
        let store = BookingStore(database: try Database(path: options.databasePath))
        start =
            RomeTime.instant(
                date: CivilDate(year: 2026, month: 11, day: 25) ?? CivilDate(dayNumber: 0), minutes: 8 * 60) ?? 0
        let base = start
        let ticks = self.ticks
        let clock: @Sendable () -> Int64 = { base + ticks.withLock { $0 } }
        self.clock = clock
        application = Application(
            site: site, store: store, publisher: site.makePublisher(),
            source: StoreOccupancy(store: store, catalogue: site.catalogue), clock: clock)
        // The application's own account and operator stores are these, over the same database.
        let accounts = AccountStore(database: store.database)
        let operators = OperatorStore(database: store.database)
        codiciFiscali = (0..<16).compactMap { index in
            let first15 = "RSSMRA85T10A" + String(format: "%03d", 100 + index)
            return "ABCDEFGHIJKLMNOPQRSTUVWXYZ".lazy.map { first15 + String($0) }.first {
                (try? CodiceFiscale(validating: $0)) != nil
            }
        }
        citizenCodiceFiscale = codiciFiscali.first ?? ""
        let person = PersonDetails(
            givenName: "Maria", familyName: "Rossi", codiceFiscale: citizenCodiceFiscale, email: "maria@example.it",
            phone: "+393331234567")
        let registration = try accounts.register(
            person, verifiedContact: person.email, now: start, address: "127.0.0.1")
        guard case .created(_, let password) = registration.value else {
            throw SetupError(description: "fuzz fixture: the citizen's account already exists")
        }
        citizenSession = try accounts.login(
            codiceFiscale: citizenCodiceFiscale, password: password, now: start, address: "127.0.0.1"
        ).session
        spareSession = try accounts.login(
            codiceFiscale: citizenCodiceFiscale, password: password, now: start, address: "127.0.0.1"
        ).session
        operatorToken = try operators.create(name: "fuzz", scope: site.catalogue.roots.map(\.id), now: start).token
        narrowOperatorToken = try operators.create(name: "fuzz-tributi", scope: ["tributi"], now: start).token
    }

    deinit { remove() }

    /// Removes the fixture's folder (its database, pages and secrets): a test calls it when it is done with the
    /// fixture, even the shared one, which lives as long as the process.
    public func remove() { TemporaryFolder.removeTree(folder) }

    /// The fixture could not be set up (a fresh database already holding its citizen).
    struct SetupError: Error, CustomStringConvertible {
        let description: String
    }

    /// The fixture the `endpoint` target uses: made on first use from the repository in the working
    /// directory (or at `SPORTELLO_ROOT`), unless `prepare(root:)` made it first.
    private static let shared = Mutex<EndpointFuzz?>(nil)

    /// Makes the shared fixture from the repository at `root` (once; later calls return the same one).
    @discardableResult
    public static func prepare(root: String) throws -> EndpointFuzz {
        try shared.withLock { fixture in
            if let fixture { return fixture }
            let made = try EndpointFuzz(root: root)
            fixture = made
            return made
        }
    }

    static func current() -> Result<EndpointFuzz, any Error> {
        let root = ProcessInfo.processInfo.environment["SPORTELLO_ROOT"] ?? FileManager.default.currentDirectoryPath
        return Result { try prepare(root: root) }
    }

    // MARK: Running an input

    /// Runs one input; nil when every property held, else what went wrong.
    public func check(_ input: [UInt8]) -> String? {
        let request = makeRequest(input)
        let began = DispatchTime.now().uptimeNanoseconds
        let response = shown(application.respond(to: request.http), after: request.http)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        ticks.withLock { $0 += 1 }
        learn(from: response, route: request.route, body: request.http.body)
        // The fixture runs no notification worker and its clock moves a second per input, so after some 900
        // inputs the outbox looks stuck and health says so, as it must: that 503 is the monitoring answer, not a fault.
        if response.status == 503, request.route == EndpointRoute.health.rawValue,
            String(decoding: response.body, as: UTF8.self).contains("\"degraded\":[\"outbox\"]")
        {
            return nil
        }
        if response.status >= 500 {
            let body = String(decoding: response.body.prefix(300), as: UTF8.self)
            return "\(request.route) answered \(response.status): \(body)"
        }
        if !(200...499).contains(response.status) { return "\(request.route) answered \(response.status)" }
        if seconds > Self.budget {
            return String(format: "%@ took %.2f s (budget %.1f s)", request.route, seconds, Self.budget)
        }
        let contentType = response.headers.first { $0.0.lowercased() == "content-type" }?.1 ?? ""
        if contentType.hasPrefix("application/json"),
            (try? JSONSerialization.jsonObject(with: Data(response.body))) == nil
        {
            return "\(request.route) answered JSON that does not parse"
        }
        return nil
    }

    /// What a browser shows after `response` to `request`: a form's `303 See Other` to `/api/page` followed with
    /// the page cookie it set (redirect-after-POST), any other answer as it is.
    public func shown(_ response: HTTPResponse, after request: HTTPRequest) -> HTTPResponse {
        Self.shown(response, after: request, on: application)
    }

    /// What a browser shows after `application`'s `response` to `request` (see `shown(_:after:)`).
    public static func shown(
        _ response: HTTPResponse, after request: HTTPRequest, on application: Application
    ) -> HTTPResponse {
        guard response.status == 303, let location = response.header("Location"),
            location.contains("/api/\(EndpointRoute.page.rawValue)?")
        else { return response }
        var cookies = request.headers.values("Cookie")
        for (name, value) in response.headers where name == "Set-Cookie" && value.hasPrefix(PageSnapshots.cookieName) {
            cookies.append(String(value.prefix { $0 != ";" }))
        }
        var headers = HTTPHeaders(
            request.headers.fields.filter { $0.name.lowercased() != "cookie" }.map { ($0.name, $0.value) })
        if !cookies.isEmpty { headers.add("Cookie", cookies.joined(separator: "; ")) }
        return application.respond(
            to: HTTPRequest(method: "GET", target: location, headers: headers, remoteAddress: request.remoteAddress))
    }

    struct Made {
        let route: String
        let http: HTTPRequest
    }

    func makeRequest(_ input: [UInt8]) -> Made {
        let lines = input.split(separator: UInt8(ascii: "\n"), maxSplits: 2, omittingEmptySubsequences: false)
        let routeBytes = Array(lines.first ?? [])
        let flags = Set(lines.count > 1 ? Array(lines[1]) : [])
        var body = lines.count > 2 ? Array(lines[2]) : []
        let hash = input.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
        let routeText = String(decoding: routeBytes, as: UTF8.self)
        var route = routeText
        if !Self.routes.contains(routeText) {
            let pick = Int(hash % UInt64(Self.routes.count + 1))
            route = pick < Self.routes.count ? Self.routes[pick] : "nothing/" + routeText.prefix(40)
        }
        body = substitute(body, hash: hash)
        var headers: [(String, String)] = [("Host", "127.0.0.1:8080")]
        if flags.contains(UInt8(ascii: "m")) {
            headers.append(("Content-Type", "multipart/form-data; boundary=fuzz"))
        } else if !flags.contains(UInt8(ascii: "n")) {
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        }
        if flags.contains(UInt8(ascii: "j")) { headers.append(("Accept", "application/json")) }
        headers.append(("Accept-Language", flags.contains(UInt8(ascii: "e")) ? "en" : "it-IT,it;q=0.9"))
        if flags.contains(UInt8(ascii: "x")) { headers.append(("Origin", "https://evil.example")) }
        var cookies: [String] = []
        if flags.contains(UInt8(ascii: "c")) {
            let session = route == EndpointRoute.logout.rawValue ? spareSession : citizenSession
            cookies.append("\(AccountsController.sessionCookie)=\(session)")
        }
        if flags.contains(UInt8(ascii: "o")) { headers.append(("Authorization", "Bearer \(operatorToken)")) }
        if flags.contains(UInt8(ascii: "O")) { headers.append(("Authorization", "Bearer \(narrowOperatorToken)")) }
        if !cookies.isEmpty { headers.append(("Cookie", cookies.joined(separator: "; "))) }
        var remote = "10.0.0.\(hash % 200 + 1)"
        if let digit = flags.first(where: { (48...57).contains($0) }) { remote = "10.1.0.\(digit - 47)" }
        if flags.contains(UInt8(ascii: "v")) { remote = "2001:db8:\(hash % 4):1::\(String(hash % 65_536, radix: 16))" }
        let identity = IdentityHeaders()
        if flags.contains(UInt8(ascii: "p")) || flags.contains(UInt8(ascii: "P")) {
            headers.append((identity.proxySecretHeader, Self.proxySecret))
        }
        if flags.contains(UInt8(ascii: "p")) {
            remote = "127.0.0.1"
            headers += [
                (identity.codiceFiscale, "TINIT-\(codiciFiscali[Int(hash % UInt64(codiciFiscali.count))])"),
                (identity.givenName, "Giulia"),
                (identity.familyName, "Bianchi"), (identity.email ?? "", "giulia@example.it"),
                (identity.phone ?? "", "+393339876543"),
            ]
        } else if flags.contains(UInt8(ascii: "P")) {
            remote = "127.0.0.1"
            let junk = String(decoding: body.prefix(300), as: UTF8.self)
            headers += [(identity.codiceFiscale, junk), (identity.givenName, junk), (identity.familyName, "")]
        }
        let path = SiteLayout(basePath: "", mainLanguage: "it").apiRoot + "/" + route
        let http = HTTPRequest(
            method: flags.contains(UInt8(ascii: "g")) ? "GET" : "POST", target: path, path: path, query: nil,
            headers: HTTPHeaders(headers), body: body, remoteAddress: remote)
        return Made(route: route, http: http)
    }

    /// Replaces the `@` placeholders with values the endpoint will recognise.
    func substitute(_ body: [UInt8], hash: UInt64) -> [UInt8] {
        guard body.contains(UInt8(ascii: "@")) else { return body }
        let known = learned.withLock { $0 }
        var values: [(String, String)] = [
            ("@lastcf", known["lastcf"] ?? citizenCodiceFiscale), ("@mycf", citizenCodiceFiscale),
            ("@cf", codiciFiscali[Int((hash >> 8) % UInt64(codiciFiscali.count))]),
            ("@hold", known["hold"] ?? ""), ("@code", known["code"] ?? ""), ("@block", known["block"] ?? "0"),
            ("@token", operatorToken), ("@date", RomeTime.local(clock()).date.description),
            ("@powsalt", known["powsalt"] ?? ""), ("@powissued", known["powissued"] ?? "0"),
            ("@powsig", known["powsig"] ?? ""),
        ]
        if firstRange(of: Array("@slot".utf8), in: body) != nil {
            values.append(("@slot", String(slot(for: serviceName(in: body), hash: hash))))
        }
        var result = body
        for (placeholder, value) in values {
            let pattern = Array(placeholder.utf8)
            while let at = firstRange(of: pattern, in: result) {
                result.replaceSubrange(at..<(at + pattern.count), with: Array(value.utf8))
            }
        }
        return result
    }

    private func firstRange(of pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard !pattern.isEmpty, bytes.count >= pattern.count else { return nil }
        for index in 0...(bytes.count - pattern.count)
        where bytes[index] == pattern[0] && Array(bytes[index..<(index + pattern.count)]) == pattern {
            return index
        }
        return nil
    }

    private func serviceName(in body: [UInt8]) -> String {
        for pair in body.split(separator: UInt8(ascii: "&")) where pair.starts(with: Array("service=".utf8)) {
            return String(decoding: pair.dropFirst(8), as: UTF8.self)
        }
        return "certificati"
    }

    /// A slot of the service between now and its last bookable day (the hash picks which).
    func slot(for serviceID: String, hash: UInt64) -> Int64 {
        let catalogue = site.catalogue
        guard
            let service = catalogue.service(id: serviceID) ?? catalogue.service(id: "certificati")
                ?? catalogue.services.first
        else { return 0 }
        let now = clock()
        let today = RomeTime.local(now).date
        let days = max(1, service.window.maxDaysAhead + 1)
        for attempt in 0..<days {
            let day = today.adding(days: Int((hash &+ UInt64(attempt)) % UInt64(days)))
            let slots = service.slots(on: day).filter { $0.startInstant > now }
            if !slots.isEmpty { return slots[Int((hash >> 16) % UInt64(slots.count))].startInstant }
        }
        return now
    }

    /// Remembers the hold token, booking code and block id an answer hands out, for the next inputs.
    private func learn(from response: HTTPResponse, route: String, body: [UInt8]) {
        let text = String(decoding: response.body.prefix(200_000), as: UTF8.self)
        func after(_ marker: String, _ allowed: (Character) -> Bool, length: ClosedRange<Int>) -> String? {
            guard let range = text.range(of: marker) else { return nil }
            let value = String(text[range.upperBound...].prefix(while: allowed).prefix(length.upperBound))
            return length.contains(value.count) ? value : nil
        }
        let hex: (Character) -> Bool = { $0.isHexDigit && !$0.isUppercase }
        let hold = after("\"token\":\"", hex, length: 32...32) ?? after("name=\"hold\" value=\"", hex, length: 32...32)
        let code = after("\"code\":\"", { $0.isASCII && ($0.isUppercase || $0.isNumber) }, length: 8...8)
        let block = after("\"blocks\":[{\"id\":", { $0.isASCII && $0.isNumber }, length: 1...18)
        let powSalt =
            after("\"salt\":\"", hex, length: 32...32) ?? after("name=\"pow_salt\" value=\"", hex, length: 32...32)
        let powIssued =
            after("\"issued\":", { $0.isASCII && $0.isNumber }, length: 1...19)
            ?? after("name=\"pow_issued\" value=\"", { $0.isASCII && $0.isNumber }, length: 1...19)
        let powSignature =
            after("\"signature\":\"", hex, length: 64...64)
            ?? after("name=\"pow_signature\" value=\"", hex, length: 64...64)
        var bookedBy: String?
        if route == EndpointRoute.bookings.rawValue, response.status == 201, let fields = try? FormDecoder.decode(body)
        {
            bookedBy = fields["codice_fiscale"]
        }
        learned.withLock { known in
            if let hold { known["hold"] = hold }
            if let code { known["code"] = code }
            if let block { known["block"] = block }
            if let powSalt, let powIssued, let powSignature {
                (known["powsalt"], known["powissued"], known["powsig"]) = (powSalt, powIssued, powSignature)
            }
            if let bookedBy { known["lastcf"] = bookedBy.uppercased() }
        }
    }

    // MARK: Mutating inputs

    static let fieldNames = [
        "service", "slot", "hold", "code", "codice_fiscale", "nome", "cognome", "email", "cellulare", "note",
        "beneficiary", "action", "lang",
        "website", "password", "contatto", "token", "date", "entry", "outcome", "reason", "keep_closed", "from", "to",
        "desks", "desk", "id", "format",
        "cancel_bookings", "pow_salt", "pow_issued", "pow_signature", "pow_nonce",
        // This wave's: the cancel confirmation, carried details, the kept page, contact codes, the office's views.
        "confirm", "carry", "p", "resend", "verification_code", "view", "weeks", "until",
    ]

    /// Extreme integers (the first that overflowed `RomeTime`, Int64's ends, past 64 bits, far dates as
    /// instants), odd dates and times, long and invalid text, and the placeholders.
    static let oddValues: [String] = [
        "9223372036854775807", "9223372036854772208", "9223372036854772207", "-9223372036854775808",
        "-9223372036854775807",
        "18446744073709551616", "99999999999999999999999", "10413792000", "16725225600", "253402300799", "253402300800",
        "-62135596800",
        "0", "-1", "1", "1e9", "0x10", "+1", "%2B1", "%201", "1%00", "9999-12-31", "0000-01-01", "2026-02-30",
        "99999-01-01", "-001-01-01",
        "2026-11-25", "2300-01-01", "24:00", "23:59", "99:99", "-1:00", "08:30", "", "%FF%FE%C3", "%00", "%E2%80%AE",
        "%C3%A9%CC%81",
        "<script>alert(1)</script>", "%27%22%3B--", "done", "absent", "csv", "edit", "en", "it", "xx", "anagrafe",
        "tributi", "certificati",
        "carta-identita", "stato-civile", "nessuno", "@slot", "@hold", "@code", "@cf", "@lastcf", "@mycf", "@token",
        "@block", "@date",
        "@powsalt", "@powissued", "@powsig", "0123456789abcdef0123456789abcdef",
        String(repeating: "A", count: 5_000), String(repeating: "%C3%A8", count: 800),
        String(repeating: "9", count: 400),
    ]

    /// Structure-aware edits (route, flags, one field's name or value) most of the time, byte edits otherwise.
    public static func mutate(_ seed: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        let parts = seed.split(separator: UInt8(ascii: "\n"), maxSplits: 2, omittingEmptySubsequences: false).map(
            Array.init)
        guard parts.count == 3, Int.random(in: 0..<8, using: &rng) > 0 else { return FuzzMutator.mutate(seed, &rng) }
        var (route, flags, body) = (parts[0], parts[1], parts[2])
        switch Int.random(in: 0..<10, using: &rng) {
        case 0:
            route = Array((routes.randomElement(using: &rng) ?? EndpointRoute.holds.rawValue).utf8)
        case 1:
            let flag = Array("jcoOpPexgvmn0123456789".utf8).randomElement(using: &rng) ?? UInt8(ascii: "j")
            if let at = flags.firstIndex(of: flag) { flags.remove(at: at) } else { flags.append(flag) }
        default:
            var pairs = body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false).map(Array.init)
            let value = Array((oddValues.randomElement(using: &rng) ?? "").utf8)
            switch pairs.isEmpty ? 3 : Int.random(in: 0..<6, using: &rng) {
            case 0, 1, 2:
                let index = Int.random(in: 0..<pairs.count, using: &rng)
                let name =
                    pairs[index].split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
                    .first.map(Array.init) ?? []
                pairs[index] = name + [UInt8(ascii: "=")] + value
            case 3:
                pairs.append(
                    Array((fieldNames.randomElement(using: &rng) ?? "slot").utf8) + [UInt8(ascii: "=")] + value)
            case 4:
                pairs.remove(at: Int.random(in: 0..<pairs.count, using: &rng))
            default:
                if !pairs.isEmpty {
                    let index = Int.random(in: 0..<pairs.count, using: &rng)
                    pairs[index] = FuzzMutator.mutate(pairs[index], rounds: 2, &rng)
                }
            }
            body = Array(pairs.joined(separator: [UInt8(ascii: "&")]))
        }
        return route + [10] + flags + [10] + body
    }
}
