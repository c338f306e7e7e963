import Foundation
import SportelloCore
import Synchronization

/// Renders public pages into `output/`. `publishAll` rebuilds the whole site (start-up, a new day, a changed
/// configuration); `publish(_:)` re-renders only the pages a change touched. One publish runs at a time.
public final class SitePublisher: Sendable {
    /// Renders each page the publisher writes.
    public let renderer: PageRenderer
    /// The folder the site is written to (`output/`), without a trailing slash.
    public let outputDirectory: String
    let assetsDirectory: String?
    /// Held while week pages are written; a full rebuild holds both locks, so no older render of a page
    /// can land after a newer one. It keeps the values each service's week pages share for `publish`'s re-renders.
    let weekLock = Mutex(ServiceWeekValuesCache())
    /// Next free slot per service, for the catalogue; held while service pages and the catalogue are written.
    let lock = Mutex<[String: SlotAvailability?]>([:])
    /// What every page depends on besides its own data (the program, the configuration, the templates and
    /// texts), as `LoadedSite` read them from disk; nil when unknown (a configuration built in memory). With
    /// it, a week page carries a digest of all its inputs and is not rendered again while they are unchanged.
    let inputsFingerprint: [UInt8]?
    /// Whether the output folder is a staging folder no reader sees (see `publishAllUnseen`).
    let writesUnseen: Bool

    /// A publisher writing `renderer`'s pages under `outputDirectory`, with the shared files of
    /// `assetsDirectory` (nil: none); `inputsFingerprint` lets unchanged week pages be skipped.
    public convenience init(
        renderer: PageRenderer, outputDirectory: String, assetsDirectory: String?,
        inputsFingerprint: [UInt8]? = nil
    ) {
        self.init(
            renderer: renderer, outputDirectory: outputDirectory, assetsDirectory: assetsDirectory,
            inputsFingerprint: inputsFingerprint, writesUnseen: false)
    }

    init(
        renderer: PageRenderer, outputDirectory: String, assetsDirectory: String?, inputsFingerprint: [UInt8]?,
        writesUnseen: Bool
    ) {
        self.writesUnseen = writesUnseen
        self.renderer = renderer
        self.inputsFingerprint = inputsFingerprint
        self.outputDirectory = outputDirectory.hasSuffix("/") ? String(outputDirectory.dropLast()) : outputDirectory
        self.assetsDirectory = assetsDirectory
    }

    var catalogue: Catalogue { renderer.catalogue }

    /// The pages whose content depends on a slot of a service: its week, the service page and the catalogue
    /// (both show the next free slot). Publishing a service page also renders the pages of the offices above it.
    public static func pages(touchedBy serviceID: String, slotStart: Int64) -> Set<PageID> {
        [.week(serviceID, monday: RomeTime.local(slotStart).date.mondayOfWeek), .service(serviceID), .catalogue]
    }

    func window(today: CivilDate) -> (weeks: [CivilDate], from: Int64, to: Int64) {
        let weeks = renderer.publishedWeeks(today: today)
        let from = Int64(weeks[0].dayNumber) * 86_400 - 86_400
        let to = Int64(weeks[weeks.count - 1].dayNumber + 8) * 86_400
        return (weeks, from, to)
    }

    func nextFreeDays(_ service: Service) -> Int { service.window.maxDaysAhead }

