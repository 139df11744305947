-- Cases, dedup keys and routing, for the worker.
--
-- A case gathers the tips about one thing (one post, one screenshot, one
-- incident) and belongs to one department.  The worker computes a tip's
-- keys outside the database (it holds the private key) and hands them to
-- ingest_apply(), which in one transaction finds the open case they match,
-- or opens a new one routed to the right police, records which key
-- matched, and marks the job done.

CREATE TABLE cases (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	department_id smallint NOT NULL REFERENCES department (id),
	-- No municipality for a place tip: routed to the national unit and
	-- flagged for a person to route.
	needs_routing boolean NOT NULL DEFAULT false,
	status text NOT NULL DEFAULT 'open' CHECK (status IN ('open',
	    'closed')),
	ntips integer NOT NULL DEFAULT 0 CHECK (ntips >= 0),
	-- Grows with the tips: fifty reports of one post come first.
	priority integer NOT NULL DEFAULT 0,
	-- Truncated like tips' arrival times.
	opened_at timestamptz NOT NULL,
	last_tip_at timestamptz NOT NULL,
	closed_at timestamptz
);
CREATE INDEX cases_queue_idx ON cases (department_id, status, priority DESC);

ALTER TABLE tip ADD COLUMN case_id bigint REFERENCES cases (id);
-- The text the worker read in a screenshot, sealed: officers search it and
-- screen readers read it.
ALTER TABLE attachment ADD COLUMN sealed_text bytea;
CREATE INDEX tip_case_idx ON tip (case_id);

-- How each tip came into its case: the key that matched (or 'new'), and
-- for near-duplicates the Hamming distance.  One row per tip: a tip is in
-- exactly one case, and a job that ran twice would violate the key.
CREATE TABLE case_join (
	tip_id uuid PRIMARY KEY REFERENCES tip (id) ON DELETE CASCADE,
	case_id bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	matched text NOT NULL CHECK (matched IN ('new', 'image', 'image_near',
	    'link', 'text', 'text_near', 'screenshot_text')),
	distance smallint,
	joined_at timestamptz NOT NULL
);
CREATE INDEX case_join_case_idx ON case_join (case_id);

-- Exact keys: SHA-256 of a clean image, HMAC of a canonical link or of
-- normalised text.
CREATE TABLE exact_key (
	kind text NOT NULL CHECK (kind IN ('image', 'link', 'text')),
	key bytea NOT NULL CHECK (length(key) = 32),
	case_id bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	tip_id uuid NOT NULL REFERENCES tip (id) ON DELETE CASCADE
);
CREATE INDEX exact_key_idx ON exact_key (kind, key);
CREATE INDEX exact_key_tip_idx ON exact_key (tip_id);

-- Near keys: 64-bit perceptual hashes of images and SimHashes of text,
-- split into four 16-bit chunks for multi-index hashing: two hashes within
-- Hamming distance t differ in at most floor(t / 4) bits of some chunk, so
-- looking up each chunk's Hamming ball of that radius finds every
-- candidate through the indexes, never by a scan.
CREATE TABLE near_key (
	kind text NOT NULL CHECK (kind IN ('image', 'text', 'screenshot_text')),
	hash bigint NOT NULL,
	c0 integer NOT NULL,
	c1 integer NOT NULL,
	c2 integer NOT NULL,
	c3 integer NOT NULL,
	case_id bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	tip_id uuid NOT NULL REFERENCES tip (id) ON DELETE CASCADE
);
CREATE INDEX near_key_c0_idx ON near_key (kind, c0);
CREATE INDEX near_key_c1_idx ON near_key (kind, c1);
CREATE INDEX near_key_c2_idx ON near_key (kind, c2);
CREATE INDEX near_key_c3_idx ON near_key (kind, c3);
CREATE INDEX near_key_tip_idx ON near_key (tip_id);

-- Chunk i (0 = most significant) of a 64-bit hash, 0..65535.
CREATE FUNCTION mih_chunk(h bigint, i integer) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ((h >> (48 - 16 * i)) & 65535)::integer $$;

-- Every 16-bit value within Hamming distance r (0 to 3) of c: 1, 17, 137
-- or 697 values.
CREATE FUNCTION mih_ball(c integer, r integer) RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
	v integer[] := ARRAY[c];
	i integer;
	j integer;
	k integer;
