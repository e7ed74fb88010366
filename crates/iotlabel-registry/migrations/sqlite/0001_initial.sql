-- iotlabel registry schema, SQLite. Released migrations are never edited: add a new file.
-- Times are Unix seconds (INTEGER); dates are ISO 8601 text (YYYY-MM-DD).
CREATE TABLE organisations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    organisation_id INTEGER REFERENCES organisations(id),
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_sha256 TEXT NOT NULL UNIQUE,
    csrf_token TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_sha256 TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE applications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    lab_organisation_id INTEGER REFERENCES organisations(id),
    manufacturer TEXT NOT NULL,
    product_name TEXT NOT NULL,
    model TEXT NOT NULL,
    category TEXT NOT NULL,
    hardware_version TEXT,
    firmware_version TEXT,
    support_period_end TEXT,
    vulnerability_disclosure_url TEXT,
    scheme TEXT NOT NULL,
    target_level INTEGER NOT NULL,
    route TEXT NOT NULL,
    state TEXT NOT NULL,
    dossier_json TEXT NOT NULL,
    assessment_json TEXT,
    assessment_error TEXT,
    renews_label_id INTEGER,
    version INTEGER NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX applications_organisation ON applications(organisation_id);
CREATE INDEX applications_lab ON applications(lab_organisation_id);
CREATE TABLE evidence_blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    media_type TEXT NOT NULL,
    content BLOB NOT NULL
);
CREATE TABLE evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES applications(id),
    sha256 TEXT NOT NULL REFERENCES evidence_blobs(sha256),
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    uploaded_by INTEGER NOT NULL REFERENCES users(id),
    uploaded_at INTEGER NOT NULL,
    UNIQUE (application_id, file_name)
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER REFERENCES applications(id),
    label_id INTEGER,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT,
    actor_user_id INTEGER REFERENCES users(id),
    at INTEGER NOT NULL,
    reason TEXT
);
CREATE INDEX events_application ON events(application_id);
CREATE TABLE labels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    registration_id TEXT NOT NULL UNIQUE,
    url_id TEXT NOT NULL UNIQUE,
    serial INTEGER NOT NULL UNIQUE,
    application_id INTEGER NOT NULL UNIQUE REFERENCES applications(id),
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    manufacturer TEXT NOT NULL,
    product_name TEXT NOT NULL,
    model TEXT NOT NULL,
    category TEXT NOT NULL,
    scheme TEXT NOT NULL,
    level INTEGER NOT NULL,
    route TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    state TEXT NOT NULL,
    suspension_reason TEXT,
    recognitions_json TEXT NOT NULL,
    credential_json TEXT,
    renews_label_id INTEGER REFERENCES labels(id),
    issued_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX labels_search ON labels(category, level, state);
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    run_after INTEGER NOT NULL,
    locked_by TEXT,
    locked_until INTEGER,
    progress TEXT,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX jobs_ready ON jobs(state, run_after);
