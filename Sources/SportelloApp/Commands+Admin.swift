import Foundation
import SportelloCore
import SportelloStore

/// The system administrator's commands: backup, restore, audit, and the deeper forms of `check`.
extension Commands {
    /// `sportello backup FILE`: a consistent copy while `serve` runs (SQLite's online backup API).
    public static func backup(_ options: Options) throws {
        try options.expecting([])
        guard options.positional.count == 1, let destination = options.positional.first else {
            throw Options.UsageError(description: "usage: sportello backup FILE")
        }
        try DatabaseBackup.backup(from: options.databasePath, to: destination)
        let size =
            ((try? FileManager.default.attributesOfItem(atPath: destination))?[.size] as? NSNumber)?.intValue ?? 0
        print("backed up \(options.databasePath) to \(destination) (\(size / 1024) KiB)")
    }

    /// `sportello restore FILE`: refuses while a `serve` holds the database; the database being replaced is
    /// itself backed up first, under backups/ beside it.
    public static func restore(_ options: Options) throws {
        try options.expecting([])
        guard options.positional.count == 1, let source = options.positional.first else {
            throw Options.UsageError(description: "usage: sportello restore FILE")
        }
        let lock = try DatabaseLock.acquire(databasePath: options.databasePath)
        defer { lock.release() }
        _ = try DatabaseBackup.check(source)
        if FileManager.default.fileExists(atPath: options.databasePath) {
            let folder = ((options.databasePath as NSString).deletingLastPathComponent as NSString)
                .appendingPathComponent("backups")
            let saved = (folder as NSString).appendingPathComponent(
                "\((options.databasePath as NSString).lastPathComponent).before-restore.\(currentInstant()).bak")
            try DatabaseBackup.backup(from: options.databasePath, to: saved)
            print("the current database was saved to \(saved)")
        }
        try DatabaseBackup.restore(from: source, into: options.databasePath)
        // Opening it applies any migration the backup is behind on.
        _ = try Database(path: options.databasePath)
        print("restored \(options.databasePath) from \(source). Start serve again: it republishes every page.")
    }

    /// `sportello audit [--since YYYY-MM-DD] [--actor A] [--limit N]`: who did what, oldest first.
    public static func audit(_ options: Options) throws {
        try options.expecting(["--since", "--actor", "--limit"])
        let since = options.named["--since"] == nil ? 0 : OperatorDesk.bounds(of: try date(options, "--since")).0
        let limitText = options.named["--limit"] ?? "1000"
        guard let limit = Int(limitText), (1...1_000_000).contains(limit) else {
            throw Options.UsageError(description: "--limit: \"\(limitText)\" is not a number from 1 to 1000000")
        }
        let database = try Database(path: options.databasePath)
        for entry in try database.auditEntries(since: since, actor: options.named["--actor"], limit: limit) {
            let local = RomeTime.local(entry.at)
            let time = LocalTime(minutes: local.minutes)?.description ?? ""
            print("\(local.date) \(time)\t\(entry.actor)\t\(entry.action)\t\(entry.subject)")
        }
    }

    /// Run as root on an installation that belongs to another user, `build` or `serve` would leave root-owned
    /// pages and database files that the service can no longer replace (bookings answered while the pages
    /// stay stale). Refused, with the command to use instead.
    static func refuseRootOnAnotherUsersFiles(_ options: Options) throws {
        guard geteuid() == 0 else { return }
        for path in [options.outputPath, (options.databasePath as NSString).deletingLastPathComponent]
        where !path.isEmpty {
            var info = stat()
            guard stat(path, &info) == 0, info.st_uid != 0 else { continue }
            let owner = getpwuid(info.st_uid).map { String(cString: $0.pointee.pw_name) } ?? "uid \(info.st_uid)"
            throw Failure(
                description:
                    """
                    you are root, but \(path) belongs to \(owner): files written now would be root's and the service \
                    could no longer update them. Run it as that user: sudo -u \(owner) sportello …
                    """
            )
        }
    }

