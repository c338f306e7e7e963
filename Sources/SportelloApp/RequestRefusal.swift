/// Why a request step stopped a request: the error the visitor is told (in their language, as a page or JSON,
/// by `Application.failure`) and the headers the answer carries besides (`Allow`, `Retry-After`).
struct RequestRefusal {
    let error: EndpointError
    var headers: [(String, String)] = []
}