    /// Renders every page. Services are spread over the machine's cores; each worker reads one service's
    /// occupancy and reuses one buffer, so memory stays flat however many pages there are.
    @discardableResult
    public func publishAll(now: Int64, source: any OccupancySource) throws -> PublishReport {
        try weekLock.withLock { _ in
            try lock.withLock { nextFree in
                if let staged = try publishAllUnseen(now: now, source: source) {
                    nextFree = staged.nextFree
                    return staged.report
                }
                let today = RomeTime.local(now).date
                let (weeks, from, to) = window(today: today)
                let services = catalogue.publicServices
                let offices = renderer.offices
                // The parallel phase renders everything: each service's pages, each office page and the catalogue
                // as soon as the next free slots they show are known (by the worker that learns the last of them),
                // and last the pages that depend on no service and the assets, filling the time one core would
                // wait for the other's last service.
                let summaries = Mutex(PendingSummaries(offices: offices, services: services))
                let results = Mutex<(PublishReport, [(index: Int, error: any Error)])>((PublishReport(), []))
                DispatchQueue.concurrentPerform(iterations: services.count + 1) { index in
                    var buffer: [UInt8] = []
                    buffer.reserveCapacity(64 * 1024)
                    do {
                        guard index < services.count else {
                            var report = try renderFixedPages(buffer: &buffer) + (try copyAssets())
                            for office in summaries.withLock({ $0.dueAtStart }) {
                                report = report + (try renderOffice(office, nextFree: [:], buffer: &buffer))
                            }
                            // With no service at all, no service's completion renders the catalogue.
                            if services.isEmpty { report = report + (try renderCatalogues(nextFree: [:])) }
                            results.withLock { $0.0 = $0.0 + report }
                            return
                        }
                        let service = services[index]
                        // One service's occupancy at a time: memory stays that of one service however big the site.
                        let serviceOccupancy =
                            try source.occupancy(serviceID: service.id, from: from, to: to, now: now)[service.id] ?? [:]
                        let next = service.nextFreeSlot(
                            now: now, days: nextFreeDays(service), occupancy: serviceOccupancy)
                        // Its next free slot is all an office page or the catalogue shows of a service: one due now
                        // is rendered before this service's pages, while the other core still renders its own.
                        let due = summaries.withLock { $0.complete(service, next: next) }
                        var report = PublishReport()
                        for (office, shown) in due.offices {
                            report = report + (try renderOffice(office, nextFree: shown, buffer: &buffer))
                        }
                        if let all = due.catalogue { report = report + (try renderCatalogues(nextFree: all)) }
                        // The service's folders, listed once: for its week pages' checks and for pruning (a
                        // staging folder has nothing to list).
                        let folders = renderer.languages.map {
                            renderer.layout.folder(.service(service.id), language: $0)
                        }
                        let listing = FolderListing(folders: writesUnseen ? [] : folders, in: outputDirectory)
                        report =
                            report
                            + (try renderServicePages(
                                service, weeks: weeks, today: today, next: next, occupancy: serviceOccupancy,
                                now: now, end: to, listing: listing, buffer: &buffer))
                        report.removed += pruneWeeks(of: service, keeping: weeks, listing: listing)
                        results.withLock { $0.0 = $0.0 + report }
                    } catch {
                        results.withLock { $0.1.append((index, error)) }
                    }
                }
                let (total, failures) = results.withLock { $0 }
                // The first service's error, whichever core met it first.
                if let failure = failures.min(by: { $0.index < $1.index }) { throw failure.error }
                nextFree = summaries.withLock { $0.nextFree }
                // A staging folder is new: no leftovers of a killed process, no retired pages.
                guard !writesUnseen else { return total }
                return total + removeLeftoversAndRetiredPages()
            }
        }
    }

    /// Pages that depend on nothing but the configuration and the templates.
    private var fixedPages: [(PageID, (String, inout [UInt8]) throws -> Void)] {
        [
            (.notFound, renderer.renderNotFound), (.cancel, renderer.renderCancel),
            (.operatorLogin, renderer.renderOperatorLogin), (.account, renderer.renderAccount),
        ]
    }

    private func renderFixedPages(buffer: inout [UInt8]) throws -> PublishReport {
        var report = PublishReport()
        for language in renderer.languages {
            for (page, render) in fixedPages {
                buffer.removeAll(keepingCapacity: true)
                try render(language, &buffer)
                report.rendered += 1
                if try write(buffer, renderer.layout.file(page, language: language)) { report.written += 1 }
            }
        }
        return report
    }

    /// After a full build into an existing output folder: temporary files of a process killed while writing
    /// (service folders are swept by `pruneWeeks`) and pages no longer produced. Not while pages are written: a
    /// temporary file of this build is not a leftover.
    private func removeLeftoversAndRetiredPages() -> PublishReport {
        var report = PublishReport()
        var folders: Set<String> = ["assets/"]
        for language in renderer.languages {
            for (page, _) in fixedPages { folders.insert(renderer.layout.folder(page, language: language)) }
            folders.insert(renderer.layout.folder(.catalogue, language: language))
            for office in renderer.offices {
                folders.insert(renderer.layout.folder(.office(office.id), language: language))
            }
        }
        for folder in folders { report.removed += AtomicFile.removeLeftovers(inFolder: path(folder)) }
        report.removed += pruneRetiredPages()
        return report
    }

