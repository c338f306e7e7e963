import Foundation
import Synchronization

/// Everything a comune configures, as read from `sportello.json`. See README "Configuration".
public struct SiteConfiguration: Sendable {
    /// Who the site is for: name, address of the site, languages, contacts.
    public var comune: ComuneSettings
    /// How booking works: hold length, weeks published, accounts, per-person limits, no-show policy.
    public var booking: BookingSettings
    /// How long personal data is kept.
    public var privacy: PrivacySettings
    /// Certified identity (SPID/CIE) passed by the comune's authenticating proxy; nil = not used.
    public var identity: IdentityHeaders?
    /// Mail and SMS: sender, channels, reminders, retries.
    public var notifications: NotificationSettings
    /// Days the whole comune or some offices are closed, on top of the national holidays.
    public var closures: [Closure]
    /// The service tree as written: offices with their services, settings not yet inherited.
    public var services: [ServiceDefinition]
    /// What one client may take: live holds, bookings, registrations and resets per day.
    public var limits = LimitSettings()
    /// Where published pages go besides `output/` (an S3-compatible bucket for a CDN); nil = only `output/`.
    public var objectStorage: ObjectStorageSettings?
    /// Litestream replicates the database and owns its write-ahead log (`replication.litestream`): Sportello's
    /// checkpoints are passive, never waiting for Litestream's lock.
    public var replicatedByLitestream = false

    /// The languages Sportello has translations for; `comune.languages` must be among them.
    public static let supportedLanguages = ["it", "en"]
}

