/// One service's bar chart on the office's statistics page: per week three bars (bookings, no-shows,
/// cancellations) on one scale from zero, as coordinates the template draws as inline SVG (no script). Pure, so
/// a test checks the numbers the picture shows.
struct StatisticsChart: Sendable, Equatable {
    /// What one week counts.
    struct Week: Sendable, Equatable {
        /// The short label under the week's bars (its Monday, "23/11").
        let label: String
        let bookings: Int
        let absent: Int
        let cancelled: Int
    }

    /// One bar: its series ("bookings", "absent", "cancelled"), the count it shows and where it is drawn.
    struct Bar: Sendable, Equatable {
        let series: String
        let value: Int
        let x: Int
        let y: Int
        let width: Int
        let height: Int
    }

    static let plotHeight = 160
    static let top = 24
    static let left = 44
    static let bottom = 28
    static let barWidth = 14
    static let groupGap = 16
    static var groupWidth: Int { 3 * barWidth + groupGap }

    let weeks: [Week]

    /// The top of the scale: the largest count (at least 1, so an empty chart still has a scale).
    var maxValue: Int { max(1, weeks.map { max($0.bookings, $0.absent, $0.cancelled) }.max() ?? 0) }
    var width: Int { Self.left + weeks.count * Self.groupWidth }
    var height: Int { Self.top + Self.plotHeight + Self.bottom }
    /// The y of the zero line.
    var baseline: Int { Self.top + Self.plotHeight }

    /// The bars, week by week, each week's in the order bookings, no-shows, cancellations.
    var bars: [Bar] {
        let scale = maxValue
        return weeks.enumerated().flatMap { index, week in
            [("bookings", week.bookings), ("absent", week.absent), ("cancelled", week.cancelled)].enumerated().map {
                position, series in
                let height = series.1 * Self.plotHeight / scale
                return Bar(
                    series: series.0, value: series.1,
                    x: Self.left + index * Self.groupWidth + Self.groupGap / 2 + position * Self.barWidth,
                    y: baseline - height, width: Self.barWidth, height: height)
            }
        }
    }

    /// The x of the middle of each week's group, where its label goes.
    var labelCentres: [Int] {
        weeks.indices.map { Self.left + $0 * Self.groupWidth + Self.groupWidth / 2 }
    }
}
