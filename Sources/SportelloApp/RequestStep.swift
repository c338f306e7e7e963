import SportelloHTTP

/// One check or lookup a request passes before its route runs: it reads the request, may fill in what it
/// found (`EndpointRequest.fields`, `.context`), and either lets the request go on (nil) or says why it stops
/// (a `RequestRefusal`). The router composes them per route (`Application.steps(for:)`); each is tested on its
/// own, in process (docs/ARCHITECTURE.md §4).
struct RequestStep: Sendable {
    /// What the step is, for tests and logs ("origin", "form").
    let name: String
    let run: @Sendable (inout EndpointRequest) -> RequestRefusal?

    init(_ name: String, _ run: @escaping @Sendable (inout EndpointRequest) -> RequestRefusal?) {
        self.name = name
        self.run = run
    }

    /// Runs `steps` in order; the first refusal stops the request.
    static func run(_ steps: [RequestStep], on request: inout EndpointRequest) -> RequestRefusal? {
        for step in steps {
            if let refusal = step.run(&request) { return refusal }
        }
        return nil
    }
}
