import Testing
@testable import SportelloSite
