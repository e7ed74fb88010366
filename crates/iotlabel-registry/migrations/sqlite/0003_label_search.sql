-- Label search (issue 4). Released migrations are never edited: add a new file.
--
-- Text search: `labels_text` is an FTS5 table with the trigram tokenizer over the searchable
-- columns of `labels`, lowered by SQLite's lower() (ASCII letters only), with the same rowid
-- as the label. The tokenizer itself folds no case (case_sensitive 1): a phrase of the
-- lowered search text's trigrams at consecutive positions is then exactly "the lowered column
-- contains the lowered text", the search's meaning, for texts of three or more characters,
-- answered from the index alone. Shorter texts scan this narrow table with LIKE instead of
-- `labels`. Triggers keep it in step with `labels`.
CREATE VIRTUAL TABLE labels_text USING fts5(
    manufacturer,
    product_name,
    model,
    registration_id,
    tokenize = 'trigram case_sensitive 1'
);
INSERT INTO labels_text (rowid, manufacturer, product_name, model, registration_id)
    SELECT id, lower(manufacturer), lower(product_name), lower(model), lower(registration_id)
    FROM labels;
CREATE TRIGGER labels_text_insert AFTER INSERT ON labels BEGIN
    INSERT INTO labels_text (rowid, manufacturer, product_name, model, registration_id)
    VALUES (new.id, lower(new.manufacturer), lower(new.product_name), lower(new.model),
        lower(new.registration_id));
END;
CREATE TRIGGER labels_text_delete AFTER DELETE ON labels BEGIN
    DELETE FROM labels_text WHERE rowid = old.id;
END;
-- Only a change of a searchable column re-indexes (not a state change).
CREATE TRIGGER labels_text_update
AFTER UPDATE OF id, manufacturer, product_name, model, registration_id ON labels BEGIN
    DELETE FROM labels_text WHERE rowid = old.id;
    INSERT INTO labels_text (rowid, manufacturer, product_name, model, registration_id)
    VALUES (new.id, lower(new.manufacturer), lower(new.product_name), lower(new.model),
        lower(new.registration_id));
END;

-- Listings: category, level and the live status (state, and valid_until against today) from
-- one index; status alone; the case-insensitive manufacturer (SQLite's lower() folds ASCII
-- only, as the store's search does). labels_listing makes the older labels_search redundant.
DROP INDEX labels_search;
CREATE INDEX labels_listing ON labels (category, level, state, valid_until);
CREATE INDEX labels_status ON labels (state, valid_until);
CREATE INDEX labels_manufacturer ON labels (lower(manufacturer));
