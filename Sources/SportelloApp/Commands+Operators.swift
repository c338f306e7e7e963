import Foundation
import SportelloCore
import SportelloNotify
import SportelloSite
import SportelloStore

/// The office's commands: the same actions as `/api/operator/`, for a terminal on the server. Each takes the
/// operator's token (`--token` or `SPORTELLO_OPERATOR_TOKEN`), so the audit log says who acted.
extension Commands {
    /// An operator command refused, said in words for the terminal.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong and what to do next.
        public let description: String
    }

    /// `sportello operator add NAME --scope anagrafe,tributi | operator list | operator disable NAME`
    public static func operatorAccounts(_ options: Options) throws {
        try options.expecting(["--scope"])
        let site = try LoadedSite(options: options)
        let operators = OperatorStore(database: try Database(path: options.databasePath))
        switch options.positional.first {
        case "add":
            guard options.positional.count == 2 else {
                throw Options.UsageError(description: "usage: sportello operator add NAME --scope ID[,ID…]|*")
            }
            let scope = try options.required("--scope").split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            for id in scope where id != "*" && site.catalogue.serviceIDs(under: id).isEmpty {
                throw Failure(description: "--scope: no office or service has id \"\(id)\"")
            }
            let (account, token) = try operators.create(
                name: options.positional[1], scope: scope, now: currentInstant())
            print("operator \(account.name) created for \(scope.joined(separator: ", ")).")
            print("token (shown only now; hand it over privately): \(token)")
        case "list":
            for (account, disabled) in try operators.list() {
                print("\(account.name)\t\(account.scope.joined(separator: ","))\(disabled ? "\tdisabled" : "")")
            }
        case "disable":
            guard options.positional.count == 2 else {
                throw Options.UsageError(description: "usage: sportello operator disable NAME")
            }
            try operators.disable(name: options.positional[1], now: currentInstant())
            print("operator \(options.positional[1]) disabled: the token no longer works.")
        case "enable":
            guard options.positional.count == 2 else {
                throw Options.UsageError(description: "usage: sportello operator enable NAME")
            }
            try operators.enable(name: options.positional[1], now: currentInstant())
            print("operator \(options.positional[1]) enabled: their token works again.")
        case "token":
            guard options.positional.count == 2 else {
                throw Options.UsageError(description: "usage: sportello operator token NAME")
            }
            let token = try operators.replaceToken(name: options.positional[1], now: currentInstant())
            print(
                "operator \(options.positional[1]): new token (shown only now; the old one no longer works): \(token)")
        default:
            throw Options.UsageError(
                description:
                    """
                    usage: sportello operator add NAME --scope ID[,ID…] | list | disable NAME | enable NAME | token \
                    NAME
                    """
            )
        }
    }

    /// The pieces every operator command needs: the site, the store, the signed-in operator.
    private struct Session {
        let site: LoadedSite
        let store: BookingStore
        let desk: OperatorDesk

        init(_ options: Options) throws {
            site = try LoadedSite(options: options)
            store = BookingStore(database: try Database(path: options.databasePath))
            let token =
                options.named["--token"] ?? ProcessInfo.processInfo.environment["SPORTELLO_OPERATOR_TOKEN"] ?? ""
            guard let account = try OperatorStore(database: store.database).authenticate(token: token) else {
                throw Failure(
                    description:
                        "the operator token is missing, wrong or revoked (give --token or set SPORTELLO_OPERATOR_TOKEN)"
                )
            }
            desk = OperatorDesk(
                catalogue: site.catalogue, store: store, account: account, address: "cli",
                messages: site.configuration.messagePolicy)
        }

        /// Re-renders the public pages an action changed (a running `serve` would also pick them up); the messages
        /// it queued leave with the next delivery pass.
        func publish(_ change: StoreChange) throws {
            try site.makePublisher().publish(
                AfterCommit.pages(of: change, deskPartners: site.catalogue.deskPartners), now: currentInstant(),
                source: StoreOccupancy(store: store, catalogue: site.catalogue))
        }

        func describe(_ error: OperatorDesk.Failure) -> Failure {
            let t = site.renderer.texts(site.configuration.comune.language)
            let code = error.endpointError.rawValue
            return Failure(
                description:
                    """
                    \(t.text("errors.\(code).title")): \(t.text("errors.\(code).message")) \
                    \(t.text("errors.\(code).next")) [\(code)]
                    """
            )
        }
    }

    static func date(_ options: Options, _ name: String = "--date") throws -> CivilDate {
        guard let text = options.named[name] else { return RomeTime.local(currentInstant()).date }
        guard let date = CivilDate(iso: text) else {
            throw Options.UsageError(description: "\(name): \"\(text)\" is not a date (YYYY-MM-DD)")
        }
        return date
    }

    /// `sportello agenda --token T [--date D] [--entry ID] [--csv|--json]`
    public static func agenda(_ options: Options) throws {
        try options.expecting(["--token", "--date", "--entry", "--csv"])
        let session = try Session(options)
        let day = try date(options)
        let result: (bookings: [Booking], blocks: [Block])
        do { result = try session.desk.agenda(entryID: options.named["--entry"], date: day) } catch {
            throw session.describe(error)
        }
        let language = session.site.configuration.comune.language
        let t = session.site.renderer.texts(language)
        if options.flags.contains("--csv") {
            FileHandle.standardOutput.write(
                Data(
                    OperatorController.agendaCSV(
                        result.bookings, answers: try session.store.extraFields(codes: result.bookings.map(\.code)),
                        site: session.site, language: language
                    ).utf8))
            return
        }
        print(t.format("operator.agendaTitle", ["date": t.longDate(day)]))
        if result.bookings.isEmpty { print(t.text("operator.none")) }
        for booking in result.bookings {
            let start = RomeTime.local(booking.slot.start)
            let person = booking.person
            let presenter =
                person.presenterCodiceFiscale.map {
                    "  (\(t.text("operator.presenter")) \(person.presenterName ?? "") \($0))"
                } ?? ""
            print(
                """
                \(LocalTime(minutes: start.minutes)?.description ?? "")  \(booking.slot.serviceID)  \(booking.code)  \
                \(person.givenName) \(person.familyName)  \(person.codiceFiscale)  \
                \(t.text("operator.stateNames.\(booking.state.rawValue)"))\(presenter)
                """
            )
        }
        for block in result.blocks {
            let from = LocalTime(minutes: RomeTime.local(block.startsAt).minutes)?.description ?? ""
            let to = LocalTime(minutes: RomeTime.local(block.endsAt).minutes)?.description ?? ""
            print(
                """
                \(t.text("operator.blocksTitle")) #\(block.id): \(block.serviceID) \(from)–\(to), \
                \(t.text("operator.desks")) \(block.desks)\(block.reason.map { " – \($0)" } ?? "")
                """
            )
        }
    }

    /// `sportello outcome CODE done|absent --token T`
    public static func outcome(_ options: Options) throws {
        try options.expecting(["--token"])
        guard options.positional.count == 2, let outcome = Outcome(rawValue: options.positional[1]) else {
            throw Options.UsageError(description: "usage: sportello outcome CODE done|absent --token T")
        }
        let session = try Session(options)
        do {
            let recorded = try session.desk.recordOutcome(
                code: options.positional[0], outcome: outcome,
                now: currentInstant())
            try session.publish(recorded.change)
            let booking = recorded.value
            print("\(booking.code): \(booking.state.rawValue)")
        } catch let error as OperatorDesk.Failure {
            throw session.describe(error)
        }
    }

    /// `sportello cancel-booking CODE --reason R --token T [--keep-closed]`
    public static func cancelBooking(_ options: Options) throws {
        try options.expecting(["--token", "--reason", "--keep-closed"])
        guard options.positional.count == 1 else {
            throw Options.UsageError(
                description: "usage: sportello cancel-booking CODE --reason R --token T [--keep-closed]")
        }
        let reason = try options.required("--reason")
        let session = try Session(options)
        do {
            let cancelled = try session.desk.cancel(
                code: options.positional[0], reason: reason,
                keepClosed: options.flags.contains("--keep-closed"),
                now: currentInstant())
            try session.publish(cancelled.change)
            let booking = cancelled.value
            let slot = options.flags.contains("--keep-closed") ? " (slot kept closed)" : " (slot free again)"
            print("\(booking.code): \(booking.state.rawValue)\(slot)")
        } catch let error as OperatorDesk.Failure {
            throw session.describe(error)
        }
    }

    /// `sportello block --token T --service S --date D --from HH:MM --to HH:MM [--desks N | --desk NAME]
    /// [--reason R] [--cancel-bookings]`
    public static func block(_ options: Options) throws {
        try options.expecting([
            "--token", "--service", "--date", "--from", "--to", "--desks", "--desk", "--reason", "--cancel-bookings",
        ])
        let service = try options.required("--service")
        let day = try date(options)
        guard let from = LocalTime(parsing: Substring(try options.required("--from"))),
            let to = LocalTime(parsing: Substring(try options.required("--to")))
        else {
            throw Options.UsageError(description: "--from and --to are times (HH:MM)")
        }
        var desks: Int?
        if let text = options.named["--desks"] {
            guard let number = Int(text), number > 0 else {
                throw Options.UsageError(description: "--desks: \"\(text)\" is not a number of desks")
            }
            desks = number
        }
        let session = try Session(options)
        do {
            let blocked = try session.desk.block(
                serviceID: service, date: day, from: from, to: to, desks: desks, deskName: options.named["--desk"],
                reason: options.named["--reason"],
                cancelBookings: options.flags.contains("--cancel-bookings"),
                now: currentInstant())
            try session.publish(blocked.change)
            let (block, affected) = blocked.value
            print(
                "block #\(block.id): \(service) \(day) \(from)–\(to), "
                    + (block.deskName ?? "\(block.desks) desk(s)"))
            for booking in affected {
                print(
                    """
                      affected: \(booking.code) \(booking.person.givenName) \(booking.person.familyName) – \
                    \(booking.state.rawValue)
                    """
                )
            }
        } catch let error as OperatorDesk.Failure {
            throw session.describe(error)
        }
    }

    /// `sportello unblock ID --token T`
    public static func unblock(_ options: Options) throws {
        try options.expecting(["--token"])
        guard options.positional.count == 1, let id = Int64(options.positional[0]) else {
            throw Options.UsageError(description: "usage: sportello unblock ID --token T")
        }
        let session = try Session(options)
        do {
            let removed = try session.desk.unblock(id: id, now: currentInstant())
            try session.publish(removed.change)
            let block = removed.value
            print("block #\(block.id) removed: \(block.serviceID) is bookable again")
        } catch let error as OperatorDesk.Failure {
            throw session.describe(error)
        }
    }

    /// `sportello purge [--before YYYY-MM-DD]`: erases personal data past the retention period (also run daily by
    /// `serve`).
    /// `--before` is the first day kept: a day in the future would erase appointments still to come, so it is
    /// refused; `--dry-run` only counts.
    public static func purge(_ options: Options) throws {
        try options.expecting(["--before", "--dry-run"])
        let site = try LoadedSite(options: options)
        let store = BookingStore(database: try site.openDatabase())
        let now = currentInstant()
        let before =
            try options.named["--before"].map { _ in OperatorDesk.bounds(of: try date(options, "--before")).0 }
            ?? now - Int64(site.configuration.privacy.retentionDays) * 86_400
        guard before <= now else {
            throw Options.UsageError(
                description:
                    """
                    --before \(RomeTime.local(before).date) is in the future: purge erases only appointments that are \
                    over. Give today's date or an earlier one.
                    """
            )
        }
        if options.flags.contains("--dry-run") {
            let count = try store.purgeCandidates(before: before)
            print(
                """
                dry run: would erase the personal data of \(count) bookings ended before \
                \(RomeTime.local(before).date); nothing was changed
                """
            )
            return
        }
        let report = try store.purge(before: before, now: now, actor: "cli")
        print(
            """
            erased the personal data of \(report.bookingsErased) bookings ended before \(RomeTime.local(before).date); \
            deleted \(report.holdsDeleted) holds, \(report.outboxDeleted) notifications and \(report.accountsErased) \
            unused accounts; cleared \(report.auditAddressesErased) audit addresses
            """
        )
    }

    /// `sportello stats [--from D] [--to D] [--token T]`: per-service figures as CSV on standard output. With an
    /// operator's token (or `SPORTELLO_OPERATOR_TOKEN`), only the services in their scope; without, every service
    /// (the administrator on the server).
    public static func statistics(_ options: Options) throws {
        try options.expecting(["--from", "--to", "--token"])
        let site = try LoadedSite(options: options)
        let store = BookingStore(database: try Database(path: options.databasePath))
        var services: Set<String>?
        if let token = options.named["--token"] ?? ProcessInfo.processInfo.environment["SPORTELLO_OPERATOR_TOKEN"] {
            guard let account = try OperatorStore(database: store.database).authenticate(token: token) else {
                throw Failure(
                    description:
                        """
                        the operator token is wrong or revoked (leave out --token and SPORTELLO_OPERATOR_TOKEN for \
                        every service)
                        """
                )
            }
            services = Set(account.serviceIDs(in: site.catalogue))
        }
        let today = RomeTime.local(currentInstant()).date
        let from = options.named["--from"] == nil ? today.adding(days: -30) : try date(options, "--from")
        let to = options.named["--to"] == nil ? today : try date(options, "--to")
        FileHandle.standardOutput.write(
            Data(
                try OperatorController.statisticsCSV(
                    store: store, from: from, to: to,
                    services: services
                ).utf8))
    }
}
