import SportelloCore

extension PageRenderer {
    /// A booking's time in words, as pages and messages say it: its slot's when the service still has a slot
    /// starting then (`whenText`), else the day and the start (the schedule changed since it was booked).
    public func whenText(startingAt instant: Int64, service: Service?, _ t: Translations) -> String {
        if let slot = service?.slot(startingAt: instant) { return whenText(slot, t) }
        let local = RomeTime.local(instant)
        return "\(t.longDate(local.date)) \(LocalTime(minutes: local.minutes)?.description ?? "")"
    }
}
