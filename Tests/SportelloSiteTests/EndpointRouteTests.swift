import Testing

@testable import SportelloSite

/// The route table: every route's address is derived from it and leads back to it.
@Suite struct EndpointRouteTests {
    @Test func everyRoutesAddressLeadsBackToItUnderAnyBasePath() {
        for basePath in ["", "/prenota"] {
            let layout = SiteLayout(basePath: basePath, mainLanguage: "it")
            #expect(layout.apiRoot == basePath + "/api")
            for route in EndpointRoute.allCases {
                #expect(layout.api(route).hasPrefix(layout.apiRoot + "/"))
                #expect(layout.route(ofPath: layout.api(route)) == route)
            }
            #expect(layout.route(ofPath: layout.apiRoot + "/nothing") == nil)
            #expect(layout.route(ofPath: layout.apiRoot) == nil)
            #expect(layout.route(ofPath: "/servizi/anagrafe/") == nil)
        }
        #expect(SiteLayout(basePath: "/prenota", mainLanguage: "it").route(ofPath: "/api/holds") == nil)
    }

    @Test func theOfficesRoutesLiveUnderTheirOwnFolder() {
        let layout = SiteLayout(basePath: "/prenota", mainLanguage: "it")
        #expect(layout.operatorAPIRoot == "/prenota/api/operator")
        for route in EndpointRoute.allCases {
            #expect(route.isOperator == layout.api(route).hasPrefix(layout.operatorAPIRoot + "/"))
        }
        #expect(EndpointRoute.allCases.filter(\.isOperator).count == 14)
    }

    @Test func methodsAndAdmissionComeFromTheTable() {
        #expect(EndpointRoute.allCases.filter(\.completesAdmittedWork) == [.bookings])
        #expect(
            EndpointRoute.allCases.filter(\.answersGET) == [
                .resumeHold, .myBookings, .operatorGrid, .operatorStatistics, .myBookingsWeek, .page,
            ])
        #expect(EndpointRoute.allCases.filter { !$0.acceptsForm } == [.resumeHold, .health, .page])
        #expect(EndpointRoute.health.allowHeader == "GET, HEAD")
        #expect(EndpointRoute.holds.allowHeader == "POST")
        // Paths are unique (two cases on one address would make one unreachable).
        #expect(Set(EndpointRoute.allCases.map(\.rawValue)).count == EndpointRoute.allCases.count)
    }
}
