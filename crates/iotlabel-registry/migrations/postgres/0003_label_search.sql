-- Label search (issue 4). Released migrations are never edited: add a new file.
--
-- Text search: pg_trgm GIN indexes serve `LIKE '%text%'` for texts of three or more
-- characters (PostgreSQL rechecks every candidate, so results are exact); shorter texts are
-- a scan. The searched expression is lower(column COLLATE "C"), which folds ASCII letters
-- only, so a search means the same on PostgreSQL as on SQLite.
--
-- pg_trgm is installed once per database, in the schema `public`, so that a schema dropped
-- later (a test's) cannot take the extension and other schemas' indexes with it. Two
-- migrations racing to install it on a fresh database: the loser finds it installed. The
-- operator class is named with the extension's schema, wherever it was installed.
DO $$
DECLARE
    trgm_schema TEXT;
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
    EXCEPTION WHEN unique_violation OR duplicate_object THEN
        NULL;
    END;
    SELECT n.nspname INTO trgm_schema
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
    EXECUTE format('CREATE INDEX labels_text_manufacturer ON labels '
        'USING gin ((lower(manufacturer COLLATE "C")) %I.gin_trgm_ops)', trgm_schema);
    EXECUTE format('CREATE INDEX labels_text_product_name ON labels '
        'USING gin ((lower(product_name COLLATE "C")) %I.gin_trgm_ops)', trgm_schema);
    EXECUTE format('CREATE INDEX labels_text_model ON labels '
        'USING gin ((lower(model COLLATE "C")) %I.gin_trgm_ops)', trgm_schema);
    EXECUTE format('CREATE INDEX labels_text_registration_id ON labels '
        'USING gin ((lower(registration_id COLLATE "C")) %I.gin_trgm_ops)', trgm_schema);
END
$$;

-- Listings: category, level and the live status (state, and valid_until against today) from
-- one index; status alone; the case-insensitive manufacturer. labels_listing makes the older
-- labels_search redundant.
DROP INDEX labels_search;
CREATE INDEX labels_listing ON labels (category, level, state, valid_until);
CREATE INDEX labels_status ON labels (state, valid_until);
CREATE INDEX labels_manufacturer ON labels (lower(manufacturer COLLATE "C"));
