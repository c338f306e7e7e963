import Testing
@testable import SportelloHTTP