extension SiteConfiguration {
    /// Reads and validates a configuration file. Errors name the exact path of the problem.
    public static func load(path: String) throws(ConfigurationError) -> SiteConfiguration {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            // In words, with what to do: Foundation's own text ("The operation could not be completed…") says
            // neither.
            let reason: String
            if !FileManager.default.fileExists(atPath: path) {
                reason =
                    "there is no such file (give --config PATH, or set SPORTELLO_CONFIG, "
                    + "or SPORTELLO_ROOT to the installation folder)"
            } else if !FileManager.default.isReadableFile(atPath: path) {
                reason = "permission denied (run the command as the service's user, such as sudo -u sportello)"
            } else {
                reason = error.localizedDescription
            }
            throw ConfigurationError(path: "", message: "cannot read \(path): \(reason)")
        }
        return try parse(data)
    }

    /// Parses and validates configuration text (as `load(path:)` does after reading the file); errors name the path.
    public static func parse(_ data: Data) throws(ConfigurationError) -> SiteConfiguration {
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch {
            throw ConfigurationError(path: "", message: "not valid JSON: \(Self.describe(error))")
        }
        let configuration = try read(ConfigNode(value: json, path: ""))
        try configuration.validate()
        return configuration
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            if let underlying = context.underlyingError { return "\(underlying)" }
            return context.debugDescription
        }
        return "\(error)"
    }

    private static func read(_ root: ConfigNode) throws(ConfigurationError) -> SiteConfiguration {
        let object = try root.object(allowedKeys: [
            "comune", "booking", "privacy", "identity", "notifications", "closures", "services", "limits",
            "publish", "replication",
        ])
        let comune = try readComune(object["comune"])
        let booking =
            try object.optional("booking").map { node throws(ConfigurationError) in try readBooking(node) }
            ?? BookingSettings()
        var privacy = PrivacySettings()
        if let node = object.optional("privacy") {
            let privacyObject = try node.object(allowedKeys: ["retentionDays"])
            if let days = privacyObject.optional("retentionDays") { privacy.retentionDays = try days.int(in: 1...3650) }
        }
        let closures =
            try object.optional("closures").map { node throws(ConfigurationError) in try readClosures(node) } ?? []
        let serviceNodes = try object["services"].array()
        if serviceNodes.isEmpty { throw object["services"].fail("at least one service is needed") }
        let services = try readServices(serviceNodes, languages: comune.languages)
        var identity: IdentityHeaders?
        if let node = object.optional("identity") {
            let headers = try node.object(allowedKeys: [
                "codiceFiscale", "givenName", "familyName", "email", "phone", "localAccounts", "spidLoginURL",
                "cieLoginURL", "proxySecretHeader", "proxySecret", "proxySecretFile",
            ])
            var value = IdentityHeaders()
            if let name = headers.optional("codiceFiscale") { value.codiceFiscale = try name.string() }
            if let name = headers.optional("givenName") { value.givenName = try name.string() }
            if let name = headers.optional("familyName") { value.familyName = try name.string() }
            if let name = headers.optional("email") { value.email = try name.string() }
            if let name = headers.optional("phone") { value.phone = try name.string() }
            if let flag = headers.optional("localAccounts") { value.localAccounts = try flag.bool() }
            for (key, path) in [
                ("spidLoginURL", \IdentityHeaders.spidLoginURL), ("cieLoginURL", \IdentityHeaders.cieLoginURL),
            ] {
                guard let node = headers.optional(key) else { continue }
                let url = try node.string()
                // A path on the site's host or an https address: never a script or another scheme.
                guard url.hasPrefix("/") && !url.hasPrefix("//") || url.hasPrefix("https://") else {
                    throw node.fail("\"\(url)\" is not a path (\"/auth/spid/login\") or an https address")
                }
                value[keyPath: path] = url
            }
            if let name = headers.optional("proxySecretHeader") { value.proxySecretHeader = try name.string() }
            if let secret = headers.optional("proxySecret") { value.proxySecret = try secret.string() }
            if let file = headers.optional("proxySecretFile") {
                let path = try file.string()
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw file.fail(
                        "cannot read the proxy secret from \(path): "
                            + "check that it exists and that the service's user may read it"
                    )
                }
                value.proxySecret = text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if value.proxySecret.count < IdentityHeaders.minimumSecretLength {
                throw node.fail(
                    "identity needs the secret the authenticating proxy sends (proxySecret or proxySecretFile), "
                        + "at least \(IdentityHeaders.minimumSecretLength) characters; see README \"Security\""
                )
            }
            identity = value
        }
        var notifications = NotificationSettings()
        if let node = object.optional("notifications") {
            let settings = try node.object(allowedKeys: [
                "from", "fromName", "email", "sendmailPath", "sms", "smsCommand", "reminderHoursBefore", "maxAttempts",
                "io", "webhook", "smtp",
            ])
            if let value = settings.optional("from") {
                notifications.from = try value.string()
                if (try? FieldValidator.email(notifications.from)) == nil {
                    throw value.fail("\"\(notifications.from)\" is not an email address")
                }
            }
            if let value = settings.optional("fromName") { notifications.fromName = try value.string() }
            if let value = settings.optional("email") { notifications.email = try value.bool() }
            if let value = settings.optional("sendmailPath") { notifications.sendmailPath = try value.string() }
            if let value = settings.optional("smtp") {
                let text = try value.string()
                guard let address = SMTPServerAddress(text) else {
                    throw value.fail(
                        "\"\(text)\" is not an SMTP server: write host:port, e.g. \"127.0.0.1:25\" or \"[::1]:25\"")
                }
                notifications.smtp = address
            }
            if let value = settings.optional("sms") { notifications.sms = try value.bool() }
            if let value = settings.optional("smsCommand") {
                notifications.smsCommand = []
                for item in try value.array() { notifications.smsCommand.append(try item.string()) }
            }
            if notifications.sms && notifications.smsCommand.isEmpty {
                throw settings.optional("sms")?.fail(
                    "SMS is on but \"smsCommand\" is missing: give the gateway command, "
                        + "e.g. [\"/usr/local/bin/invia-sms\"]"
                )
                    ?? ConfigurationError(path: "notifications", message: "smsCommand is missing")
            }
            if let value = settings.optional("reminderHoursBefore") {
                notifications.reminderHoursBefore = try value.int(in: 0...(24 * 14))
            }
            if let value = settings.optional("maxAttempts") { notifications.maxAttempts = try value.int(in: 1...100) }
            if let value = settings.optional("io") { notifications.io = try readIO(value, services: services) }
            if let value = settings.optional("webhook") { notifications.webhook = try readWebhook(value) }
        }
        var configuration = SiteConfiguration(
            comune: comune, booking: booking, privacy: privacy, identity: identity, notifications: notifications,
            closures: closures, services: services)
        if let node = object.optional("limits") { configuration.limits = try readLimits(node) }
        if let node = object.optional("publish") {
            let publish = try node.object(allowedKeys: ["s3"])
            if let s3 = publish.optional("s3") { configuration.objectStorage = try readObjectStorage(s3) }
        }
        if let node = object.optional("replication") {
            let replication = try node.object(allowedKeys: ["litestream"])
            if let flag = replication.optional("litestream") { configuration.replicatedByLitestream = try flag.bool() }
        }
        return configuration
    }

    private static func readObjectStorage(_ node: ConfigNode) throws(ConfigurationError) -> ObjectStorageSettings {
        let object = try node.object(allowedKeys: [
            "bucket", "endpoint", "prefix", "region", "provider",
            "credentialsFile", "rclonePath", "stateFile",
        ])
        let bucketNode = object["bucket"]
        let bucket = try bucketNode.string()
        // S3 bucket names: 3 to 63 lowercase letters, digits, dots and hyphens.
        let allowed = { (byte: UInt8) in
            (0x61...0x7a).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2e || byte == 0x2d
        }
        guard (3...63).contains(bucket.count), bucket.utf8.allSatisfy(allowed) else {
            throw bucketNode.fail(
                "\"\(bucket)\" is not a bucket name "
                    + "(3 to 63 lowercase letters, digits, dots and hyphens)")
        }
        let endpointNode = object["endpoint"]
        let endpoint = try endpointNode.string()
        guard endpoint.hasPrefix("https://") || endpoint.hasPrefix("http://"),
            !endpoint.contains(where: \.isWhitespace), !endpoint.contains(",")
        else {
            throw endpointNode.fail(
                "\"\(endpoint)\" is not the bucket service's address "
                    + "(such as https://s3.provider.example)")
        }
        var settings = ObjectStorageSettings(bucket: bucket, endpoint: endpoint)
        if let value = object.optional("prefix") {
            var prefix = try value.string()
            while prefix.hasSuffix("/") { prefix.removeLast() }
            while prefix.hasPrefix("/") { prefix.removeFirst() }
            guard !prefix.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
                throw value.fail("\"\(prefix)\" may not contain \".\" or \"..\" parts")
            }
            settings.prefix = prefix
        }
        for (key, path) in [("region", \ObjectStorageSettings.region), ("provider", \ObjectStorageSettings.provider)] {
            guard let value = object.optional(key) else { continue }
            let text = try value.string()
            let plain = text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f && $0 != 0x2c && $0 != 0x3a && $0 != 0x27 }
            guard !text.isEmpty, plain else {
                let example = key == "region" ? "eu-south-1" : "Other"
                throw value.fail("\"\(text)\" is not a \(key) name (such as \(example))")
            }
            settings[keyPath: path] = text
        }
        if let value = object.optional("credentialsFile") { settings.credentialsFile = try value.string() }
        if let value = object.optional("rclonePath") { settings.rclonePath = try value.string() }
        if let value = object.optional("stateFile") { settings.stateFile = try value.string() }
        return settings
    }

    private static func readLimits(_ node: ConfigNode) throws(ConfigurationError) -> LimitSettings {
        let counts: [(String, WritableKeyPath<LimitSettings, Int>)] = [
            ("holdsPerClient", \.holdsPerClient), ("bookingsPerAddressPerDay", \.bookingsPerAddressPerDay),
            ("bookingsPerContactPerDay", \.bookingsPerContactPerDay),
            ("registrationsPerAddressPerDay", \.registrationsPerAddressPerDay),
            ("registrationsPerContactPerDay", \.registrationsPerContactPerDay),
            ("credentialResetsPerAddressPerDay", \.credentialResetsPerAddressPerDay),
            ("credentialResetsPerContactPerDay", \.credentialResetsPerContactPerDay),
            ("mailPerRecipientPerDay", \.mailPerRecipientPerDay),
            ("smsPerRecipientPerDay", \.smsPerRecipientPerDay),
        ]
        let object = try node.object(allowedKeys: Set(counts.map(\.0) + ["smsCountryCodes", "proofOfWork"]))
        var limits = LimitSettings()
        for (key, path) in counts {
            if let value = object.optional(key) { limits[keyPath: path] = try value.int(in: 0...1_000_000) }
        }
        if let value = object.optional("smsCountryCodes") {
            limits.smsCountryCodes = []
            for item in try value.array() {
                let code = try item.string()
                guard (1...3).contains(code.count), code.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                    !code.hasPrefix("0")
                else {
                    throw item.fail("\"\(code)\" is not a country calling code (digits without \"+\", e.g. \"39\")")
                }
                limits.smsCountryCodes.append(code)
            }
        }
        if let value = object.optional("proofOfWork") {
            let settings = try value.object(allowedKeys: ["bits", "waitSeconds"])
            var proof = ProofOfWorkSettings()
            if let bits = settings.optional("bits") { proof.bits = try bits.int(in: 1...28) }
            if let wait = settings.optional("waitSeconds") { proof.waitSeconds = try wait.int(in: 1...600) }
            limits.proofOfWork = proof
        }
        return limits
    }

    private static func readComune(_ node: ConfigNode) throws(ConfigurationError) -> ComuneSettings {
        let object = try node.object(allowedKeys: [
            "name", "baseURL", "languages", "timeZone", "tollFreeNumber", "phone", "email", "website", "patronSaint",
        ])
        let baseURLNode = object["baseURL"]
        var baseURL = try baseURLNode.string()
        while baseURL.hasSuffix("/") { baseURL.removeLast() }
        guard let normalized = ComuneSettings.normalizedBaseURL(baseURL) else {
            throw baseURLNode.fail(
                "\"\(baseURL)\" is not an http(s) address such as https://prenota.comune.example.it "
                    + "(no user, query or fragment)"
            )
        }
        baseURL = normalized
        var languages = ["it"]
        if let languagesNode = object.optional("languages") {
            languages = []
            for item in try languagesNode.array() {
                let language = try item.string()
                guard supportedLanguages.contains(language) else {
                    throw item.fail(
                        "\"\(language)\" is not a supported language (\(supportedLanguages.joined(separator: ", ")))")
                }
                if languages.contains(language) { throw item.fail("\"\(language)\" is listed twice") }
                languages.append(language)
            }
            if languages.isEmpty { throw languagesNode.fail("list at least one language") }
        }
        let timeZone = try object.optional("timeZone")?.string() ?? RomeTime.identifier
        if timeZone != RomeTime.identifier {
            throw object["timeZone"].fail("only \"\(RomeTime.identifier)\" is supported (Italian civil time)")
        }
        var patron: PatronSaint?
        if let patronNode = object.optional("patronSaint") {
            let patronObject = try patronNode.object(allowedKeys: ["date", "name"])
            let dateNode = patronObject["date"]
            let text = try dateNode.string()
            let parts = text.split(separator: "-")
            guard parts.count == 2, let month = Int(parts[0]), let day = Int(parts[1]),
                CivilDate(year: 2024, month: month, day: day) != nil
            else {
                throw dateNode.fail("\"\(text)\" is not a day of the year (MM-DD)")
            }
            patron = PatronSaint(month: month, day: day, name: try patronObject["name"].string())
        }
        return ComuneSettings(
            name: try object["name"].string(), baseURL: baseURL, languages: languages, timeZone: timeZone,
            tollFreeNumber: try object.optional("tollFreeNumber")?.string(),
            phone: try object.optional("phone")?.string(),
            email: try object.optional("email")?.string(), website: try object.optional("website")?.string(),
            patronSaint: patron)
    }

    private static func readBooking(_ node: ConfigNode) throws(ConfigurationError) -> BookingSettings {
        let object = try node.object(allowedKeys: [
            "holdMinutes", "weeksPublished", "requireAccount", "maxActiveBookingsPerPerson",
            "requestsPerMinutePerAddress", "trustedProxies", "noShowPolicy", "verifyContact",
        ])
        var settings = BookingSettings()
        if let node = object.optional("noShowPolicy") {
            let policy = try node.object(allowedKeys: ["absences", "withinDays", "blockDays"])
            settings.noShowPolicy = NoShowPolicy(
                absences: try policy["absences"].int(in: 1...100),
                withinDays: try policy["withinDays"].int(in: 1...3650),
                blockDays: try policy["blockDays"].int(in: 1...3650))
        }
        if let value = object.optional("holdMinutes") { settings.holdMinutes = try value.int(in: 1...120) }
        if let value = object.optional("weeksPublished") { settings.weeksPublished = try value.int(in: 1...104) }
        if let value = object.optional("requireAccount") { settings.requireAccount = try value.bool() }
        if let value = object.optional("verifyContact") { settings.verifyContact = try value.bool() }
        if let value = object.optional("requestsPerMinutePerAddress") {
            settings.requestsPerMinutePerAddress = try value.int(in: 0...1_000_000)
        }
        if let value = object.optional("trustedProxies") {
            settings.trustedProxies = []
            for item in try value.array() {
                let text = try item.string()
                guard AddressRange(parsing: text) != nil else {
                    throw item.fail(
                        "\"\(text)\" is not an IP address or network (such as 127.0.0.1, ::1 or 10.0.0.0/8); "
                            + "host names are not accepted, since a proxy is known by the address it connects from"
                    )
                }
                settings.trustedProxies.append(text)
            }
        }
        if object.fields["maxActiveBookingsPerPerson"] == .null
            && object.fields.keys.contains("maxActiveBookingsPerPerson")
        {
            settings.maxActiveBookingsPerPerson = nil
        } else if let value = object.optional("maxActiveBookingsPerPerson") {
            settings.maxActiveBookingsPerPerson = try value.int(in: 1...1000)
        }
        return settings
    }

    private static func readClosures(_ node: ConfigNode) throws(ConfigurationError) -> [Closure] {
        var closures: [Closure] = []
        for item in try node.array() {
            let object = try item.object(allowedKeys: ["date", "from", "to", "reason", "services"])
            let from: CivilDate
            let to: CivilDate
            if let date = object.optional("date") {
                if object.has("from") || object.has("to") {
                    throw item.fail("give either \"date\" or \"from\"/\"to\", not both")
                }
                from = try date.date()
                to = from
            } else {
                from = try object["from"].date()
                to = try object["to"].date()
                if to < from { throw object["to"].fail("\(to) is before \"from\" (\(from))") }
            }
            var serviceIDs: [String] = []
            if let services = object.optional("services") {
                for service in try services.array() { serviceIDs.append(try service.string()) }
            }
            closures.append(Closure(from: from, to: to, reason: try object["reason"].string(), serviceIDs: serviceIDs))
        }
        return closures
    }

    private static let serviceKeys: Set<String> = [
        "id", "name", "description", "documents", "reasonLabel", "translations", "address", "coordinates", "phone",
        "email",
        "slotMinutes", "capacity", "schedule", "pauses", "seasons", "window", "reasonRequired", "verifyContact",
        "closures", "children",
        "desks", "appointmentMinutes", "stepMinutes",
        "officeNotifications", "approval", "staffOnly", "extraFields",
    ]

    /// Most desks one office may declare (and one service may use).
    public static let maximumDesks = 50
    /// The longest `appointmentMinutes`: the store's overlap query looks this far back from a start.
    public static let longestAppointmentMinutes = 480

    /// A list of desk names: non-empty, unique, at most `maximumDesks`, each a short single line.
    private static func readDeskNames(_ node: ConfigNode) throws(ConfigurationError) -> [String] {
        let items = try node.array()
        if items.isEmpty {
            throw node.fail(
                "list at least one desk (such as [\"Sportello 1\", \"Sportello 2\"]), or leave \"desks\" out")
        }
        if items.count > maximumDesks {
            throw node.fail("\(items.count) desks are more than the \(maximumDesks) allowed")
        }
        var names: [String] = []
        for item in items {
            let name = try item.string()
            let isControl = { (scalar: Unicode.Scalar) in scalar.properties.generalCategory == .control }
            guard name.count <= 64, !name.unicodeScalars.contains(where: isControl) else {
                throw item.fail("\"\(name)\" is not a desk name: use at most 64 characters on one line")
            }
            if names.contains(name) { throw item.fail("\"\(name)\" is listed twice; desk names must be unique") }
            names.append(name)
        }
        return names
    }

    /// `stepMinutes` must keep starts on the clock a citizen expects: a divisor of an hour or whole hours.
    private static func readStepMinutes(_ node: ConfigNode) throws(ConfigurationError) -> Int {
        let step = try node.int(in: 5...480)
        guard 60 % step == 0 || step % 60 == 0 else {
            throw node.fail(
                "\(step) minutes does not divide an hour: use 5, 6, 10, 12, 15, 20, 30 or a whole number of hours")
        }
        return step
    }

    private static func readSchedule(_ node: ConfigNode) throws(ConfigurationError) -> [Weekday: [TimeRange]] {
        let scheduleObject = try node.object(allowedKeys: Set(Weekday.allCases.map(\.rawValue)))
        var days: [Weekday: [TimeRange]] = [:]
        for weekday in Weekday.allCases {
            guard let dayNode = scheduleObject.optional(weekday.rawValue) else { continue }
            var ranges: [TimeRange] = []
            for rangeNode in try dayNode.array() {
                let range = try rangeNode.timeRange()
                if let clash = ranges.first(where: { $0.overlaps(range) }) {
                    throw rangeNode.fail("\"\(range)\" overlaps \"\(clash)\"")
                }
                ranges.append(range)
            }
            days[weekday] = ranges.sorted { $0.start < $1.start }
        }
        return days
    }

    private static func readPauses(_ node: ConfigNode) throws(ConfigurationError) -> [TimeRange] {
        var pauses: [TimeRange] = []
        for item in try node.array() { pauses.append(try item.timeRange()) }
        return pauses
    }

    private static func readMonthDay(_ node: ConfigNode) throws(ConfigurationError) -> MonthDay {
        let text = try node.string()
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let month = Int(parts[0]),
            let day = Int(parts[1]),
            CivilDate(year: 2024, month: month, day: day) != nil
        else {
            throw node.fail("\"\(text)\" is not a day of the year (MM-DD, e.g. \"07-01\")")
        }
        return MonthDay(month: month, day: day)
    }

    private static func readSeasons(_ node: ConfigNode) throws(ConfigurationError) -> [Season] {
        var seasons: [Season] = []
        for item in try node.array() {
            let object = try item.object(allowedKeys: ["from", "to", "schedule", "pauses"])
            let season = Season(
                from: try readMonthDay(object["from"]), to: try readMonthDay(object["to"]),
                schedule: try readSchedule(object["schedule"]),
                pauses: try object.optional("pauses").map { node throws(ConfigurationError) in try readPauses(node) })
            if let clash = seasons.first(where: { other in
                other.covers(season.from) || other.covers(season.to) || season.covers(other.from)
                    || season.covers(other.to)
            }) {
                throw item.fail("\(season.from)…\(season.to) overlaps the season \(clash.from)…\(clash.to)")
            }
            seasons.append(season)
        }
        return seasons
    }

    private static func readText(_ object: ConfigObject) throws(ConfigurationError) -> ServiceText {
        var documents: [String] = []
        if let node = object.optional("documents") {
            for item in try node.array() { documents.append(try item.string()) }
        }
        return ServiceText(
            name: try object["name"].string(),
            description: try object.optional("description")?.string(allowEmpty: true) ?? "",
            documents: documents,
            reasonLabel: try object.optional("reasonLabel")?.string())
    }

    /// The top-level entries of `services`, each read on its own and all on every core at once (a big comune lists
    /// hundreds of offices, and every start reads them); the error reported is the first in the file's order, as
    /// when they were read one after another.
    private static func readServices(
        _ nodes: [ConfigNode], languages: [String]
    ) throws(ConfigurationError) -> [ServiceDefinition] {
        let read = Mutex([Result<ServiceDefinition, ConfigurationError>?](repeating: nil, count: nodes.count))
        DispatchQueue.concurrentPerform(iterations: nodes.count) { index in
            let service = Result { () throws(ConfigurationError) in
                try readService(nodes[index], languages: languages)
            }
            read.withLock { $0[index] = service }
        }
        var services: [ServiceDefinition] = []
        services.reserveCapacity(nodes.count)
        for service in read.withLock({ $0 }) {
            guard let service else { continue }
            services.append(try service.get())
        }
        return services
    }

    private static func readService(
        _ node: ConfigNode, languages: [String]
    ) throws(ConfigurationError) -> ServiceDefinition {
        let object = try node.object(allowedKeys: serviceKeys)
        let idNode = object["id"]
        let id = try idNode.string()
        guard id.count <= 64,
            id.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }),
            id.first != "-", id.last != "-"
        else {
            throw idNode.fail(
                "\"\(id)\" is not a valid id: use lowercase letters, digits and dashes "
                    + "(it becomes part of the page address)"
            )
        }
        var translations: [String: ServiceText] = [:]
        if let translationsNode = object.optional("translations") {
            // A language dropped from comune.languages leaves its translations behind: say which list to fix.
            if case .object(let fields) = translationsNode.value,
                let stray = fields.keys.sorted().first(where: { !languages.dropFirst().contains($0) })
            {
                throw translationsNode.child(stray, in: fields).fail(
                    languages.first == stray
                        ? "\"\(stray)\" is the main language (the first of comune.languages): "
                            + "its text is the service's own name and description"
                        : "\"\(stray)\" is not one of comune.languages (\(languages.joined(separator: ", "))): "
                            + "add it there, or remove this translation"
                )
            }
            let translationsObject = try translationsNode.object(allowedKeys: Set(languages.dropFirst()))
            for language in languages.dropFirst() {
                if let textNode = translationsObject.optional(language) {
                    translations[language] = try readText(
                        try textNode.object(allowedKeys: ["name", "description", "documents", "reasonLabel"]))
                }
            }
        }
        var coordinates: Coordinates?
        if let node = object.optional("coordinates") {
            let coordinateObject = try node.object(allowedKeys: ["lat", "lon"])
            coordinates = Coordinates(
                latitude: try coordinateObject["lat"].double(in: -90...90),
                longitude: try coordinateObject["lon"].double(in: -180...180))
        }
        let schedule = try object.optional("schedule").map { node throws(ConfigurationError) in try readSchedule(node) }
        let pauses = try object.optional("pauses").map { node throws(ConfigurationError) in try readPauses(node) }
        let seasons = try object.optional("seasons").map { node throws(ConfigurationError) in try readSeasons(node) }
        var window: BookingWindow?
        if let node = object.optional("window") {
            let windowObject = try node.object(allowedKeys: ["minimumNoticeMinutes", "maxDaysAhead"])
            var value = BookingWindow()
            if let notice = windowObject.optional("minimumNoticeMinutes") {
                value.minimumNoticeMinutes = try notice.int(in: 0...(60 * 24 * 60))
            }
            if let days = windowObject.optional("maxDaysAhead") { value.maxDaysAhead = try days.int(in: 0...730) }
            window = value
        }
        var children: [ServiceDefinition] = []
        if let node = object.optional("children") {
            for child in try node.array() { children.append(try readService(child, languages: languages)) }
        }
        return ServiceDefinition(
            id: id, text: try readText(object), translations: translations,
            address: try object.optional("address")?.string(), coordinates: coordinates,
            phone: try object.optional("phone")?.string(), email: try object.optional("email")?.string(),
            slotMinutes: try object.optional("slotMinutes")?.int(in: 5...480),
            capacity: try object.optional("capacity")?.int(in: 1...50),
            schedule: schedule, pauses: pauses, seasons: seasons, window: window,
            reasonRequired: try object.optional("reasonRequired")?.bool(),
            verifyContact: try object.optional("verifyContact")?.bool(),
            closures: try object.optional("closures").map { node throws(ConfigurationError) in try readClosures(node) }
                ?? [],
            children: children,
            desks: try object.optional("desks").map { node throws(ConfigurationError) in try readDeskNames(node) },
            appointmentMinutes: try object.optional("appointmentMinutes")?.int(in: 5...longestAppointmentMinutes),
            stepMinutes: try object.optional("stepMinutes").map { node throws(ConfigurationError) in
                try readStepMinutes(node)
            },
            officeNotifications: try object.optional("officeNotifications").map {
                node throws(ConfigurationError) in try readOfficeNotifications(node)
            },
            approval: try object.optional("approval").map { node throws(ConfigurationError) in
                try readApproval(node)
            },
            staffOnly: try object.optional("staffOnly")?.bool(),
            extraFields: try object.optional("extraFields").map { node throws(ConfigurationError) in
                try readExtraFields(node, languages: languages)
            })
    }

    /// `"approval": {"required": true, "expiresHoursBefore": 24}` (docs/ARCHITECTURE.md §3 "Approval and staff-only services").
    private static func readApproval(_ node: ConfigNode) throws(ConfigurationError) -> ApprovalSettings {
        let object = try node.object(allowedKeys: ["required", "expiresHoursBefore"])
        var settings = ApprovalSettings(required: try object["required"].bool())
        if let hours = object.optional("expiresHoursBefore") {
            settings.expiresHoursBefore = try hours.int(in: 0...ApprovalSettings.longestExpiryHours)
        }
        return settings
    }

    /// `officeNotifications` of a service or office: one email address.
    private static func readOfficeNotifications(_ node: ConfigNode) throws(ConfigurationError) -> String {
        let address = try node.string()
        guard let valid = try? FieldValidator.email(address) else {
            throw node.fail(
                "\"\(address)\" is not an email address: give the office's mailbox, such as anagrafe@comune.example.it")
        }
        return valid
    }

    /// Checks that need the whole file: unique ids, closures naming real services, bookable leaves complete.
    private func validate() throws(ConfigurationError) {
        var seen: Set<String> = []
        func walk(
            _ definitions: [ServiceDefinition], path: String, inherited: ServiceDefinition?
        ) throws(ConfigurationError) {
            for (index, definition) in definitions.enumerated() {
                let here = "\(path)[\(index)]"
                if !seen.insert(definition.id).inserted {
                    throw ConfigurationError(
                        path: "\(here).id",
                        message: "\"\(definition.id)\" is used by another service; ids must be unique")
                }
                let effective = definition.inheriting(from: inherited)
                try Self.checkDesks(of: definition, effective: effective, path: here)
                if definition.children.isEmpty {
                    if effective.schedule == nil {
                        throw ConfigurationError(
                            path: here, message: "a bookable service needs a \"schedule\" (here or on its office)")
                    }
                    if effective.slotMinutes == nil {
                        throw ConfigurationError(
                            path: here, message: "a bookable service needs \"slotMinutes\" (here or on its office)")
                    }
                } else {
                    try walk(definition.children, path: "\(here).children", inherited: effective)
                }
            }
        }
        try walk(services, path: "services", inherited: nil)
        func checkClosures(_ closures: [Closure], path: String) throws(ConfigurationError) {
            for (index, closure) in closures.enumerated() {
                for (serviceIndex, id) in closure.serviceIDs.enumerated() where !seen.contains(id) {
                    throw ConfigurationError(
                        path: "\(path)[\(index)].services[\(serviceIndex)]", message: "no service has id \"\(id)\"")
                }
            }
        }
        try checkClosures(closures, path: "closures")
    }

    /// An office's desks must not reuse a name an office above it declares (a service names desks by name
    /// alone); a service's desks must be declared above it; lengths and steps only mean something with desks.
    private static func checkDesks(
        of definition: ServiceDefinition, effective: ServiceDefinition,
        path: String
    ) throws(ConfigurationError) {
        let names = definition.desks ?? []
        if !definition.children.isEmpty {
            for (index, name) in names.enumerated() {
                if let outer = effective.ancestorDesks.first(where: { $0.name == name }) {
                    throw ConfigurationError(
                        path: "\(path).desks[\(index)]",
                        message: "\"\(name)\" is already a desk of the office \"\(outer.office)\"; "
                            + "give this desk another name")
                }
            }
            return
        }
        for (index, name) in names.enumerated() where !effective.ancestorDesks.contains(where: { $0.name == name }) {
            let known = effective.ancestorDesks.map { "\"\($0.name)\"" }.joined(separator: ", ")
            throw ConfigurationError(
                path: "\(path).desks[\(index)]",
                message: known.isEmpty
                    ? "\"\(name)\" is not a desk: declare the desks on the office "
                        + "(\"desks\": [\"\(name)\", …] on the service's parent)"
                    : "\"\(name)\" is not a desk of this service's offices (\(known))")
        }
        let deskOnly = [("appointmentMinutes", definition.appointmentMinutes), ("stepMinutes", definition.stepMinutes)]
        if names.isEmpty, let key = deskOnly.first(where: { $0.1 != nil })?.0 {
            throw ConfigurationError(
                path: "\(path).\(key)",
                message: "only a service served by desks has \"\(key)\": add \"desks\", or use \"slotMinutes\"")
        }
    }
}
