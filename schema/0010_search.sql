-- The search index: for each tip, the tokens of its words (keyed hashes,
-- lib/search.c); the text itself stays sealed.  The worker indexes tips
-- after they joined a case, old ones included; the console finds the
-- tips holding all of a query's tokens through the GIN index, and their
-- case through case_join, so a merge or a split needs no re-indexing.

CREATE TABLE tip_search (
	tip_id uuid PRIMARY KEY REFERENCES tip (id) ON DELETE CASCADE,
	tokens integer[] NOT NULL
);
CREATE INDEX tip_search_tokens_idx ON tip_search USING gin (tokens);

-- Which tips still wait for the worker: a small partial index, so that
-- finding them never scans the tips.
ALTER TABLE tip ADD COLUMN indexed boolean NOT NULL DEFAULT false;
CREATE INDEX tip_unindexed_idx ON tip (id) WHERE NOT indexed;

GRANT SELECT, INSERT, UPDATE ON tip_search TO tipline_worker;
GRANT SELECT ON tip_search TO tipline_console;
