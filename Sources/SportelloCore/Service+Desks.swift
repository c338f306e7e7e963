extension Service {
    /// The interval an appointment of this service starting at `instant` occupies, when the service's
    /// schedule offers that start (on its step and length); nil otherwise. Validates a requested desk hold.
    public func appointment(startingAt instant: Int64) -> DeskInterval? {
        guard !desks.isEmpty, RomeTime.supportedInstants.contains(instant) else { return nil }
        let local = RomeTime.local(instant)
        guard
            let slot = slots(on: local.date, lengthMinutes: appointmentMinutes, stepMinutes: stepMinutes)
                .first(where: { $0.startInstant == instant })
        else { return nil }
        return DeskInterval(start: slot.startInstant, end: slot.endInstant)
    }
}
