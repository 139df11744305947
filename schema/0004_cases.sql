-- Cases, dedup keys and routing, for the worker.
--
-- A case gathers the tips about one thing (one post, one screenshot, one
-- incident) and belongs to one department.  The worker computes a tip's
-- keys outside the database (it holds the private key) and hands a batch
-- of tips to ingest_batch(), which in one transaction finds for each the
-- open case its keys match, or opens a new one routed to the right police,
-- records which key matched, and marks the jobs done.

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

-- The text the worker read in a screenshot, sealed: officers search it and
-- screen readers read it.
ALTER TABLE attachment ADD COLUMN sealed_text bytea;

-- Which case each tip is in, and how it came there: the key that matched
-- (or 'new'), and for near-duplicates the Hamming distance.  One row per
-- tip: a tip is in exactly one case, and a job that ran twice would
-- violate the key.
CREATE TABLE case_join (
	tip_id uuid PRIMARY KEY REFERENCES tip (id) ON DELETE CASCADE,
	case_id bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	matched text NOT NULL CHECK (matched IN ('new', 'image', 'image_near',
	    'link', 'text', 'text_near', 'screenshot_text')),
	distance smallint,
	joined_at timestamptz NOT NULL
);
CREATE INDEX case_join_case_idx ON case_join (case_id);

-- Keys are stored once per case: a post reported five thousand times is
-- one key to find, not five thousand rows to read at every lookup.  They
-- belong to the case and go with it; tip_id only says which tip first
-- brought the key (NULL once that tip is deleted: the case keeps its
-- keys).  Which key brought each tip in is case_join's.
--
-- Exact keys: SHA-256 of a clean image, HMAC of a canonical link or of
-- normalised text.
CREATE TABLE exact_key (
	kind text NOT NULL CHECK (kind IN ('image', 'link', 'text')),
	key bytea NOT NULL CHECK (length(key) = 32),
	case_id bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	tip_id uuid REFERENCES tip (id) ON DELETE SET NULL,
	PRIMARY KEY (kind, key, case_id)
);
CREATE INDEX exact_key_tip_idx ON exact_key (tip_id);
CREATE INDEX exact_key_case_idx ON exact_key (case_id);

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
	tip_id uuid REFERENCES tip (id) ON DELETE SET NULL,
	PRIMARY KEY (kind, hash, case_id)
);
-- The hash and the case are in the indexes too: a lookup reads about a
-- thousand candidates at a million hashes, and reads them from the index
-- alone (once vacuum has marked the pages all-visible).
CREATE INDEX near_key_c0_idx ON near_key (kind, c0) INCLUDE (hash, case_id);
CREATE INDEX near_key_c1_idx ON near_key (kind, c1) INCLUDE (hash, case_id);
CREATE INDEX near_key_c2_idx ON near_key (kind, c2) INCLUDE (hash, case_id);
CREATE INDEX near_key_c3_idx ON near_key (kind, c3) INCLUDE (hash, case_id);
CREATE INDEX near_key_tip_idx ON near_key (tip_id);
CREATE INDEX near_key_case_idx ON near_key (case_id);

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

-- near_case() for the first of the hashes, in order, that has one.
CREATE FUNCTION near_case_any(p_kind text, p_hashes bigint[], t integer,
    p_since timestamptz, OUT case_id bigint, OUT distance integer)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	v_h bigint;
BEGIN
	FOREACH v_h IN ARRAY p_hashes LOOP
		SELECT nc.case_id, nc.distance INTO case_id, distance
		FROM near_case(p_kind, v_h, t, p_since) nc;
		EXIT WHEN case_id IS NOT NULL;
	END LOOP;
END
$$;

-- The open case, within the merge window, holding one of these exact
-- keys of this kind; the oldest first.  SQL, so that it is inlined into
-- its caller's plan.
CREATE FUNCTION exact_case(p_kind text, p_keys bytea[], p_since timestamptz)
RETURNS TABLE (case_id bigint)
LANGUAGE sql STABLE
AS $$
	SELECT k.case_id
	FROM exact_key k JOIN cases c ON c.id = k.case_id
	WHERE k.kind = p_kind AND k.key = ANY (p_keys)
	    AND c.status = 'open' AND c.last_tip_at >= p_since
	ORDER BY k.case_id LIMIT 1
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
		FROM municipality m WHERE m.code = p_municipality::char(3);
	END IF;
	needs_routing := department_id IS NULL AND p_channel <> 'online';
	IF department_id IS NULL THEN
		SELECT d.id INTO department_id
		FROM department d WHERE d.kind = 'national'
		ORDER BY d.id LIMIT 1;
	END IF;
END
$$;

