/// Which channels the messages a change queues go out on, and the limits on what the comune pays for
/// (SMS countries, messages per recipient per day). Plain data: the Store writes outbox rows with it inside
/// the change's transaction; the text is composed at delivery (see docs/ARCHITECTURE.md §4).
public struct MessagePolicy: Sendable, Equatable {
    /// Mail goes out (to the booking's email, or to a contact that is an email address).
    public var email: Bool
    /// SMS goes out (to the booking's mobile, or to a contact that is a number).
    public var sms: Bool
    /// Caps on messages per recipient and the countries SMS may go to.
    public var limits: LimitSettings
    /// Per service id, the office's address told of new, moved and cancelled bookings (`officeNotifications`,
    /// inherited from the office); mail only, outside the per-recipient caps (an office gets one per booking).
    public var officeRecipients: [String: String] = [:]
    /// The language the office's messages are written in (the comune's main language).
    public var officeLanguage = "it"
    /// App IO, for the services it has a key for (nil = no IO messages).
    public var io: IOChannelSettings?
    /// Each booking event also goes to the comune's webhook.
    public var webhook = false

    /// Channels given one by one, as tests and benchmarks set them.
    public init(email: Bool, sms: Bool, limits: LimitSettings = LimitSettings()) {
        self.email = email
        self.sms = sms
        self.limits = limits
    }

    /// The channels and limits of a comune's configuration.
    public init(_ settings: NotificationSettings, limits: LimitSettings = LimitSettings()) {
        self.init(email: settings.email, sms: settings.sms, limits: limits)
        io = settings.io
        webhook = settings.webhook != nil
    }

    /// The office address a message about a booking of `serviceID` goes to, when mail is on and one is set.
    public func officeRecipient(serviceID: String) -> String? {
        guard email, let address = officeRecipients[serviceID], !address.isEmpty else { return nil }
        return address
    }

    /// No message at all.
    public static let silent = MessagePolicy(email: false, sms: false)

    /// Whether a message on `channel` goes out.
    public func sends(on channel: NotificationChannel) -> Bool {
        switch channel {
        case .email: email
        case .sms: sms
        case .io: io != nil
        case .webhook: webhook
        }
    }

    /// Whether a booking of `serviceID` is told on App IO (the comune's key, or the service's own).
    public func sendsIO(forService serviceID: String) -> Bool {
        io?.keyFile(forService: serviceID) != nil
    }
}