    /// Re-renders only these pages: weeks first (what the citizen is waiting for), then service pages, then
    /// the catalogue. Week pages and the others take different locks, so two callers can publish one kind each.
    @discardableResult
    public func publish(_ pages: Set<PageID>, now: Int64, source: any OccupancySource) throws -> PublishReport {
        let today = RomeTime.local(now).date
        let (weeks, from, to) = window(today: today)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(64 * 1024)
        var report = try weekLock.withLock { weekValues in
            var report = PublishReport()
            for case .week(let id, let monday) in pages where weeks.contains(monday) {
                guard let service = catalogue.publicService(id: id) else { continue }
                let start = Int64(monday.dayNumber) * 86_400 - 86_400
                let occupancy =
                    try source.occupancy(serviceID: id, from: start, to: start + 9 * 86_400, now: now)[id] ?? [:]
                report =
                    report
                    + (try renderWeek(
                        service, monday: monday, weeks: weeks, occupancy: occupancy, now: now,
                        shared: { weekValues.values(of: service, language: $0, renderer: renderer) }, buffer: &buffer))
            }
            return report
        }
        guard pages.contains(where: { if case .week = $0 { false } else { true } }) else { return report }
        return try lock.withLock { nextFree in
            for case .service(let id) in pages {
                guard let service = catalogue.publicService(id: id) else { continue }
                let occupancy = try source.occupancy(serviceID: id, from: from, to: to, now: now)[id] ?? [:]
                let next = service.nextFreeSlot(now: now, days: nextFreeDays(service), occupancy: occupancy)
                nextFree[id] = .some(next)
                report =
                    report
                    + (try publishService(
                        service, today: today, next: next, occupancy: occupancy, now: now, end: to, listing: nil,
                        buffer: &buffer))
            }
            if pages.contains(.catalogue) {
                report = report + (try renderCatalogues(nextFree: nextFree))
            }
            // An office page shows its services' next free slots: it moves with each of their service pages.
            var offices: Set<String> = []
            for page in pages {
                switch page {
                case .office(let id): offices.insert(id)
                case .service(let id): offices.formUnion(catalogue.service(id: id)?.ancestorIDs ?? [])
                default: break
                }
            }
            return report + (try renderOffices(offices, nextFree: nextFree))
        }
    }

    // MARK: Pieces

    private func renderServicePages(
        _ service: Service, weeks: [CivilDate], today: CivilDate, next: SlotAvailability?,
        occupancy: [Int64: SlotOccupancy], now: Int64, end: Int64, listing: FolderListing, buffer: inout [UInt8]
    ) throws -> PublishReport {
        // The values the service's pages share (its facts, the week pages' breadcrumb…) are worked out once, for
        // the first page that is rendered: a warm build skips most of them (their inputs are unchanged).
        var shared: [String: ServiceWeekValues] = [:]
        func sharedValues(_ language: String) -> ServiceWeekValues {
            if let known = shared[language] { return known }
            let values = ServiceWeekValues(renderer, service: service, language: language)
            shared[language] = values
            return values
        }
        var report = try publishService(
            service, today: today, next: next, occupancy: occupancy, now: now, end: end, listing: listing,
            facts: { sharedValues($0).facts }, buffer: &buffer)
        for monday in weeks {
            report =
                report
                + (try renderWeek(
                    service, monday: monday, weeks: weeks, occupancy: occupancy, now: now, shared: sharedValues,
                    listing: listing, buffer: &buffer))
        }
        return report
    }

