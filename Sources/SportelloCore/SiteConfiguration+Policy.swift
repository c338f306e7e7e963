extension SiteConfiguration {
    /// The comune's booking policy: its limits, its no-show rule, its channels.
    public var bookingPolicy: BookingPolicy {
        BookingPolicy(
            maxActiveBookingsPerPerson: booking.maxActiveBookingsPerPerson, noShow: booking.noShowPolicy,
            messages: messagePolicy)
    }

    /// The comune's channels and the limits on its messages.
    public var messagePolicy: MessagePolicy {
        var policy = MessagePolicy(notifications, limits: limits)
        policy.officeRecipients = officeNotificationRecipients
        policy.officeLanguage = comune.languages.first ?? "it"
        return policy
    }

    /// Per bookable service, its `officeNotifications` address, its own or the nearest office's above it.
    public var officeNotificationRecipients: [String: String] {
        var recipients: [String: String] = [:]
        func walk(_ definitions: [ServiceDefinition], inherited: String?) {
            for definition in definitions {
                let address = definition.officeNotifications ?? inherited
                if definition.children.isEmpty {
                    if let address { recipients[definition.id] = address }
                } else {
                    walk(definition.children, inherited: address)
                }
            }
        }
        walk(services, inherited: nil)
        return recipients
    }
}
