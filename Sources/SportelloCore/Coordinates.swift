import Foundation

/// Where an office is on the map (WGS 84), for the link to a map on its page.
public struct Coordinates: Sendable, Hashable {
    /// Degrees north.
    public var latitude: Double
    /// Degrees east.
    public var longitude: Double
}