    /// A service's `next.json` and its pages, skipped while the main-language page on disk carries the digest of
    /// these very inputs (`ServicePageInputs`, which covers what `next.json` lists) with its `.gz` and the data
    /// file beside it. The data file is written first: a process stopped between the two leaves an old page,
    /// which the next build renders again, and never a current page beside an old data file.
    private func publishService(
        _ service: Service, today: CivilDate, next: SlotAvailability?, occupancy: [Int64: SlotOccupancy],
        now: Int64, end: Int64, listing: FolderListing?, facts: (String) -> TemplateFields? = { _ in nil },
        buffer: inout [UInt8]
    ) throws -> PublishReport {
        var report = PublishReport()
        let (free, until) = nextFreeData(service, occupancy: occupancy, now: now, end: end)
        let inputs = inputsFingerprint.map {
            ServicePageInputs(fingerprint: $0, service: service, today: today, next: next, free: free, until: until)
        }
        func isCurrent(_ language: String) -> Bool {
            guard let inputs else { return false }
            let relative = renderer.layout.file(.service(service.id), language: language)
            return exists(relative + ".gz", listing: listing)
                && AtomicFile.startsWithMarker(inputs.marker(language: language), at: path(relative))
        }
        let main = renderer.layout.mainLanguage
        let mainIsCurrent = isCurrent(main)
        let dataFile = renderer.layout.nextData(service.id)
        if !(mainIsCurrent && exists(dataFile, listing: listing) && exists(dataFile + ".gz", listing: listing)),
            try writeData(
                AvailabilityData.next(service, free: free, until: until, renderer: renderer), dataFile, now: now,
                listing: listing)
        {
            report.data += 1
        }
        for language in renderer.languages {
            report.rendered += 1
            if language == main ? mainIsCurrent : isCurrent(language) { continue }
            buffer.removeAll(keepingCapacity: true)
            try renderer.renderService(
                service, language: language, today: today, nextFree: next, facts: facts(language), into: &buffer)
            if let inputs { WeekInputs.insert(inputs.marker(language: language), into: &buffer) }
            if try write(buffer, renderer.layout.file(.service(service.id), language: language), listing: listing) {
                report.written += 1
            }
        }
        return report
    }

    private func renderWeek(
        _ service: Service, monday: CivilDate, weeks: [CivilDate], occupancy: [Int64: SlotOccupancy],
        now: Int64, shared: (String) -> ServiceWeekValues? = { _ in nil }, listing: FolderListing? = nil,
        buffer: inout [UInt8]
    ) throws -> PublishReport {
        var report = PublishReport()
        let grid = service.week(startingOn: monday, occupancy: occupancy, now: now)
        let inputs = inputsFingerprint.map { WeekInputs(fingerprint: $0, service: service, grid: grid, weeks: weeks) }
        let main = renderer.layout.mainLanguage
        // Each language's marker once (a hash each), for the check and for the page if it is rendered.
        var markers: [String: [UInt8]] = [:]
        if let inputs {
            for language in renderer.languages + [main] where markers[language] == nil {
                markers[language] = inputs.marker(language: language)
            }
        }
        func exists(_ relative: String) -> Bool { self.exists(relative, listing: listing) }
        // A page that says it was made from these very inputs is this page (a warm build, a restart).
        func isCurrent(_ language: String) -> Bool {
            guard let marker = markers[language] else { return false }
            let relative = renderer.layout.file(.week(service.id, monday: monday), language: language)
            return exists(relative + ".gz") && AtomicFile.startsWithMarker(marker, at: path(relative))
        }
        let mainIsCurrent = isCurrent(main)
        // The data file is made from the same grid, so a main-language page that carries these inputs has its
        // data file beside it. It is written before the pages: a process stopped between the two leaves an old
        // page, which the next build renders again, and never an old data file beside a new page.
        let dataFile = renderer.layout.weekData(service.id, monday: monday)
        if !(mainIsCurrent && exists(dataFile) && (listing == nil || exists(dataFile + ".gz"))),
            try writeData(
                dataFile, now: now, listing: listing,
                serialized: { stamp in
                    AvailabilityData.week(service, grid: grid, renderer: renderer, generatedAt: stamp)
                })
        {
            report.data += 1
        }
        for language in renderer.languages {
            let relative = renderer.layout.file(.week(service.id, monday: monday), language: language)
            report.rendered += 1
            if language == main ? mainIsCurrent : isCurrent(language) { continue }
            buffer.removeAll(keepingCapacity: true)
            try renderer.renderWeek(
                service, grid: grid, weeks: weeks, language: language,
                values: shared(language) ?? ServiceWeekValues(renderer, service: service, language: language),
                into: &buffer)
            if let marker = markers[language] { WeekInputs.insert(marker, into: &buffer) }
            if try write(buffer, relative, listing: listing) { report.written += 1 }
        }
        return report
    }

    private func renderCatalogues(nextFree: [String: SlotAvailability?]) throws -> PublishReport {
        var report = PublishReport()
        var buffer: [UInt8] = []
        for language in renderer.languages {
            try renderer.renderCatalogue(language: language, nextFree: nextFree, into: &buffer)
            report.rendered += 1
            if try write(buffer, renderer.layout.file(.catalogue, language: language)) { report.written += 1 }
            buffer.removeAll(keepingCapacity: true)
        }
        return report
    }

