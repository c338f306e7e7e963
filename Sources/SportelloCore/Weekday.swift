/// A day of the week, spelt as the configuration's schedule keys ("mon" … "sun").
public enum Weekday: String, CaseIterable, Sendable, Codable {
    case monday = "mon"
    case tuesday = "tue"
    case wednesday = "wed"
    case thursday = "thu"
    case friday = "fri"
    case saturday = "sat"
    case sunday = "sun"

    /// 0 = Monday … 6 = Sunday.
    public var isoIndex: Int { Weekday.allCases.firstIndex(of: self)! }
}
