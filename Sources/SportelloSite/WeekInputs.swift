import SportelloCore

/// Everything a week page is made from, as a digest the page carries in a comment after its doctype: the
/// fingerprint of the program, configuration, templates and texts, the service, the published weeks (its
/// previous and next links) and every cell of its grid (state, free places, closed days and their reasons).
/// A full build whose page on disk carries the same digest skips rendering it: with the same inputs the
/// renderer makes the same bytes. Nothing else reaches a week page (`PageRenderer.renderWeek` takes only
/// these), so a change of any of them changes the digest.
struct WeekInputs {
    private var bytes: [UInt8] = []
    private var digest: [UInt8] = []

    /// A cell is its start (minutes of its day), its state and its free places: with the date and the
    /// configuration (in the fingerprint) that fixes its instants. Most cells start at the grid's next row after
    /// the day's previous cell and have fewer than 4,096 free places: those are two bytes (`addCell`), the rest
    /// six; the digest was the largest part of a warm build outside the grid (SHA-256 at 5 bytes a cell).
    init(fingerprint: [UInt8], service: Service, grid: WeekGrid, weeks: [CivilDate]) {
        bytes.reserveCapacity(128 + grid.days.reduce(0) { $0 + $1.cells.count } * 2)
        bytes.append(contentsOf: fingerprint)
        add(service.id)
        add(weeks.first?.dayNumber ?? 0)
        add(weeks.count)
        add(grid.monday.dayNumber)
        add(grid.times.count)
        for time in grid.times { addShort(time.minutes) }
        for day in grid.days {
            add(day.date.dayNumber)
            switch day.closedReason {
            case nil: add(0)
            case .holiday(let key):
                add(1)
                add(key)
            case .patronSaint(let name):
                add(2)
                add(name)
            case .closure(let reason):
                add(3)
                add(reason)
            }
            add(day.cells.count)
            var nextRow = 0
            for cell in day.cells { addCell(cell, times: grid.times, nextRow: &nextRow) }
        }
        digest = SHA256.hash(bytes)
        bytes = []
    }

    /// A cell starting at `times[nextRow]`: two bytes, its state (below 7) in bits 12–14 and its free places
    /// below, bit 15 clear. Any other: 0x80, then its start, state and free places in full. `nextRow` then
    /// points past the cell's start in `times`, so the short form names one start only.
    private mutating func addCell(_ cell: SlotAvailability, times: [LocalTime], nextRow: inout Int) {
        let state = Self.code(of: cell.state)
        let start = cell.slot.start.minutes
        if nextRow < times.count && times[nextRow].minutes == start && state < 7
            && (0..<0x1000).contains(cell.freeDesks)
        {
            let packed = state << 12 | cell.freeDesks
            bytes.append(UInt8(packed >> 8))
            bytes.append(UInt8(packed & 0xFF))
            nextRow += 1
            return
        }
        bytes.append(0x80)
        addShort(start)
        bytes.append(UInt8(truncatingIfNeeded: state))
        addShort(cell.freeDesks)
        nextRow = times.firstIndex { $0.minutes > start } ?? times.count
    }

    /// A state's number, its place in `CellState`'s declaration (a switch: `allCases` is an array made per call).
    static func code(of state: CellState) -> Int {
        switch state {
        case .free: 0
        case .held: 1
        case .booked: 2
        case .past: 3
        case .closed: 4
        case .notYetBookable: 5
        case .unavailable: 6
        }
    }

    /// Two bytes, or the full value behind a marker for the rare one that does not fit.
    private mutating func addShort(_ value: Int) {
        if (0..<0xFFFF).contains(value) {
            bytes.append(UInt8(value >> 8))
            bytes.append(UInt8(value & 0xFF))
        } else {
            bytes.append(0xFF)
            bytes.append(0xFF)
            add(value)
        }
    }

    private mutating func add(_ value: Int) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A string, then its length: no two different sequences of fields serialise the same way.
    private mutating func add(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        add(text.utf8.count)
    }

    /// The comment line that names these inputs in the page of `language`.
    func marker(language: String) -> [UInt8] { Self.marker(digest: digest, language: language) }

    /// The comment line naming the inputs of `digest` in a page of `language` (a week page's or a service page's).
    static func marker(digest: [UInt8], language: String) -> [UInt8] {
        let keyed = SHA256.hash(digest + Array(language.utf8)).prefix(16)
        return Array("<!-- inputs \(SHA256.hex(Array(keyed))) -->\n".utf8)
    }

    /// Puts the marker on the line after the doctype (or first, for a page without one).
    static func insert(_ marker: [UInt8], into page: inout [UInt8]) {
        let end = page.prefix(64).firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        page.insert(contentsOf: marker, at: end)
    }
}
