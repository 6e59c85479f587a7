import Hummingbird
import Synchronization

/// The methods each registered path answers, so that a known path asked with another method gets
/// `405 Method Not Allowed` and an `Allow` header (RFC 9110 §15.5.6) rather than a 404: Hummingbird's router
/// sends both cases to its not-found responder.
///
/// Filled while routes are registered (through `Router.on(_:method:recordingIn:use:)`, so a route cannot be
/// registered without being recorded), read on every unmatched request. Patterns use the router's syntax:
/// `:name` is one segment, `**` the rest of the path.
final class RouteTable: Sendable {
    private let routes = Mutex<[(pattern: [Substring], methods: Set<HTTPRequest.Method>)]>([])

    func record(_ path: String, _ method: HTTPRequest.Method) {
        let pattern = Self.segments(path)
        routes.withLock { routes in
            if let index = routes.firstIndex(where: { $0.pattern == pattern }) {
                routes[index].methods.insert(method)
            } else {
                routes.append((pattern, [method]))
            }
        }
    }

    /// The methods some route answers on `path`, in a stable order; HEAD wherever GET is (the router answers
    /// HEAD for GET routes itself). Empty when no route matches the path at all.
    func allowedMethods(for path: String) -> [HTTPRequest.Method] {
        let segments = Self.segments(path)
        var methods = Set<HTTPRequest.Method>()
        routes.withLock { routes in
            for route in routes where Self.matches(route.pattern, segments) { methods.formUnion(route.methods) }
        }
        if methods.contains(.get) { methods.insert(.head) }
        return Self.order.filter(methods.contains)
    }

    static let order: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]

    static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    static func matches(_ pattern: [Substring], _ segments: [Substring]) -> Bool {
        for (index, part) in pattern.enumerated() {
            if part == "**" { return segments.count > index }
            guard index < segments.count else { return false }
            if part.hasPrefix(":") { continue }
            if part != segments[index] { return false }
        }
        return pattern.count == segments.count
    }
}

extension RouterMethods {
    /// Registers `handler` for `method` on `path` and records the pair in `table` for 405 answers.
    @discardableResult
    func on(
        _ path: String, method: HTTPRequest.Method, recordingIn table: RouteTable,
        use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator
    ) -> Self {
        table.record(path, method)
        return on(RouterPath(path), method: method, use: handler)
    }
}