-- Claims up to p_n jobs that are due and not leased, oldest first,
-- leasing them for p_lease_s seconds, and stopping before the jobs' tips
-- bring more than p_shots screenshots (the first job always comes:
-- reading screenshots' text is slow, and every job claimed must finish
-- within its lease).  A job whose worker died is due again when its lease
-- runs out.  attempts counts claims; the caller must show it back.  A job
-- claimed more than p_max times without any attempt finishing (it crashes
-- its workers) is parked as dead instead.  An ingest job comes with its
-- tip's sealed fields, saving the worker a query.
CREATE FUNCTION job_claim(p_lease_s double precision, p_max integer,
    p_n integer, p_shots integer)
RETURNS TABLE (id bigint, kind text, tip_id uuid, attempts integer,
    sealed_description bytea, sealed_url bytea, nattachments integer)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
BEGIN
	-- A lease lost in a server crash only lets the job be claimed again.
	PERFORM set_config('synchronous_commit', 'off', true);
	RETURN QUERY
	WITH due AS (
		SELECT q.id, q.tip_id FROM job q
		WHERE q.state = 'queued' AND q.run_after <= now()
		    AND (q.locked_until IS NULL OR q.locked_until < now())
		ORDER BY q.run_after, q.id
		LIMIT p_n
		FOR UPDATE SKIP LOCKED),
	fits AS (
		SELECT d.id, sum(coalesce(t.nattachments, 0))
		        OVER (ORDER BY d.id)
		    - coalesce(t.nattachments, 0) AS shots_before
		FROM due d LEFT JOIN tip t ON t.id = d.tip_id),
	claimed AS (
		UPDATE job j SET
		    attempts = j.attempts + 1,
		    locked_until = CASE WHEN j.attempts >= p_max THEN NULL
		        ELSE now() + make_interval(secs => p_lease_s) END,
		    state = CASE WHEN j.attempts >= p_max THEN 'dead'
		        ELSE j.state END,
		    last_error = CASE WHEN j.attempts >= p_max
		        THEN 'no attempt finished: the worker stopped during '
		            || 'each'
		        ELSE j.last_error END
		FROM fits f
		WHERE j.id = f.id AND (f.shots_before = 0
		    OR f.shots_before < p_shots)
		RETURNING j.id, j.kind, j.tip_id, j.attempts, j.state)
	SELECT c.id, c.kind, c.tip_id, c.attempts, t.sealed_description,
	    t.sealed_url, t.nattachments::integer
	FROM claimed c LEFT JOIN tip t ON t.id = c.tip_id
	WHERE c.state = 'queued'
	ORDER BY c.id;
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
    p_max integer, p_backoff_s double precision) RETURNS text
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

