-- The transparency log (RFC 6962): every application decision and label event, in order.
-- log_head holds the size; appending updates it first, which serialises appenders.
CREATE TABLE log_head (
    id INTEGER PRIMARY KEY,
    size INTEGER NOT NULL
);
INSERT INTO log_head (id, size) VALUES (1, 0);
CREATE TABLE log_entries (
    leaf_index INTEGER PRIMARY KEY,
    entry TEXT NOT NULL,
    leaf_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE checkpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    size INTEGER NOT NULL,
    root_hash TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
