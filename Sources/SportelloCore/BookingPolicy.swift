/// The rules a booking is confirmed under beyond capacity, as one value the Store takes: the per-person limit,
/// the no-show rule and which messages its confirmation or cancellation queues.
public struct BookingPolicy: Sendable, Equatable {
    /// Active future bookings one person may hold for the same service; nil = no limit.
    public var maxActiveBookingsPerPerson: Int?
    /// Repeated no-shows keep a person from booking for a while; nil = no such rule.
    public var noShow: NoShowPolicy?
    /// Which channels the confirmation or cancellation messages go out on, and their limits.
    public var messages: MessagePolicy

    /// The defaults are no rule and no message (what a bare store test wants); a comune's policy comes from
    /// `SiteConfiguration.bookingPolicy`.
    public init(
        maxActiveBookingsPerPerson: Int? = nil, noShow: NoShowPolicy? = nil,
        messages: MessagePolicy = .silent
    ) {
        self.maxActiveBookingsPerPerson = maxActiveBookingsPerPerson
        self.noShow = noShow
        self.messages = messages
    }
}
