-- The console's pages at a million cases (bench/console.sh).
--
-- Each row of the queue shows its case's first tip.  Found by the tips'
-- arrival (ORDER BY t.received_at over every tip of the case), a page of
-- the biggest cases read all their tips: 16,500 tip rows for Helsinki's
-- first page at 1,000,000 cases, over 100 ms.  A tip's joined_at is its
-- arrival (ingest_batch() stores received_at there, and a split or a merge
-- moves the row without changing it), so the first tip is the first entry
-- of the case in this index: one probe a case, from the index alone.
-- Every other lookup by case_id (the case page, the cascades from cases)
-- uses it as it used the index on case_id alone, which it replaces.
-- The tip that opened the case comes first (several tips can arrive in
-- the same hour); after a merge, the earlier of the two openers.
CREATE INDEX case_join_case_first_idx ON case_join (case_id,
    (matched <> 'new'), joined_at, tip_id);
DROP INDEX case_join_case_idx;
