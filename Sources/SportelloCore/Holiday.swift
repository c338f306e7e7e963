/// A national public holiday. `key` is a stable i18n key ("holiday.natale") that the templates translate.
public struct Holiday: Hashable, Sendable {
    /// The day of the holiday in the year asked for (Easter and its Monday move).
    public let date: CivilDate
    /// The i18n key of its name, e.g. "holiday.natale"; one of `ItalianHolidays.allKeys`.
    public let key: String

    /// A holiday on `date`, named by the i18n key `key`.
    public init(date: CivilDate, key: String) {
        self.date = date
        self.key = key
    }
}