BEGIN
	IF r >= 1 THEN
		FOR i IN 0 .. 15 LOOP
			v := v || (c # (1 << i));
		END LOOP;
	END IF;
	IF r >= 2 THEN
		FOR i IN 0 .. 14 LOOP
			FOR j IN i + 1 .. 15 LOOP
				v := v || (c # (1 << i) # (1 << j));
			END LOOP;
		END LOOP;
	END IF;
	IF r >= 3 THEN
		FOR i IN 0 .. 13 LOOP
			FOR j IN i + 1 .. 14 LOOP
				FOR k IN j + 1 .. 15 LOOP
					v := v || (c # (1 << i) # (1 << j)
					    # (1 << k));
				END LOOP;
			END LOOP;
		END LOOP;
	END IF;
	RETURN v;
END
$$;

-- The open case, within the merge window, holding a near key of this
-- kind within distance t of h; the closest first.  Each chunk's ball is a
-- separate index lookup (a UNION, not an OR: with an OR the planner may
-- prefer a sequential scan, hoping a LIMIT ends it early).  PL/pgSQL so
-- that the plan is prepared once per session, not at every call.
CREATE FUNCTION near_case(p_kind text, h bigint, t integer,
    p_since timestamptz)
RETURNS TABLE (case_id bigint, distance integer)
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
DECLARE
	b0 integer[] := mih_ball(mih_chunk(h, 0), t / 4);
	b1 integer[] := mih_ball(mih_chunk(h, 1), t / 4);
	b2 integer[] := mih_ball(mih_chunk(h, 2), t / 4);
	b3 integer[] := mih_ball(mih_chunk(h, 3), t / 4);
BEGIN
	RETURN QUERY
	SELECT cand.case_id, bit_count((cand.hash # h)::bit(64))::integer AS d
	FROM (
		SELECT nk.case_id, nk.hash FROM near_key nk
		WHERE nk.kind = p_kind AND nk.c0 = ANY (b0)
		UNION
		SELECT nk.case_id, nk.hash FROM near_key nk
		WHERE nk.kind = p_kind AND nk.c1 = ANY (b1)
		UNION
		SELECT nk.case_id, nk.hash FROM near_key nk
		WHERE nk.kind = p_kind AND nk.c2 = ANY (b2)
		UNION
		SELECT nk.case_id, nk.hash FROM near_key nk
		WHERE nk.kind = p_kind AND nk.c3 = ANY (b3)
	) cand
	JOIN cases c ON c.id = cand.case_id
	WHERE bit_count((cand.hash # h)::bit(64)) <= t
	    AND c.status = 'open' AND c.last_tip_at >= p_since
	ORDER BY d, cand.case_id
	LIMIT 1;
END
$$;

-- Where a new case goes: online only to the national unit for online
-- hate (even when the tipster chose a municipality: the post is the
-- offence, and the unit forwards what is local); a place or both, to the
-- municipality's department (Åland's to Åland's police); a place without
-- a known municipality to the national unit, flagged.
CREATE FUNCTION route_case(p_channel text, p_municipality text,
    OUT department_id smallint, OUT needs_routing boolean)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	IF p_municipality IS NOT NULL AND p_channel <> 'online' THEN
		SELECT m.department_id INTO department_id
		FROM municipality m WHERE m.code = p_municipality;
	END IF;
	needs_routing := department_id IS NULL AND p_channel <> 'online';
	IF department_id IS NULL THEN
		SELECT d.id INTO department_id
		FROM department d WHERE d.kind = 'national'
		ORDER BY d.id LIMIT 1;
	END IF;
END
$$;

-- Claims the next job that is due and not leased, leasing it for
-- p_lease_s seconds.  A job whose worker died is due again when its lease
-- runs out.  attempts counts claims; the caller must show it back.
CREATE FUNCTION job_claim(p_lease_s integer, p_max integer)
RETURNS TABLE (id bigint, kind text, tip_id uuid, attempts integer)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
	v_id bigint;
	v_attempts integer;
BEGIN
	-- A lease lost in a server crash only lets the job be claimed again.
	PERFORM set_config('synchronous_commit', 'off', true);
	LOOP
		UPDATE job j SET locked_until = now()
		        + make_interval(secs => p_lease_s),
		    attempts = j.attempts + 1
		WHERE j.id = (
			SELECT q.id FROM job q
			WHERE q.state = 'queued' AND q.run_after <= now()
			    AND (q.locked_until IS NULL
			        OR q.locked_until < now())
			ORDER BY q.run_after, q.id
			FOR UPDATE SKIP LOCKED
			LIMIT 1)
		RETURNING j.id, j.attempts INTO v_id, v_attempts;
		IF v_id IS NULL THEN
			RETURN;
		END IF;
		-- Every attempt so far ended without a result: its worker
		-- died each time (a job that crashes workers).  Park it.
		IF v_attempts > p_max THEN
			UPDATE job SET state = 'dead', locked_until = NULL,
			    last_error = 'no attempt finished: the worker '
			        || 'stopped during each'
			WHERE job.id = v_id;
			CONTINUE;
		END IF;
		RETURN QUERY SELECT j.id, j.kind, j.tip_id, j.attempts
		    FROM job j WHERE j.id = v_id;
		RETURN;
	END LOOP;
END
$$;

-- Locks the job if the caller still holds its lease (same attempt, not
-- expired, still queued); raises otherwise, so that a worker whose lease
-- passed to another can never apply its result.
CREATE FUNCTION job_hold(p_job bigint, p_attempts integer) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM 1 FROM job
	WHERE id = p_job AND attempts = p_attempts AND state = 'queued'
	    AND locked_until >= now()
	FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'lease of job % lost', p_job
		    USING ERRCODE = '55000';
	END IF;
END
$$;

-- A failed attempt: back off exponentially (p_backoff_s, doubling), or
-- park the job as dead with its error after p_max attempts.
CREATE FUNCTION job_fail(p_job bigint, p_attempts integer, p_error text,
    p_max integer, p_backoff_s integer) RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
	v_state text;
BEGIN
	UPDATE job SET
	    state = CASE WHEN attempts >= p_max THEN 'dead' ELSE 'queued' END,
	    last_error = left(p_error, 500),
	    locked_until = NULL,
	    run_after = now() + make_interval(secs =>
	        p_backoff_s * power(2, least(attempts - 1, 16)))
	WHERE id = p_job AND attempts = p_attempts AND state = 'queued'
	RETURNING state INTO v_state;
	RETURN coalesce(v_state, 'lost');
END
$$;

-- The ingest job's effect, all or nothing: joins the tip to the open case
-- its keys match (strongest key first) or opens a routed case, stores
-- the keys, and marks the job done.  Matching runs under one advisory
-- lock, so two tips about one post ingested at once by two workers still
-- end in one case.
CREATE FUNCTION ingest_apply(p_job bigint, p_attempts integer, p_tip uuid,
    p_link_key bytea, p_text_key bytea, p_text_hash bigint,
    p_window_s integer, p_image_t integer, p_text_t integer,
    p_shot_hashes bigint[], p_shot_texts bytea[], p_shot_t integer)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	v_tip tip%ROWTYPE;
	v_since timestamptz := now() - make_interval(secs => p_window_s);
	v_case bigint;
	v_matched text;
	v_distance integer;
	v_dept smallint;
	v_flag boolean;
	a record;
	i integer;
BEGIN
	-- No need to wait for the disk: if the server crashes before this
	-- commit is flushed, the effect and the job's "done" are lost
	-- together, and the job runs again after its lease.  The lock below
	-- is then held for the work only, not for an fsync.
	PERFORM set_config('synchronous_commit', 'off', true);
	PERFORM job_hold(p_job, p_attempts);
	SELECT * INTO v_tip FROM tip WHERE id = p_tip FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'tip of job % is gone', p_job
		    USING ERRCODE = '02000';
	END IF;
	PERFORM pg_advisory_xact_lock(7436978);

	-- The same clean image.
	SELECT k.case_id INTO v_case
	FROM attachment at JOIN exact_key k ON k.kind = 'image'
	    AND k.key = at.sha256
	JOIN cases c ON c.id = k.case_id
	WHERE at.tip_id = p_tip AND c.status = 'open'
	    AND c.last_tip_at >= v_since
	ORDER BY k.case_id LIMIT 1;
	IF v_case IS NOT NULL THEN
		v_matched := 'image';
	END IF;
	-- The same post.
	IF v_case IS NULL AND p_link_key IS NOT NULL THEN
		SELECT k.case_id INTO v_case
		FROM exact_key k JOIN cases c ON c.id = k.case_id
		WHERE k.kind = 'link' AND k.key = p_link_key
		    AND c.status = 'open' AND c.last_tip_at >= v_since
		ORDER BY k.case_id LIMIT 1;
		IF v_case IS NOT NULL THEN
			v_matched := 'link';
		END IF;
	END IF;
	-- A near-duplicate image.
	IF v_case IS NULL THEN
		FOR a IN SELECT phash FROM attachment WHERE tip_id = p_tip
		    ORDER BY seq LOOP
			SELECT n.case_id, n.distance INTO v_case, v_distance
			FROM near_case('image', a.phash, p_image_t, v_since) n;
			IF v_case IS NOT NULL THEN
				v_matched := 'image_near';
				EXIT;
			END IF;
		END LOOP;
	END IF;
	-- The same words read in a screenshot (another phone, another width).
	IF v_case IS NULL THEN
		FOR i IN 1 .. coalesce(array_length(p_shot_hashes, 1), 0) LOOP
			CONTINUE WHEN p_shot_hashes[i] IS NULL;
			SELECT n.case_id, n.distance INTO v_case, v_distance
			FROM near_case('screenshot_text', p_shot_hashes[i],
			    p_shot_t, v_since) n;
			IF v_case IS NOT NULL THEN
				v_matched := 'screenshot_text';
				EXIT;
			END IF;
		END LOOP;
	END IF;
	-- The same text, then nearly the same.
	IF v_case IS NULL AND p_text_key IS NOT NULL THEN
		SELECT k.case_id INTO v_case
		FROM exact_key k JOIN cases c ON c.id = k.case_id
		WHERE k.kind = 'text' AND k.key = p_text_key
		    AND c.status = 'open' AND c.last_tip_at >= v_since
		ORDER BY k.case_id LIMIT 1;
		IF v_case IS NOT NULL THEN
			v_matched := 'text';
		END IF;
	END IF;
	IF v_case IS NULL AND p_text_hash IS NOT NULL THEN
		SELECT n.case_id, n.distance INTO v_case, v_distance
		FROM near_case('text', p_text_hash, p_text_t, v_since) n;
		IF v_case IS NOT NULL THEN
			v_matched := 'text_near';
		END IF;
	END IF;

	IF v_case IS NULL THEN
		SELECT r.department_id, r.needs_routing INTO v_dept, v_flag
		FROM route_case(v_tip.channel, v_tip.municipality) r;
		INSERT INTO cases (department_id, needs_routing, opened_at,
		    last_tip_at)
		VALUES (v_dept, v_flag, v_tip.received_at, v_tip.received_at)
		RETURNING id INTO v_case;
		v_matched := 'new';
	END IF;

	UPDATE cases SET ntips = ntips + 1, priority = ntips + 1,
	    last_tip_at = greatest(last_tip_at, v_tip.received_at)
	WHERE id = v_case;
	UPDATE tip SET case_id = v_case WHERE id = p_tip;
	INSERT INTO case_join (tip_id, case_id, matched, distance, joined_at)
	VALUES (p_tip, v_case, v_matched, v_distance, v_tip.received_at);

	INSERT INTO exact_key (kind, key, case_id, tip_id)
	SELECT 'image', sha256, v_case, p_tip FROM attachment
	WHERE tip_id = p_tip;
	IF p_link_key IS NOT NULL THEN
		INSERT INTO exact_key VALUES ('link', p_link_key, v_case, p_tip);
	END IF;
	IF p_text_key IS NOT NULL THEN
		INSERT INTO exact_key VALUES ('text', p_text_key, v_case, p_tip);
	END IF;
	INSERT INTO near_key (kind, hash, c0, c1, c2, c3, case_id, tip_id)
	SELECT 'image', phash, mih_chunk(phash, 0), mih_chunk(phash, 1),
	    mih_chunk(phash, 2), mih_chunk(phash, 3), v_case, p_tip
	FROM attachment WHERE tip_id = p_tip;
	IF p_text_hash IS NOT NULL THEN
		INSERT INTO near_key (kind, hash, c0, c1, c2, c3, case_id,
		    tip_id)
		VALUES ('text', p_text_hash, mih_chunk(p_text_hash, 0),
		    mih_chunk(p_text_hash, 1), mih_chunk(p_text_hash, 2),
		    mih_chunk(p_text_hash, 3), v_case, p_tip);
	END IF;

	FOR i IN 1 .. coalesce(array_length(p_shot_hashes, 1), 0) LOOP
		CONTINUE WHEN p_shot_hashes[i] IS NULL;
		INSERT INTO near_key (kind, hash, c0, c1, c2, c3, case_id,
		    tip_id)
		VALUES ('screenshot_text', p_shot_hashes[i],
		    mih_chunk(p_shot_hashes[i], 0),
		    mih_chunk(p_shot_hashes[i], 1),
		    mih_chunk(p_shot_hashes[i], 2),
		    mih_chunk(p_shot_hashes[i], 3), v_case, p_tip);
	END LOOP;
	FOR i IN 1 .. coalesce(array_length(p_shot_texts, 1), 0) LOOP
		UPDATE attachment SET sealed_text = p_shot_texts[i]
		WHERE tip_id = p_tip AND seq = i AND p_shot_texts[i] IS NOT NULL;
	END LOOP;

	UPDATE job SET state = 'done', locked_until = NULL, last_error = NULL
	WHERE id = p_job;
	RETURN v_case;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON cases, case_join, exact_key,
    near_key TO tipline_worker;
GRANT SELECT, UPDATE ON cases TO tipline_console;
GRANT SELECT ON case_join TO tipline_console;

REVOKE ALL ON FUNCTION job_claim(integer, integer), job_hold(bigint, integer),
    job_fail(bigint, integer, text, integer, integer),
    ingest_apply(bigint, integer, uuid, bytea, bytea, bigint, integer,
    integer, integer, bigint[], bytea[], integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION job_claim(integer, integer), job_hold(bigint, integer),
    job_fail(bigint, integer, text, integer, integer),
    ingest_apply(bigint, integer, uuid, bytea, bytea, bigint, integer,
    integer, integer, bigint[], bytea[], integer) TO tipline_worker;
