/// Schema versions, applied in order; `PRAGMA user_version` records how many have run.
enum Migrations {
    static let scripts: [String] = [
        """
        CREATE TABLE bookings (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            hold_token TEXT UNIQUE,
            service_id TEXT NOT NULL,
            slot_start INTEGER NOT NULL,
            slot_end INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('booked', 'done', 'absent', 'cancelled_by_citizen', 'cancelled_by_operator')),
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            given_name TEXT,
            family_name TEXT,
            codice_fiscale TEXT,
            email TEXT,
            phone TEXT,
            notes TEXT,
            presenter_codice_fiscale TEXT,
            presenter_name TEXT,
            account_id INTEGER,
            cancel_reason TEXT
        );
        CREATE INDEX bookings_slot ON bookings (service_id, slot_start);
        CREATE INDEX bookings_start ON bookings (slot_start);
        CREATE INDEX bookings_person ON bookings (codice_fiscale);
        CREATE TABLE holds (
            token TEXT PRIMARY KEY,
            service_id TEXT NOT NULL,
            slot_start INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            released INTEGER NOT NULL DEFAULT 0,
            booking_id INTEGER REFERENCES bookings (id),
            client_ip TEXT
        );
        CREATE INDEX holds_slot ON holds (service_id, slot_start);
        CREATE INDEX holds_start ON holds (slot_start);
        CREATE INDEX holds_expiry ON holds (expires_at);
        CREATE TABLE blocks (
            id INTEGER PRIMARY KEY,
            service_id TEXT NOT NULL,
            starts_at INTEGER NOT NULL,
            ends_at INTEGER NOT NULL,
            desks INTEGER NOT NULL,
            reason TEXT,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX blocks_service ON blocks (service_id, starts_at);
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            channel TEXT NOT NULL,
            recipient TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            next_attempt_at INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            sent_at INTEGER,
            dead INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT,
            address TEXT,
            details TEXT
        );
        """,
        // 2: operators, who acted on blocks and outcomes, erasure of personal data after the retention period.
        """
        CREATE TABLE operators (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            token_hash TEXT NOT NULL,
            scope TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            disabled_at INTEGER
        );
        ALTER TABLE blocks ADD COLUMN created_by TEXT;
        ALTER TABLE bookings ADD COLUMN outcome_at INTEGER;
        ALTER TABLE bookings ADD COLUMN anonymized_at INTEGER;
        CREATE INDEX bookings_end ON bookings (slot_end);
        CREATE INDEX blocks_range ON blocks (starts_at, ends_at);
        """,
        // 3: citizens' accounts and their sessions.
        """
        CREATE TABLE accounts (
            id INTEGER PRIMARY KEY,
            codice_fiscale TEXT NOT NULL UNIQUE,
            given_name TEXT NOT NULL,
            family_name TEXT NOT NULL,
            email TEXT NOT NULL,
            phone TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until INTEGER
        );
        CREATE TABLE sessions (
            token TEXT PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        );
        CREATE INDEX sessions_account ON sessions (account_id);
        CREATE INDEX bookings_presenter ON bookings (presenter_codice_fiscale);
        """,
        // 4: notifications: what each outbox row is about, who claimed it, the process delivering it.
        """
        ALTER TABLE bookings ADD COLUMN language TEXT;
        ALTER TABLE outbox ADD COLUMN booking_id INTEGER;
        ALTER TABLE outbox ADD COLUMN language TEXT;
        ALTER TABLE outbox ADD COLUMN dedupe_key TEXT;
        ALTER TABLE outbox ADD COLUMN claimed_until INTEGER;
        ALTER TABLE outbox ADD COLUMN claimed_by INTEGER;
        ALTER TABLE outbox ADD COLUMN delivery_pid INTEGER;
        CREATE UNIQUE INDEX outbox_dedupe ON outbox (dedupe_key) WHERE dedupe_key IS NOT NULL;
        CREATE INDEX outbox_due ON outbox (sent_at, dead, next_attempt_at);
        """,
        // 5: occupancy read from small indexes alone. During a rush every refused citizen's answer counts the
        // places of the coming days; these hold only the rows that occupy a place (live holds, bookings not
        // cancelled), so the count never visits the table nor the thousands of confirmed or expired holds.
        """
        CREATE INDEX bookings_occupying ON bookings (service_id, slot_start) WHERE state IN ('booked', 'done', 'absent');
        CREATE INDEX holds_live ON holds (service_id, slot_start, expires_at) WHERE released = 0 AND booking_id IS NULL;
        """,
        // helper/identity: authority from proof. Bookings remember the account that made them; an account
        // remembers the one contact its password went to (its proof), when a SPID/CIE sign-in took it over,
        // and when it was last used (retention); wrong passwords lock an account only for the address that
        // sent them; one-time codes prove a booking's contact before it is confirmed.
        """
        ALTER TABLE accounts ADD COLUMN verified_contact TEXT;
        ALTER TABLE accounts ADD COLUMN disabled_at INTEGER;
        ALTER TABLE accounts ADD COLUMN last_used_at INTEGER;
        ALTER TABLE bookings ADD COLUMN proof INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE bookings ADD COLUMN presenter_contact TEXT;
        CREATE INDEX bookings_account ON bookings (account_id);
        CREATE TABLE login_failures (
            account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
            address TEXT NOT NULL,
            failures INTEGER NOT NULL,
            locked_until INTEGER,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (account_id, address)
        );
        CREATE TABLE contact_codes (
            hold_token TEXT PRIMARY KEY,
            contact TEXT NOT NULL,
            code_hash TEXT NOT NULL,
            sent_at INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            verified INTEGER NOT NULL DEFAULT 0
        );
        """,
        // helper/secrets: operators sign in to a session with a random id (its SHA-256 stored, never the id), ended
        // by logout; the permanent token is no longer the cookie.
        """
        CREATE TABLE operator_sessions (
            id_hash TEXT PRIMARY KEY,
            operator_id INTEGER NOT NULL REFERENCES operators (id),
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        );
        CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id);
        """,
        // helper/squat: who holds what (the client's address key, its browser session) so one client cannot hold
        // a whole service, and daily counts per address and contact (bookings, registrations, messages).
        """
        ALTER TABLE holds ADD COLUMN client_key TEXT;
        ALTER TABLE holds ADD COLUMN session TEXT;
        CREATE INDEX holds_client_live ON holds (client_key, expires_at) WHERE released = 0 AND booking_id IS NULL;
        CREATE INDEX holds_session_live ON holds (session) WHERE released = 0 AND booking_id IS NULL AND session IS NOT NULL;
        CREATE TABLE usage (
            key TEXT NOT NULL,
            day INTEGER NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (key, day)
        ) WITHOUT ROWID;
        CREATE INDEX usage_day ON usage (day);
        """,
        // helper/desks18: desks shared by services (docs/ARCHITECTURE.md §3 "Desks"). A hold or booking of a desk
        // service records its desk ("<office id>/<name>") and its end; the partial indexes serve the overlap
        // query by desk and start. Rows of services without desks keep desk NULL and are not in them.
        """
        ALTER TABLE holds ADD COLUMN desk TEXT;
        ALTER TABLE holds ADD COLUMN slot_end INTEGER;
        ALTER TABLE bookings ADD COLUMN desk TEXT;
        CREATE INDEX holds_desk ON holds (desk, slot_start) WHERE desk IS NOT NULL;
        CREATE INDEX bookings_desk ON bookings (desk, slot_start) WHERE desk IS NOT NULL;
        """,
        // helper/move18: the version of a booking's calendar event (RFC 5545 SEQUENCE), raised by each move so
        // the citizen's calendar updates the event it has (same UID) instead of adding one.
        """
        ALTER TABLE bookings ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
        """,
        // helper/approval18: approval per service (docs/ARCHITECTURE.md §3 "Approval and staff-only services"). A request waits as
        // 'pending', which occupies its slot: the state's CHECK gains it (its text rewritten in place, which keeps
        // every column other migrations added; `apply` then has every connection read the schema again), the
        // occupancy index becomes the one `BookingState.occupyingSQLList` names, and the expiry pass finds the
        // pending requests by their start.
        """
        PRAGMA writable_schema = ON;
        UPDATE sqlite_schema SET sql = replace(sql, '''cancelled_by_operator''))',
            '''cancelled_by_operator'', ''pending''))')
        WHERE type = 'table' AND name = 'bookings';
        PRAGMA writable_schema = OFF;
        DROP INDEX IF EXISTS bookings_occupying;
        CREATE INDEX bookings_occupying ON bookings (service_id, slot_start)
            WHERE state IN ('booked', 'pending', 'done', 'absent');
        CREATE INDEX bookings_pending ON bookings (slot_start) WHERE state = 'pending';
        """,
        // helper/forms17: the answers to a service's extra form fields, personal data erased with the booking's.
        """
        CREATE TABLE booking_fields (
            booking_id INTEGER NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
            field_id TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (booking_id, field_id)
        ) WITHOUT ROWID;
        """,
        // A block may name the one desk that is out ("<office id>/<name>", as bookings record desks) instead of
        // counting the service's desks: the clerk of "Sportello 2" is away, whatever service it serves.
        """
        ALTER TABLE blocks ADD COLUMN desk TEXT;
        """,
        // helper/warm: the last stranded-bookings check that found every upcoming booking offered, with the
        // digest of the inputs it checked against and the last booking it saw: a build over the same inputs
        // reads only the bookings made since (one row). A booking moved, or made active again, drops the
        // record: it may have been moved by a process running another configuration.
        """
        CREATE TABLE stranded_check (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            inputs TEXT NOT NULL,
            last_booking_id INTEGER NOT NULL,
            checked_at INTEGER NOT NULL
        );
        CREATE TRIGGER stranded_check_moved AFTER UPDATE OF service_id, slot_start, slot_end, state ON bookings
        WHEN NEW.state IN ('booked', 'pending') AND (NEW.service_id != OLD.service_id
            OR NEW.slot_start != OLD.slot_start OR NEW.slot_end != OLD.slot_end
            OR OLD.state NOT IN ('booked', 'pending'))
        BEGIN
            DELETE FROM stranded_check;
        END;
        """,
    ]

    /// A database with data whose schema is about to change is copied first (see `DatabaseBackup`).
    static func backupBeforeUpgrade(_ connection: Connection, databasePath: String) throws {
        let version = Int(try connection.scalarInt("PRAGMA user_version"))
        guard version > 0, version < scripts.count, databasePath != ":memory:", !databasePath.isEmpty else { return }
        try DatabaseBackup.backupBeforeMigration(databasePath: databasePath, fromVersion: version)
    }

    static func apply(to connection: Connection) throws {
        let version = Int(try connection.scalarInt("PRAGMA user_version"))
        guard version < scripts.count else { return }
        for (index, script) in scripts.enumerated().dropFirst(version) {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                try connection.executeScript(script)
                if script.contains("writable_schema") {
                    // A table's text rewritten in place is read again only when the schema cookie changes.
                    let schemaVersion = try connection.scalarInt("PRAGMA schema_version")
                    try connection.executeScript("PRAGMA schema_version = \(schemaVersion + 1)")
                }
                try connection.executeScript("PRAGMA user_version = \(index + 1)")
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }
}
