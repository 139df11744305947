-- A tipster's follow-ups: more text and screenshots added on /status with
-- the receipt code, to the tip the code belongs to.
--
-- The intake stores one through tip_followup_add(), keyed by the receipt
-- hash like tip_status_full(): the text sealed to the deployment's
-- public key like a tip's description, the screenshots as attachment rows
-- of the tip (followup_id says which follow-up brought them; their seq
-- continues after the tip's own).  The arrival is truncated like a tip's,
-- and a receipt takes at most p_max_per_day follow-ups in 24 hours,
-- counted from those truncated times.  The tip's case is marked as having
-- new information (cases.new_info, 0007) until an officer of its
-- department opens it (case_seen()).
--
-- What else reads attachment rows and what they do with a follow-up's:
--   the worker's screenshot reading (lib/db_stmt.c, worker_shots) takes
--   the tip's own only (followup_id IS NULL): a tip has nattachments of
--   its own, numbered 1..n;
--   ingest_batch() (0004) takes the image keys of every attachment of a
--   tip; one added before the worker filed the tip (the worker stopped)
--   counts among the tip's images when the tip is matched, which is what
--   the tipster sent about that post;
--   the console lists the tip's own under the tip (console_case_shots)
--   and a follow-up's under the follow-up; its screenshot route serves
--   both by (tip, seq);
--   purging deletes the tip, and its follow-ups and their attachments go
--   with it (ON DELETE CASCADE);
--   tip.nattachments counts the tip's own only and keeps its check.

CREATE TABLE tip_followup (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tip_id uuid NOT NULL REFERENCES tip (id) ON DELETE CASCADE,
	-- Truncated like tip.received_at (the intake's arrival_truncate).
	received_at timestamptz NOT NULL,
	-- The text sealed with the deployment's public key; NULL when only
	-- screenshots were added.
	sealed_text bytea,
	nattachments smallint NOT NULL CHECK (nattachments BETWEEN 0 AND 3),
	-- Written to the audit log yet (followup_audit()).
	audited boolean NOT NULL DEFAULT false,
	CHECK (sealed_text IS NOT NULL OR nattachments > 0)
);
CREATE INDEX tip_followup_tip_idx ON tip_followup (tip_id, received_at);
CREATE INDEX tip_followup_audit_idx ON tip_followup (received_at, id)
    WHERE NOT audited;

ALTER TABLE attachment ADD COLUMN followup_id bigint
    REFERENCES tip_followup (id) ON DELETE CASCADE;
CREATE INDEX attachment_followup_idx ON attachment (followup_id)
    WHERE followup_id IS NOT NULL;

-- Adds a follow-up to the tip of a receipt hash.  Returns 'ok', or why
-- not: 'unknown' (no such tip), 'closed' (its case closed more than
-- p_followup_days days ago: tip_status_full()'s followup_open is false),
-- 'slow' (p_max_per_day follow-ups in the last 24 hours already).
-- Screenshots come as tip_submit()'s do: parallel arrays of their plain
-- metadata and up to three sealed images as separate parameters.
CREATE FUNCTION tip_followup_add(p_receipt_hash bytea, p_truncate_s integer,
    p_followup_days integer, p_max_per_day integer, p_sealed_text bytea,
    p_mimes text[], p_widths integer[], p_heights integer[],
    p_sha256s bytea[], p_phashes bigint[],
    p_img1 bytea, p_img2 bytea, p_img3 bytea)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	v_tip uuid;
	v_case bigint;
	v_status text;
	v_closed timestamptz;
	v_id bigint;
	v_seq integer;
	v_n integer := intake_check(p_truncate_s, 3, p_mimes, p_widths,
	    p_heights, p_sha256s, p_phashes);
	-- After the check: it refuses a truncation under a minute.
	v_at timestamptz := intake_arrival(p_truncate_s);
	i integer;
BEGIN
	IF p_sealed_text IS NULL AND v_n = 0 THEN
		RAISE EXCEPTION 'an empty follow-up' USING ERRCODE = '22023';
	END IF;
	-- The tip's row lock makes one receipt's follow-ups one at a time:
	-- the count below and the attachments' seq stay right.
	SELECT t.id INTO v_tip FROM tip t
	WHERE t.receipt_hash = p_receipt_hash
	FOR UPDATE;
	IF NOT FOUND THEN
		RETURN 'unknown';
	END IF;
	SELECT c.id, c.status, c.closed_at INTO v_case, v_status, v_closed
	FROM case_join j JOIN cases c ON c.id = j.case_id
	WHERE j.tip_id = v_tip;
	IF v_status = 'closed' AND NOT v_closed > now()
	    - make_interval(days => p_followup_days) THEN
		RETURN 'closed';
	END IF;
	IF (SELECT count(*) FROM tip_followup f WHERE f.tip_id = v_tip
	    AND f.received_at > v_at - interval '24 hours')
	    >= p_max_per_day THEN
		RETURN 'slow';
	END IF;

	INSERT INTO tip_followup (tip_id, received_at, sealed_text,
	    nattachments)
	VALUES (v_tip, v_at, p_sealed_text, v_n)
	RETURNING id INTO v_id;
	SELECT coalesce(max(a.seq), 0) INTO v_seq FROM attachment a
	WHERE a.tip_id = v_tip;
	PERFORM intake_attach(v_tip, v_seq, v_id, p_mimes, p_widths,
	    p_heights, p_sha256s, p_phashes, ARRAY[p_img1, p_img2, p_img3]);
	-- The officers see at once that something came, never what.  The
	-- case's history and the audit log say so later (followup_audit()):
	-- a row written now would keep the exact time, the audit log's in
	-- its stamp, the history's in its place among the officers' own.
	IF v_case IS NOT NULL THEN
		UPDATE cases SET new_info = true WHERE id = v_case;
	END IF;
	RETURN 'ok';
END
$$;

-- The case history's and the audit log's rows of follow-ups, written by
-- the worker's sweep once the period a follow-up's arrival is truncated
-- to (p_truncate_s) is over: an audit row is stamped with the time it is
-- written, and a history row is listed among the officers' actions in
-- the order written; either written as the follow-up came would keep the
-- exact arrival time that received_at truncates.  The history row has the
-- truncated time.  Returns how many it wrote.
CREATE FUNCTION followup_audit(p_truncate_s integer) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	r record;
	n integer := 0;
BEGIN
	FOR r IN SELECT f.id, f.nattachments, f.received_at, j.case_id
	    FROM tip_followup f LEFT JOIN case_join j ON j.tip_id = f.tip_id
	    WHERE NOT f.audited
	        AND f.received_at + make_interval(secs => p_truncate_s)
	            <= now()
	    ORDER BY f.received_at, f.id
	    LIMIT 500
	    FOR UPDATE OF f SKIP LOCKED
	LOOP
		IF r.case_id IS NOT NULL THEN
			INSERT INTO case_event (case_id, at, reviewer_id, kind,
			    reason, detail)
			VALUES (r.case_id, r.received_at, NULL, 'followup', NULL,
			    jsonb_build_object('followup', r.id, 'screenshots',
			        r.nattachments));
		END IF;
		PERFORM audit_append(NULL, 'followup', r.case_id,
		    jsonb_build_object('followup', r.id, 'screenshots',
		        r.nattachments), NULL);
		UPDATE tip_followup SET audited = true WHERE id = r.id;
		n := n + 1;
	END LOOP;
	RETURN n;
END
$$;
REVOKE ALL ON FUNCTION followup_audit(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION followup_audit(integer) TO tipline_worker;

-- An officer of the case's department opens its page: the new
-- information has been seen.  Returns whether it was new (the page still
-- marks it once).  Not an action on the case: no version, no history
-- (the view itself is in the audit log).
CREATE FUNCTION case_seen(p_reviewer integer, p_case bigint)
RETURNS boolean
LANGUAGE sql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
	UPDATE cases c SET new_info = false
	FROM reviewer r
	WHERE c.id = p_case AND c.new_info
	    AND r.id = p_reviewer AND NOT r.disabled
	    AND r.role IN ('officer', 'national')
	    AND r.department_id = c.department_id
	RETURNING true
$$;

REVOKE ALL ON FUNCTION
    tip_followup_add(bytea, integer, integer, integer, bytea, text[],
        integer[], integer[], bytea[], bigint[], bytea, bytea, bytea),
    case_seen(integer, bigint)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    tip_followup_add(bytea, integer, integer, integer, bytea, text[],
        integer[], integer[], bytea[], bigint[], bytea, bytea, bytea)
    TO tipline_intake;
GRANT EXECUTE ON FUNCTION case_seen(integer, bigint) TO tipline_console;
GRANT SELECT ON tip_followup TO tipline_console;
GRANT SELECT, DELETE ON tip_followup TO tipline_worker;