-- The effect of a batch of ingest jobs, all or nothing: each tip in turn
-- joins the open case its keys match (strongest key first) or opens a
-- routed case, and its keys are stored at once, so that a later tip of
-- the same batch finds them; then the joins are recorded, the cases
-- counted and the jobs marked done.  Returns each job with its case.
--
-- The worker computes the keys outside the database (it holds the private
-- key).  Per tip (arrays of the batch's length): job, attempt, tip, HMAC
-- of the canonical link, HMAC of the normalised description and its
-- SimHash (NULL when absent or too short).  Per screenshot whose text was
-- read (arrays of their own length): the tip's index in the batch, the
-- screenshot's seq, its text's SimHash (NULL when too short) and the text
-- sealed.  Image keys (SHA-256, pHash) are in the attachment rows.
--
-- Matching runs under one advisory lock, so two tips about one post
-- ingested at once by two workers still end in one case; a batch takes it
-- once, which is what makes batches fast.  If any job's lease was lost the
-- whole batch is refused (SQLSTATE 55000), and if a tip is gone, 02000:
-- the worker then applies the jobs one by one, so that one bad job holds
-- up no other.
CREATE FUNCTION ingest_batch(p_jobs bigint[], p_attempts integer[],
    p_tips uuid[], p_link_keys bytea[], p_text_keys bytea[],
    p_text_hashes bigint[], p_shot_tip integer[], p_shot_seq integer[],
    p_shot_hashes bigint[], p_shot_texts bytea[], p_window_s integer,
    p_image_t integer, p_text_t integer, p_shot_t integer)
RETURNS TABLE (job_id bigint, case_id bigint)
LANGUAGE plpgsql
-- Every lookup here is meant to be an index probe.  Plans are cached per
-- session, and a plan made while a table was small would scan it for
-- good as it grows.  (What must still be scanned, a few reference rows,
-- then looks costly enough for JIT compilation, tens of milliseconds a
-- call: no JIT.)
SET enable_seqscan = off
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	n integer := coalesce(array_length(p_jobs, 1), 0);
	v_since timestamptz := now() - make_interval(secs => p_window_s);
	v_channel text[];
	v_muni text[];
	v_recv timestamptz[];
	v_found integer;
	-- The batch's attachments, in tip order, then seq.
	v_att_tip integer[];
	v_att_sha bytea[];
	v_att_phash bigint[];
	ap integer := 1;
	sp integer := 1;
	-- One tip's keys.
	v_shas bytea[];
	v_phashes bigint[];
	v_shot_hs bigint[];
	v_case bigint;
	v_matched text;
	v_distance integer;
	v_dept smallint;
	v_flag boolean;
	-- What each tip joined.
	v_cases bigint[] := '{}';
	v_how text[] := '{}';
	v_dist integer[] := '{}';
	i integer;
BEGIN
	-- No need to wait for the disk: if the server crashes before this
	-- commit is flushed, the effect and the jobs' "done" are lost
	-- together, and the jobs run again after their lease.  The lock
	-- below is then held for the work only, not for an fsync.
	PERFORM set_config('synchronous_commit', 'off', true);
	IF n = 0 THEN
		RETURN;
	END IF;
	PERFORM pg_advisory_xact_lock(7436978);

	SELECT array_agg(t.channel ORDER BY x.i),
	    array_agg(t.municipality ORDER BY x.i),
	    array_agg(t.received_at ORDER BY x.i), count(t.id)
	INTO v_channel, v_muni, v_recv, v_found
	FROM unnest(p_tips) WITH ORDINALITY x (id, i)
	LEFT JOIN tip t ON t.id = x.id;
	IF v_found <> n THEN
		RAISE EXCEPTION 'a tip of the batch is gone'
		    USING ERRCODE = '02000';
	END IF;
	SELECT array_agg(x.i ORDER BY x.i, a.seq),
	    array_agg(a.sha256 ORDER BY x.i, a.seq),
	    array_agg(a.phash ORDER BY x.i, a.seq)
	INTO v_att_tip, v_att_sha, v_att_phash
	FROM unnest(p_tips) WITH ORDINALITY x (id, i)
	JOIN attachment a ON a.tip_id = x.id;

	FOR i IN 1 .. n LOOP
		v_shas := '{}';
		v_phashes := '{}';
		v_shot_hs := '{}';
		WHILE ap <= coalesce(array_length(v_att_tip, 1), 0)
		    AND v_att_tip[ap] = i LOOP
			v_shas := v_shas || v_att_sha[ap];
			v_phashes := v_phashes || v_att_phash[ap];
			ap := ap + 1;
		END LOOP;
		WHILE sp <= coalesce(array_length(p_shot_tip, 1), 0)
		    AND p_shot_tip[sp] = i LOOP
			IF p_shot_hashes[sp] IS NOT NULL THEN
				v_shot_hs := v_shot_hs || p_shot_hashes[sp];
			END IF;
			sp := sp + 1;
		END LOOP;
		v_case := NULL;
		v_matched := NULL;
		v_distance := NULL;

		-- The same clean image.
		IF cardinality(v_shas) > 0 THEN
			SELECT e.case_id INTO v_case
			FROM exact_case('image', v_shas, v_since) e;
			v_matched := 'image';
		END IF;
		-- The same post.
		IF v_case IS NULL AND p_link_keys[i] IS NOT NULL THEN
			SELECT e.case_id INTO v_case
			FROM exact_case('link', ARRAY[p_link_keys[i]], v_since) e;
			v_matched := 'link';
		END IF;
		-- A near-duplicate image.
		IF v_case IS NULL AND cardinality(v_phashes) > 0 THEN
			SELECT n.case_id, n.distance INTO v_case, v_distance
			FROM near_case_any('image', v_phashes, p_image_t,
			    v_since) n;
			v_matched := 'image_near';
		END IF;
		-- The same words read in a screenshot (another phone, another
		-- width).
		IF v_case IS NULL AND cardinality(v_shot_hs) > 0 THEN
			SELECT n.case_id, n.distance INTO v_case, v_distance
			FROM near_case_any('screenshot_text', v_shot_hs, p_shot_t,
			    v_since) n;
			v_matched := 'screenshot_text';
		END IF;
		-- The same text, then nearly the same.
		IF v_case IS NULL AND p_text_keys[i] IS NOT NULL THEN
			SELECT e.case_id INTO v_case
			FROM exact_case('text', ARRAY[p_text_keys[i]], v_since) e;
			v_matched := 'text';
		END IF;
		IF v_case IS NULL AND p_text_hashes[i] IS NOT NULL THEN
			SELECT n.case_id, n.distance INTO v_case, v_distance
			FROM near_case_any('text', ARRAY[p_text_hashes[i]],
			    p_text_t, v_since) n;
			v_matched := 'text_near';
		END IF;

		IF v_case IS NULL THEN
			SELECT r.department_id, r.needs_routing
			INTO v_dept, v_flag
			FROM route_case(v_channel[i], v_muni[i]) r;
			INSERT INTO cases (department_id, needs_routing,
			    opened_at, last_tip_at)
			VALUES (v_dept, v_flag, v_recv[i], v_recv[i])
			RETURNING id INTO v_case;
			v_matched := 'new';
			v_distance := NULL;
		END IF;
		v_cases := v_cases || v_case;
		v_how := v_how || v_matched;
		v_dist := v_dist || v_distance;

		-- The tip's keys, for the tips after it.
		INSERT INTO exact_key (kind, key, case_id, tip_id)
		SELECT k.kind, k.key, v_case, p_tips[i]
		FROM (SELECT 'image', unnest(v_shas)
		    UNION ALL VALUES ('link', p_link_keys[i]),
		        ('text', p_text_keys[i])) k (kind, key)
		WHERE k.key IS NOT NULL
		ON CONFLICT DO NOTHING;
		IF cardinality(v_phashes) > 0 OR cardinality(v_shot_hs) > 0
		    OR p_text_hashes[i] IS NOT NULL THEN
			INSERT INTO near_key (kind, hash, c0, c1, c2, c3,
			    case_id, tip_id)
			SELECT k.kind, k.h, mih_chunk(k.h, 0),
			    mih_chunk(k.h, 1), mih_chunk(k.h, 2),
			    mih_chunk(k.h, 3), v_case, p_tips[i]
			FROM (SELECT 'image', unnest(v_phashes)
			    UNION ALL SELECT 'screenshot_text',
			        unnest(v_shot_hs)
			    UNION ALL VALUES ('text', p_text_hashes[i])) k (kind, h)
			WHERE k.h IS NOT NULL
			ON CONFLICT DO NOTHING;
		END IF;
	END LOOP;

	INSERT INTO case_join (tip_id, case_id, matched, distance, joined_at)
	SELECT x.tip, x.cs, x.how, x.dist, x.recv
	FROM unnest(p_tips, v_cases, v_how, v_dist, v_recv)
	    x (tip, cs, how, dist, recv);
	UPDATE cases c SET ntips = c.ntips + x.n, priority = c.ntips + x.n,
	    last_tip_at = greatest(c.last_tip_at, x.last)
	FROM (SELECT u.cs, count(*) AS n, max(u.recv) AS last
	    FROM unnest(v_cases, v_recv) u (cs, recv) GROUP BY u.cs) x
	WHERE c.id = x.cs;
	UPDATE attachment a SET sealed_text = s.text
	FROM unnest(p_shot_tip, p_shot_seq, p_shot_texts) s (i, seq, text)
	WHERE a.tip_id = p_tips[s.i] AND a.seq = s.seq
	    AND s.text IS NOT NULL;

	-- Done, if every lease still holds: a worker whose lease passed to
	-- another must not apply its result.
	UPDATE job j SET state = 'done', locked_until = NULL, last_error = NULL
	FROM unnest(p_jobs, p_attempts) x (id, attempts)
	WHERE j.id = x.id AND j.attempts = x.attempts AND j.state = 'queued'
	    AND j.locked_until >= now();
	GET DIAGNOSTICS v_found = ROW_COUNT;
	IF v_found <> n THEN
		RAISE EXCEPTION 'the lease of a job of the batch was lost'
		    USING ERRCODE = '55000';
	END IF;
	RETURN QUERY SELECT x.job, x.cs
	    FROM unnest(p_jobs, v_cases) x (job, cs);
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON cases, case_join, exact_key,
    near_key TO tipline_worker;
GRANT SELECT, UPDATE ON cases TO tipline_console;
GRANT SELECT ON case_join TO tipline_console;

REVOKE ALL ON FUNCTION
    job_claim(double precision, integer, integer, integer),
    job_hold(bigint, integer),
    job_fail(bigint, integer, text, integer, double precision),
    ingest_batch(bigint[], integer[], uuid[], bytea[], bytea[], bigint[],
    integer[], integer[], bigint[], bytea[], integer, integer, integer,
    integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    job_claim(double precision, integer, integer, integer),
    job_hold(bigint, integer),
    job_fail(bigint, integer, text, integer, double precision),
    ingest_batch(bigint[], integer[], uuid[], bytea[], bytea[], bigint[],
    integer[], integer[], bigint[], bytea[], integer, integer, integer,
    integer) TO tipline_worker;
