extension Database {
    /// `write`, with every failure reported as the caller's error type: its own errors pass through, any
    /// other (SQLite) failure is wrapped by `storage` as the `DatabaseError` it is.
    func transaction<T, Failure: Error>(
        durable: Bool = true, storage: (DatabaseError) -> Failure,
        _ body: (Connection) throws -> T
    ) throws(Failure) -> T {
        do {
            return try write(durable: durable, body)
        } catch let error as Failure {
            throw error
        } catch {
            throw storage(DatabaseError(error))
        }
    }
}
