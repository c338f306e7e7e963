extension SiteConfiguration {
    /// The comune's booking policy: its limits, its no-show rule, its channels.
    public var bookingPolicy: BookingPolicy {
        BookingPolicy(
            maxActiveBookingsPerPerson: booking.maxActiveBookingsPerPerson, noShow: booking.noShowPolicy,
            messages: messagePolicy)
    }

    /// The comune's channels and the limits on its messages.
    public var messagePolicy: MessagePolicy { MessagePolicy(notifications, limits: limits) }
}
