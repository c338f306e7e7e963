import Testing
@testable import SportelloApp
