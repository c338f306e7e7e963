import Testing
@testable import SportelloStore