    /// The pages of these offices (ids of catalogue entries with children; other ids are skipped), in every
    /// language.
    private func renderOffices(_ ids: Set<String>, nextFree: [String: SlotAvailability?]) throws -> PublishReport {
        var report = PublishReport()
        var buffer: [UInt8] = []
        for office in renderer.offices where ids.contains(office.id) {
            report = report + (try renderOffice(office, nextFree: nextFree, buffer: &buffer))
        }
        return report
    }

    /// An office's page in every language.
    private func renderOffice(
        _ office: CatalogueEntry, nextFree: [String: SlotAvailability?], buffer: inout [UInt8]
    ) throws -> PublishReport {
        var report = PublishReport()
        for language in renderer.languages {
            buffer.removeAll(keepingCapacity: true)
            try renderer.renderOffice(office, language: language, nextFree: nextFree, into: &buffer)
            report.rendered += 1
            if try write(buffer, renderer.layout.file(.office(office.id), language: language)) {
                report.written += 1
            }
        }
        return report
    }

    /// Pages of weeks no longer published are removed, so an old link answers 404, not stale slots.
    private func pruneWeeks(of service: Service, keeping weeks: [CivilDate], listing: FolderListing) -> Int {
        let keep = Set(weeks)
        var removed = 0
        for language in renderer.languages {
            let relativeFolder = renderer.layout.folder(.service(service.id), language: language)
            let folder = path(relativeFolder)
            // Pruning is housekeeping: a service folder not written yet has no old weeks. The listing was made
            // before this build wrote the folder: what it wrote since are this build's weeks, never pruned.
            guard let names = listing.names[relativeFolder], !names.isEmpty else { continue }
            removed += AtomicFile.removeLeftovers(inFolder: folder, names: names)
            for name in names {
                let page = name.hasSuffix(".gz") ? String(name.dropLast(3)) : name
                // A week's data file goes with its page (not counted: `removed` counts pages).
                if let monday = SiteLayout.monday(weekDataName: page), !keep.contains(monday) {
                    unlink("\(folder)\(name)")
                }
                if let monday = SiteLayout.monday(weekFileName: page), !keep.contains(monday),
                    unlink("\(folder)\(name)") == 0, page == name
                {
                    removed += 1
                }
                // Folders of the earlier one-folder-per-week layout.
                if SiteLayout.monday(weekName: name) != nil,
                    (try? FileManager.default.removeItem(atPath: "\(folder)\(name)")) != nil
                {
                    removed += 1
                }
            }
        }
        return removed
    }

    private func copyAssets() throws -> PublishReport {
        var report = PublishReport()
        // No assets folder is a site without assets; one that exists and cannot be listed is an error, not a site
        // published without its styles.
        guard let assetsDirectory, FileManager.default.fileExists(atPath: assetsDirectory) else { return report }
        let names = try FileManager.default.contentsOfDirectory(atPath: assetsDirectory)
        for name in names.sorted() where !name.hasPrefix(".") {
            guard let data = FileManager.default.contents(atPath: "\(assetsDirectory)/\(name)") else { continue }
            if try write(Array(data), "assets/\(name)") { report.written += 1 }
        }
        return report
    }

    func path(_ relative: String) -> String { "\(outputDirectory)/\(relative)" }

    /// Whether a file is there: from a full build's listing of its folder, else asked of the kernel.
    private func exists(_ relative: String, listing: FolderListing?) -> Bool {
        if writesUnseen { return false }
        return listing?.contains(relative) ?? (access(path(relative), F_OK) == 0)
    }

    /// Every public file is written with its gzip copy (same mtime) for nginx's `gzip_static`. A file a full
    /// build's `listing` shows absent is created without asking the kernel first (a cold build's every file).
    func write(_ bytes: [UInt8], _ relative: String, listing: FolderListing? = nil) throws -> Bool {
        if writesUnseen, try AtomicFile.createUnseen(bytes, twin: Gzip.compress(bytes), at: path(relative)) {
            return true
        }
        return try AtomicFile.writeIfChanged(
            bytes, to: path(relative), gzip: true, knownAbsent: listing?.lacks(relative) ?? false)
    }
}
