import Foundation
import SportelloCore
import SportelloSite
import SportelloStore

#if canImport(Glibc)
import Glibc
#endif

public struct DeliveryReport: Sendable, Equatable {
    public var delivered = 0
    public var failed = 0
    public var dead = 0
    public var remindersQueued = 0
    public var recovered = 0
}
