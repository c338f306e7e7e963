extension RomeTime {
    /// An instant as ISO 8601 local time with its offset ("2026-03-29T10:00:00+02:00"): the wall clock of
    /// Europe/Rome, so a reader sees the time the office shows, and the offset, so it needs no time-zone data.
    public static func iso8601(_ instant: Int64) -> String {
        let instant = clamped(instant)
        let offset = offset(at: instant)
        let local = instant + offset
        let day = floorDiv(local, 86_400)
        let seconds = Int(local - day * 86_400)
        let date = CivilDate(dayNumber: Int(day))
        let (hours, minutes) = (CivilDate.pad(seconds / 3_600, 2), CivilDate.pad(seconds / 60 % 60, 2))
        let time = "\(hours):\(minutes):\(CivilDate.pad(seconds % 60, 2))"
        return "\(date)T\(time)+\(CivilDate.pad(Int(offset) / 3_600, 2)):00"
    }
}