    /// `check --database`: the confirmed appointments this configuration would strand.
    static func checkDatabase(site: LoadedSite, options: Options) throws -> Int {
        guard FileManager.default.fileExists(atPath: options.databasePath) else {
            print("\(options.databasePath): no database yet, no bookings to check")
            return 0
        }
        // `check` only reads. A database behind this program's schema (checked by the new program during an
        // upgrade, while the old serve still runs on it) is upgraded on a temporary copy, not in place: the
        // upgrade is serve's, after its backup, once the old serve has stopped.
        var path = options.databasePath
        let version = try DatabaseBackup.check(options.databasePath)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sportello-check-\(UUID().uuidString)"
        ).path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        if version < DatabaseBackup.currentSchemaVersion {
            path = "\(scratch)/copy.sqlite"
            try DatabaseBackup.backup(from: options.databasePath, to: path)
            print(
                """
                \(options.databasePath): schema \(version), this program's is \(DatabaseBackup.currentSchemaVersion): \
                checked on an upgraded copy; serve upgrades the database itself when it starts (after a backup into \
                backups/)
                """
            )
        } else if version > DatabaseBackup.currentSchemaVersion {
            throw Failure(
                description:
                    """
                    \(options.databasePath) was written by a newer Sportello (schema \(version), this one knows \
                    \(DatabaseBackup.currentSchemaVersion)): use the newer program
                    """
            )
        }
        let stranded = try strandedBookings(
            site: site, store: BookingStore(database: try Database(path: path)), now: currentInstant())
        if stranded.isEmpty {
            print("\(options.databasePath): every confirmed appointment still fits this configuration")
        } else {
            print(
                """
                \(options.databasePath): \(stranded.count) confirmed appointment(s) no longer fit this configuration; \
                call the citizens or cancel them for the office (sportello cancel-booking CODE --reason …):
                """
            )
            for booking in stranded { print("  " + describe(booking)) }
        }
        return stranded.count
    }

    /// `check --explain ID`: a service's settings as they apply, each with where it comes from (the service
    /// itself, an office above it, or the default), and which season replaces its week when.
    public static func explain(site: LoadedSite, id: String) throws -> String {
        var chain: [ServiceDefinition] = []
        func find(_ definitions: [ServiceDefinition], _ path: [ServiceDefinition]) -> Bool {
            for definition in definitions {
                if definition.id == id {
                    chain = path + [definition]
                    return true
                }
                if find(definition.children, path + [definition]) { return true }
            }
            return false
        }
        guard find(site.configuration.services, []) else {
            throw Options.UsageError(description: "--explain: no office or service has id \"\(id)\"")
        }
        guard let service = site.catalogue.service(id: id) else {
            throw Options.UsageError(
                description:
                    """
                    --explain: \"\(id)\" is an office, not a bookable service; explain one of: \
                    \(site.catalogue.serviceIDs(under: id).joined(separator: ", "))
                    """
            )
        }
        func origin(_ has: (ServiceDefinition) -> Bool) -> String {
            guard let definer = chain.last(where: has) else { return "default" }
            return definer.id == id ? "set here" : "inherited from \(definer.id)"
        }
        func week(_ schedule: [Weekday: [TimeRange]]) -> String {
            Weekday.allCases.compactMap { day in
                schedule[day].map { "\(day.rawValue) \($0.map(\.description).joined(separator: ","))" }
            }.joined(separator: "; ")
        }
        var lines = [
            """
            \(id) (\(service.text.name)); offices above: \
            \(service.ancestorIDs.isEmpty ? "none" : service.ancestorIDs.joined(separator: " › "))
            """
        ]
        lines.append("  slotMinutes      \(service.slotMinutes)  (\(origin { $0.slotMinutes != nil }))")
        if service.desks.isEmpty {
            lines.append("  capacity         \(service.capacity)  (\(origin { $0.capacity != nil }))")
        } else {
            // A desk service's places are its desks, shared with other services (docs/ARCHITECTURE.md §3 "Desks").
            lines.append(
                "  desks            \(service.desks.map(\.name).joined(separator: ", ")); appointment "
                    + "\(service.appointmentMinutes) min, a start every \(service.stepMinutes) min")
        }
        lines.append("  schedule         \(week(service.schedule))  (\(origin { $0.schedule != nil }))")
        lines.append(
            """
              pauses           \
            \(service.pauses.isEmpty ? "none" : service.pauses.map(\.description).joined(separator: ","))  \
            (\(origin { $0.pauses != nil }))
            """
        )
        lines.append(
            """
              window           notice \(service.window.minimumNoticeMinutes) min, \(service.window.maxDaysAhead) days \
            ahead  (\(origin { $0.window != nil }))
            """
        )
        lines.append("  reasonRequired   \(service.reasonRequired)  (\(origin { $0.reasonRequired != nil }))")
        lines.append("  address          \(service.address ?? "none")  (\(origin { $0.address != nil }))")
        if service.seasons.isEmpty {
            lines.append("  seasons          none")
        } else {
            lines.append(
                "  seasons          (\(origin { $0.seasons != nil })); each REPLACES the whole week above on its days:")
            for season in service.seasons {
                let pauses = season.pauses.map { "; pauses \($0.map(\.description).joined(separator: ","))" } ?? ""
                lines.append("    \(season.from)…\(season.to): \(week(season.schedule))\(pauses)")
            }
        }
        let closures = service.closures
        let closureList = closures.map { "\($0.from == $0.to ? "\($0.from)" : "\($0.from)…\($0.to)") \($0.reason)" }
        lines.append("  closures         \(closures.isEmpty ? "none" : closureList.joined(separator: "; "))")
        if let saint = service.patronSaint {
            lines.append(
                """
                  patron saint     \
                \(saint.month < 10 ? "0" : "")\(saint.month)-\(saint.day < 10 ? "0" : "")\(saint.day) closed \
                (\(saint.name))
                """
            )
        }
        let today = RomeTime.local(currentInstant()).date
        let upcoming = (0..<14).map { today.adding(days: $0) }.map { day -> String in
            let slots = service.slots(on: day)
            return "\(day) \(slots.count)"
        }
        lines.append("  slots per day    " + upcoming.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}
