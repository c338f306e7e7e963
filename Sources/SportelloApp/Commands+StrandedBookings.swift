import Dispatch
import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import Synchronization

extension Commands {
    /// A confirmed booking the configuration no longer offers: its service removed, its day closed, or its
    /// time outside the new hours. Found by `check --database`; `serve` and `build` warn about them.
    public struct StrandedBooking: Sendable, Equatable {
        /// The booking code, for the operator to contact the citizen.
        public let code: String
        /// The catalogue id the booking was made for.
        public let serviceID: String
        /// Start of the appointment, unix seconds.
        public let start: Int64
        /// Why the configuration no longer offers it, in words.
        public let reason: String
    }

    /// The confirmed bookings from `now` on that `site`'s configuration no longer offers.
    public static func strandedBookings(site: LoadedSite, store: BookingStore, now: Int64) throws -> [StrandedBooking] {
        strandedBookings(site: site, among: try store.upcomingBookings(from: now))
    }

    /// Those of `bookings` that `site`'s configuration no longer offers.
    static func strandedBookings(
        site: LoadedSite, among bookings: [BookingStore.UpcomingBooking]
    ) -> [StrandedBooking] {
        // A (service, day)'s starts, nil when the day is closed: worked out once per day, not per booking
        // (a full build checks every upcoming booking before it publishes).
        var startsByDay: [String: [Int: Set<Int64>?]] = [:]
        var stranded: [StrandedBooking] = []
        for booking in bookings {
            let day = RomeTime.local(booking.start).date
            let starts: Set<Int64>?
            if let known = startsByDay[booking.serviceID]?[day.dayNumber] {
                starts = known
            } else {
                guard let service = site.catalogue.service(id: booking.serviceID) else {
                    stranded.append(
                        StrandedBooking(
                            code: booking.code, serviceID: booking.serviceID, start: booking.start,
                            reason: "the service no longer exists"))
                    continue
                }
                starts = service.closedReason(on: day) == nil ? Set(service.slots(on: day).map(\.startInstant)) : nil
                startsByDay[booking.serviceID, default: [:]][day.dayNumber] = .some(starts)
            }
            guard let starts else {
                stranded.append(
                    StrandedBooking(
                        code: booking.code, serviceID: booking.serviceID, start: booking.start,
                        reason: "the office is now closed on \(day)"))
                continue
            }
            if !starts.contains(booking.start) {
                stranded.append(
                    StrandedBooking(
                        code: booking.code, serviceID: booking.serviceID, start: booking.start,
                        reason: starts.isEmpty
                            ? "no opening hours on \(day) any more" : "outside the new hours or slot length"))
            }
        }
        return stranded
    }

    /// The stranded bookings, reading only those made since the last clean check when it was made against the
    /// same program and configuration (`LoadedSite.inputsFingerprint`): a booking the endpoint or an operator
    /// made was checked against the configuration it was made under, so with unchanged inputs only a booking
    /// made since (by another process, another configuration, a script) can be stranded. Any change of the
    /// inputs, or a check that finds some, reads every upcoming booking again, so the warning stays exact.
    static func strandedBookingsSinceLastCheck(
        site: LoadedSite, store: BookingStore, now: Int64
    ) throws -> [StrandedBooking] {
        guard let fingerprint = site.inputsFingerprint else {
            return try strandedBookings(site: site, store: store, now: now)
        }
        let inputs = SHA256.hex(fingerprint)
        let recorded = try store.lastCleanStrandedCheck()
        let afterID = recorded?.inputs == inputs ? recorded?.lastBookingID ?? 0 : 0
        let (bookings, lastBookingID) = try store.upcomingBookings(from: now, afterID: afterID)
        let stranded = strandedBookings(site: site, among: bookings)
        let check =
            stranded.isEmpty ? BookingStore.CleanStrandedCheck(inputs: inputs, lastBookingID: lastBookingID) : nil
        // Recording is an optimisation: a database that cannot be written to is checked in full next time.
        if check != recorded { try? store.recordStrandedCheck(check, now: now) }
        return stranded
    }

    static func describe(_ booking: StrandedBooking) -> String {
        let local = RomeTime.local(booking.start)
        return
            """
            \(booking.code)  \(booking.serviceID)  \(local.date) \
            \(LocalTime(minutes: local.minutes)?.description ?? "")  \(booking.reason)
            """
    }

    /// Opening a database behind this program's schema upgrades it (after a copy into backups/): logged, so
    /// the upgrade step of the README can be confirmed in the journal.
    static func upgradeDatabaseSaying(_ databasePath: String) throws {
        guard let before = DatabaseBackup.schemaVersion(databasePath), before > 0,
            before < DatabaseBackup.currentSchemaVersion
        else { return }
        _ = try Database(path: databasePath)
        let backups = ((databasePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(
            "backups")
        Log.info(
            "database_upgraded",
            [
                "database": .text(databasePath), "from": .int(Int64(before)),
                "to": .int(Int64(DatabaseBackup.currentSchemaVersion)),
                "backup": .text("\(backups)/\((databasePath as NSString).lastPathComponent).schema\(before).*.bak"),
            ])
    }

    /// `serve` and `build` go on (the bookings stay valid), but say which appointments need a call. `database`:
    /// one already open on `databasePath` (`build` shares its own: opening another costs five connections).
    static func warnAboutStrandedBookings(site: LoadedSite, databasePath: String, database: Database? = nil) {
        guard FileManager.default.fileExists(atPath: databasePath) else { return }
        let stranded: [StrandedBooking]
        do {
            let store = BookingStore(database: try database ?? Database(path: databasePath))
            stranded = try strandedBookingsSinceLastCheck(site: site, store: store, now: currentInstant())
        } catch {
            Log.warning("stranded_bookings_unchecked", ["error": .text("\(error)")])
            return
        }
        guard !stranded.isEmpty else { return }
        Log.warning(
            "stranded_bookings",
            [
                "count": .int(Int64(stranded.count)),
                "codes": .text(stranded.prefix(20).map(\.code).joined(separator: ",")),
                "hint":
                    "the configuration no longer offers these confirmed appointments; see sportello check --database",
            ])
    }
}
