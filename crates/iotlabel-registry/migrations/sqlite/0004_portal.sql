-- Portal data (issue 5), SQLite: vulnerability reports about labels and their status history,
-- a snapshot of the dossier at every submission, and the test lab's per-provision verdicts.
CREATE TABLE vulnerability_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL UNIQUE,
    label_id INTEGER NOT NULL REFERENCES labels(id),
    -- The label's manufacturer organisation: the reports it may see.
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    summary TEXT NOT NULL,
    details TEXT NOT NULL,
    reporter_name TEXT,
    reporter_email TEXT,
    status TEXT NOT NULL,
    status_note TEXT,
    received_at INTEGER NOT NULL,
    deadline_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX vulnerability_reports_organisation ON vulnerability_reports(organisation_id);
CREATE INDEX vulnerability_reports_label ON vulnerability_reports(label_id);
CREATE INDEX vulnerability_reports_due ON vulnerability_reports(status, deadline_at);
CREATE TABLE vulnerability_report_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id INTEGER NOT NULL REFERENCES vulnerability_reports(id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT,
    actor_user_id INTEGER REFERENCES users(id),
    at INTEGER NOT NULL
);
CREATE INDEX vulnerability_report_events_report ON vulnerability_report_events(report_id);
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES applications(id),
    number INTEGER NOT NULL,
    action TEXT NOT NULL,
    application_version INTEGER NOT NULL,
    dossier_json TEXT NOT NULL,
    assessment_json TEXT,
    evidence_json TEXT NOT NULL,
    submitted_by INTEGER REFERENCES users(id),
    submitted_at INTEGER NOT NULL,
    UNIQUE (application_id, number)
);
CREATE TABLE lab_verdicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES applications(id),
    provision TEXT NOT NULL,
    verdict TEXT NOT NULL,
    note TEXT,
    lab_organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    recorded_by INTEGER NOT NULL REFERENCES users(id),
    recorded_at INTEGER NOT NULL,
    UNIQUE (application_id, provision)
);
