import Testing
@testable import SportelloCore
