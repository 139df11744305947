-- The reviewers' side of a case: its states, what officers decide, its
-- history and notes, the actions that change it, and the audit log.
--
-- tipline_console changes cases only through the functions below, each
-- one transaction's worth, each checking who acts, on which version of
-- the case, and writing what it did to the case's history and to the
-- audit log.  Errors a console shows an officer have their own SQLSTATEs:
--   TL403  the reviewer may not act on the case (unknown, disabled, an
--          admin, or another department's case; also an unknown case)
--   TL409  the case changed since the officer saw it (version)
--   TL422  the action is not possible: bad input, a missing reason, a
--          transition the case's state does not allow

-- A case is 'new' until someone takes it or acts on it, 'in_progress'
-- while an officer works on it, 'closed' when decided and 'merged' when
-- its tips went to another case.  New tips join 'new' and 'in_progress'
-- cases only.
ALTER TABLE cases DROP CONSTRAINT cases_status_check;
UPDATE cases SET status = 'new' WHERE status = 'open';
ALTER TABLE cases
	ALTER COLUMN status SET DEFAULT 'new',
	ADD CONSTRAINT cases_status_check CHECK (status IN ('new',
	    'in_progress', 'closed', 'merged')),
	-- Optimistic concurrency: every action names the version the officer
	-- saw, and each one that changes the case adds one.
	ADD COLUMN version integer NOT NULL DEFAULT 1,
	ADD COLUMN assignee_id integer REFERENCES reviewer (id),
	-- First assignment or first action; the deadlines of the department
	-- run from opened_at to these.
	ADD COLUMN acknowledged_at timestamptz,
	ADD COLUMN decided_at timestamptz,
	ADD COLUMN outcome text CHECK (outcome IN ('offence_reported',
	    'preventive_contact', 'platform_removal', 'no_offence',
	    'unidentified', 'duplicate')),
	-- The officer's classification at closing (NULL: not assessed).
	ADD COLUMN hate_confirmed boolean,
	ADD COLUMN grounds text[] CHECK (grounds <@ ARRAY['ethnic', 'skin',
	    'religion', 'orientation', 'gender', 'disability', 'other']),
	-- agitation RL 11:10, defamation RL 24:9, menace RL 25:7, assault
	-- RL 21:5, discrimination RL 11:11.
	ADD COLUMN offences text[] CHECK (offences <@ ARRAY['agitation',
	    'defamation', 'menace', 'assault', 'discrimination', 'other']),
	-- A merged case points at the case that took its tips, and is
	-- purged with it: it has no tips of its own left.
	ADD COLUMN merged_into bigint REFERENCES cases (id) ON DELETE CASCADE,
	ADD CONSTRAINT cases_merged_check
	    CHECK ((status = 'merged') = (merged_into IS NOT NULL)),
	-- A tipster's follow-up arrived since an officer last looked.
	ADD COLUMN new_info boolean NOT NULL DEFAULT false;

-- The queues: a department's open cases 50 at a time by keyset, biggest
-- first or oldest first.  Partial, so that "status IN ('new',
-- 'in_progress')" is the index's own predicate and the scan comes out in
-- order, with no sort:
--   WHERE department_id = $1 AND status IN ('new', 'in_progress')
--       AND (priority, id) < ($2, $3)
--   ORDER BY priority DESC, id DESC LIMIT 50
DROP INDEX cases_queue_idx;
CREATE INDEX cases_queue_priority_idx ON cases (department_id,
    priority DESC, id DESC) WHERE status IN ('new', 'in_progress');
CREATE INDEX cases_queue_age_idx ON cases (department_id, opened_at, id)
    WHERE status IN ('new', 'in_progress');
CREATE INDEX cases_merged_into_idx ON cases (merged_into)
    WHERE merged_into IS NOT NULL;

-- A tip that an officer split off its case joined its new case this way.
ALTER TABLE case_join DROP CONSTRAINT case_join_matched_check;
ALTER TABLE case_join ADD CONSTRAINT case_join_matched_check
    CHECK (matched IN ('new', 'image', 'image_near', 'link', 'text',
    'text_near', 'screenshot_text', 'split'));

-- What happened to a case, for the officers; the audit log has the same
-- and outlives the case.  detail holds ids and classifications, never
-- content.
CREATE TABLE case_event (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	case_id bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	at timestamptz NOT NULL DEFAULT now(),
	reviewer_id integer REFERENCES reviewer (id),
	kind text NOT NULL CHECK (kind IN ('assign', 'unassign', 'status',
	    'close', 'reopen', 'move', 'merge', 'split', 'note')),
	reason text,
	detail jsonb
);
CREATE INDEX case_event_case_idx ON case_event (case_id, id);

-- Officers' notes, sealed by the console with the deployment's public key.
CREATE TABLE case_note (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	case_id bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	reviewer_id integer REFERENCES reviewer (id),
	at timestamptz NOT NULL DEFAULT now(),
	sealed bytea NOT NULL
);
CREATE INDEX case_note_case_idx ON case_note (case_id, id);

-- New tips join cases that are 'new' or 'in_progress'; 0004's two lookups
-- again with that test instead of 'open'.
CREATE OR REPLACE FUNCTION near_case(p_kind text, h bigint, t integer,
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
	    AND c.status IN ('new', 'in_progress')
	    AND c.last_tip_at >= p_since
	ORDER BY d, cand.case_id
	LIMIT 1;
END
$$;

CREATE OR REPLACE FUNCTION exact_case(p_kind text, p_keys bytea[],
    p_since timestamptz)
RETURNS TABLE (case_id bigint)
LANGUAGE sql STABLE
AS $$
	SELECT k.case_id
	FROM exact_key k JOIN cases c ON c.id = k.case_id
	WHERE k.kind = p_kind AND k.key = ANY (p_keys)
	    AND c.status IN ('new', 'in_progress')
	    AND c.last_tip_at >= p_since
	ORDER BY k.case_id LIMIT 1
$$;

-- ------------------------------------------------------------ audit log

-- Append-only and hash-chained: each row's hash covers the previous
-- row's hash and the row itself, so that editing, deleting or inserting a
-- row breaks the chain from there on (`tiplinectl audit verify`), and a
-- rewrite of the whole chain contradicts the heads the console logged.
--
--   hash = SHA-256(prev_hash || enc(row)), prev_hash of id 1 = 32 zero bytes
--
-- enc(row) is seven fields in this order, each as a 4-byte big-endian
-- length followed by that many bytes, or as the 4 bytes ff ff ff ff and
-- nothing else for NULL:
--   id           8 bytes, big-endian two's complement
--   at           8 bytes, big-endian: microseconds since 1970-01-01 UTC
--   reviewer_id  4 bytes, big-endian
--   action       its UTF-8 bytes
--   case_id      8 bytes, big-endian
--   detail       the UTF-8 bytes of detail::text (jsonb's own canonical
--                text: keys sorted, one space after ':' and ',')
--   sealed       its bytes
-- Every field carries its length, so no two rows encode alike.
-- tiplinectl computes the same in C; both must change together.
CREATE TABLE audit_log (
	-- Assigned under the chain's lock: gap-free.
	id bigint PRIMARY KEY CHECK (id >= 1),
	at timestamptz NOT NULL,
	-- No foreign keys: the log outlives accounts and cases.  NULL for a
	-- failed login on an unknown account.
	reviewer_id integer,
	action text NOT NULL CHECK (action ~ '^[a-z_]{1,40}$'),
	case_id bigint,
	-- Never content: a target department, an outcome, a result.
	detail jsonb,
	-- Content the console sealed, e.g. a search query.
	sealed bytea,
	prev_hash bytea NOT NULL CHECK (length(prev_hash) = 32),
	hash bytea NOT NULL CHECK (length(hash) = 32)
);
CREATE INDEX audit_log_case_idx ON audit_log (case_id, id)
    WHERE case_id IS NOT NULL;
CREATE INDEX audit_log_reviewer_idx ON audit_log (reviewer_id, id)
    WHERE reviewer_id IS NOT NULL;

-- The chain's last row (0 and zeros while empty).  One row, locked by
-- each append: appends are serial, and a rolled-back one leaves no gap.
CREATE TABLE audit_head (
	id bigint NOT NULL,
	hash bytea NOT NULL CHECK (length(hash) = 32)
);
CREATE UNIQUE INDEX audit_head_one_idx ON audit_head ((true));
INSERT INTO audit_head (id, hash) VALUES (0, decode(repeat('00', 32), 'hex'));

-- Nobody edits the log, its owner included (a superuser who bypasses this
-- is what verify is for).
CREATE FUNCTION audit_refuse() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	RAISE EXCEPTION 'audit_log is append-only'
	    USING ERRCODE = '42501';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();

-- One field of enc(row): length-prefixed, or ff ff ff ff for NULL.
CREATE FUNCTION audit_field(b bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE
AS $$
	SELECT CASE WHEN b IS NULL THEN '\xffffffff'::bytea
	    ELSE int4send(length(b)) || b END
$$;

-- enc(row) as described above audit_log.
CREATE FUNCTION audit_encode(p_id bigint, p_at timestamptz,
    p_reviewer integer, p_action text, p_case bigint, p_detail jsonb,
    p_sealed bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE
AS $$
	SELECT audit_field(int8send(p_id))
	    || audit_field(int8send((extract(epoch FROM p_at)
	        * 1000000)::bigint))
	    || audit_field(int4send(p_reviewer))
	    || audit_field(convert_to(p_action, 'UTF8'))
	    || audit_field(int8send(p_case))
	    || audit_field(convert_to(p_detail::text, 'UTF8'))
	    || audit_field(p_sealed)
$$;

-- Appends one row to the chain; returns its id.  Called by the case
-- actions below and by the console for what only it sees: logins,
-- logouts, case views, image reveals, searches.
CREATE FUNCTION audit_append(p_reviewer integer, p_action text,
    p_case bigint, p_detail jsonb, p_sealed bytea) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	v_id bigint;
	v_prev bytea;
	v_at timestamptz;
	v_hash bytea;
BEGIN
	IF p_action IS NULL OR p_action !~ '^[a-z_]{1,40}$' THEN
		RAISE EXCEPTION 'bad audit action' USING ERRCODE = 'TL422';
	END IF;
	SELECT h.id, h.hash INTO STRICT v_id, v_prev FROM audit_head h
	FOR UPDATE;
	v_id := v_id + 1;
	v_at := clock_timestamp();
	v_hash := sha256(v_prev || audit_encode(v_id, v_at, p_reviewer,
	    p_action, p_case, p_detail, p_sealed));
	INSERT INTO audit_log (id, at, reviewer_id, action, case_id, detail,
	    sealed, prev_hash, hash)
	VALUES (v_id, v_at, p_reviewer, p_action, p_case, p_detail, p_sealed,
	    v_prev, v_hash);
	UPDATE audit_head SET id = v_id, hash = v_hash;
	RETURN v_id;
END
$$;

-- ---------------------------------------------------------- case actions

-- The case, locked, if the reviewer may act on it: an enabled officer or
-- national reviewer of the case's department (TL403 otherwise, an
-- unknown case too), and, unless p_version is NULL, at that version
-- (TL409).
CREATE FUNCTION case_hold(p_reviewer integer, p_case bigint,
    p_version integer) RETURNS cases
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
	v_dept smallint;
	c cases;
BEGIN
	SELECT r.department_id INTO v_dept FROM reviewer r
	WHERE r.id = p_reviewer AND NOT r.disabled
	    AND r.role IN ('officer', 'national');
	IF NOT FOUND THEN
		RAISE EXCEPTION 'reviewer may not act on cases'
		    USING ERRCODE = 'TL403';
	END IF;
	SELECT * INTO c FROM cases WHERE id = p_case FOR UPDATE;
	IF NOT FOUND OR c.department_id <> v_dept THEN
		RAISE EXCEPTION 'case not in the reviewer''s department'
		    USING ERRCODE = 'TL403';
	END IF;
	IF p_version IS NOT NULL AND c.version <> p_version THEN
		RAISE EXCEPTION 'case changed since it was read'
		    USING ERRCODE = 'TL409';
	END IF;
	RETURN c;
END
$$;

-- A required reason, trimmed; TL422 if blank.
CREATE FUNCTION case_reason(p_reason text) RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
	IF p_reason IS NULL OR btrim(p_reason) = '' THEN
		RAISE EXCEPTION 'a reason is required' USING ERRCODE = 'TL422';
	END IF;
	RETURN btrim(p_reason);
END
$$;

-- Writes the case's history and the audit row for one action.
CREATE FUNCTION case_log(p_reviewer integer, p_case bigint, p_kind text,
    p_action text, p_reason text, p_detail jsonb) RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
	INSERT INTO case_event (case_id, reviewer_id, kind, reason, detail)
	VALUES (p_case, p_reviewer, p_kind, p_reason, p_detail);
	PERFORM audit_append(p_reviewer, p_action, p_case, p_detail, NULL);
END
$$;

-- Assigns the case to the reviewer (p_assignee = p_reviewer) or leaves it
-- unassigned (p_assignee NULL); an officer assigns no one else.  Taking a
-- new case starts it.
CREATE FUNCTION case_assign(p_reviewer integer, p_case bigint,
    p_version integer, p_assignee integer) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	c cases;
	v integer;
	v_detail jsonb;
BEGIN
	c := case_hold(p_reviewer, p_case, p_version);
	IF p_assignee IS NOT NULL AND p_assignee <> p_reviewer THEN
		RAISE EXCEPTION 'only to oneself' USING ERRCODE = 'TL422';
	END IF;
	IF c.status NOT IN ('new', 'in_progress') THEN
		RAISE EXCEPTION 'case is not open' USING ERRCODE = 'TL422';
	END IF;
	IF p_assignee IS NOT DISTINCT FROM c.assignee_id THEN
		RAISE EXCEPTION 'nothing to change' USING ERRCODE = 'TL422';
	END IF;
	UPDATE cases SET assignee_id = p_assignee, version = version + 1,
	    status = CASE WHEN p_assignee IS NOT NULL AND status = 'new'
	        THEN 'in_progress' ELSE status END,
	    acknowledged_at = CASE WHEN p_assignee IS NOT NULL
	        THEN coalesce(acknowledged_at, now())
	        ELSE acknowledged_at END
	WHERE id = p_case RETURNING version INTO v;
	v_detail := jsonb_build_object('assignee', p_assignee, 'previous',
	    c.assignee_id);
	IF p_assignee IS NOT NULL AND c.status = 'new' THEN
		v_detail := v_detail || '{"status": "in_progress"}';
	END IF;
	PERFORM case_log(p_reviewer, p_case,
	    CASE WHEN p_assignee IS NULL THEN 'unassign' ELSE 'assign' END,
	    CASE WHEN p_assignee IS NULL THEN 'unassign' ELSE 'assign' END,
	    NULL, v_detail);
	RETURN v;
END
$$;

-- new -> in_progress.
CREATE FUNCTION case_start(p_reviewer integer, p_case bigint,
    p_version integer) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	c cases;
	v integer;
BEGIN
	c := case_hold(p_reviewer, p_case, p_version);
	IF c.status <> 'new' THEN
		RAISE EXCEPTION 'case is not new' USING ERRCODE = 'TL422';
	END IF;
	UPDATE cases SET status = 'in_progress', version = version + 1,
	    acknowledged_at = coalesce(acknowledged_at, now())
	WHERE id = p_case RETURNING version INTO v;
	PERFORM case_log(p_reviewer, p_case, 'status', 'start', NULL,
	    '{"from": "new", "to": "in_progress"}');
	RETURN v;
END
$$;

-- The sorted distinct elements of a; TL422 unless all are in allowed.
CREATE FUNCTION case_set(a text[], allowed text[]) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
	IF NOT coalesce(a, '{}') <@ allowed OR array_position(a, NULL)
	    IS NOT NULL THEN
		RAISE EXCEPTION 'unknown value in a classification'
		    USING ERRCODE = 'TL422';
	END IF;
	RETURN ARRAY(SELECT DISTINCT x FROM unnest(a) x ORDER BY x);
END
$$;

-- Decides a new or in_progress case.  p_hate_confirmed NULL: not
-- assessed; grounds only when it is true; no offences for 'no_offence'.
CREATE FUNCTION case_close(p_reviewer integer, p_case bigint,
    p_version integer, p_outcome text, p_hate_confirmed boolean,
    p_grounds text[], p_offences text[], p_reason text) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	c cases;
	v integer;
	v_grounds text[];
	v_offences text[];
BEGIN
	-- A tip being ingested now must not join a case closed under it:
	-- ingest_batch()'s lock, taken before the case's row lock as there.
	PERFORM pg_advisory_xact_lock(7436978);
	c := case_hold(p_reviewer, p_case, p_version);
	IF c.status NOT IN ('new', 'in_progress') THEN
		RAISE EXCEPTION 'case is not open' USING ERRCODE = 'TL422';
	END IF;
	IF p_outcome IS NULL OR p_outcome NOT IN ('offence_reported',
	    'preventive_contact', 'platform_removal', 'no_offence',
	    'unidentified', 'duplicate') THEN
		RAISE EXCEPTION 'unknown outcome' USING ERRCODE = 'TL422';
	END IF;
	v_grounds := case_set(p_grounds, ARRAY['ethnic', 'skin', 'religion',
	    'orientation', 'gender', 'disability', 'other']);
	v_offences := case_set(p_offences, ARRAY['agitation', 'defamation',
	    'menace', 'assault', 'discrimination', 'other']);
	IF cardinality(v_grounds) > 0 AND p_hate_confirmed IS NOT TRUE THEN
		RAISE EXCEPTION 'grounds without confirmed hate'
		    USING ERRCODE = 'TL422';
	END IF;
	IF cardinality(v_offences) > 0 AND p_outcome = 'no_offence' THEN
		RAISE EXCEPTION 'offences for no offence'
		    USING ERRCODE = 'TL422';
	END IF;
	UPDATE cases SET status = 'closed', version = version + 1,
	    closed_at = now(), decided_at = now(),
	    acknowledged_at = coalesce(acknowledged_at, now()),
	    outcome = p_outcome, hate_confirmed = p_hate_confirmed,
	    grounds = v_grounds, offences = v_offences
	WHERE id = p_case RETURNING version INTO v;
	PERFORM case_log(p_reviewer, p_case, 'close', 'close',
	    nullif(btrim(p_reason), ''),
	    jsonb_build_object('outcome', p_outcome, 'hate_confirmed',
	        p_hate_confirmed, 'grounds', to_jsonb(v_grounds), 'offences',
	        to_jsonb(v_offences)));
	RETURN v;
END
$$;

-- closed -> in_progress, with a reason; the decision goes, and stays in
-- the event's detail.
CREATE FUNCTION case_reopen(p_reviewer integer, p_case bigint,
    p_version integer, p_reason text) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	c cases;
	v integer;
	v_reason text;
BEGIN
	c := case_hold(p_reviewer, p_case, p_version);
	v_reason := case_reason(p_reason);
	IF c.status <> 'closed' THEN
		RAISE EXCEPTION 'case is not closed' USING ERRCODE = 'TL422';
	END IF;
	UPDATE cases SET status = 'in_progress', version = version + 1,
	    closed_at = NULL, decided_at = NULL, outcome = NULL,
	    hate_confirmed = NULL, grounds = NULL, offences = NULL
	WHERE id = p_case RETURNING version INTO v;
	PERFORM case_log(p_reviewer, p_case, 'reopen', 'reopen', v_reason,
	    jsonb_build_object('outcome', c.outcome, 'hate_confirmed',
	        c.hate_confirmed, 'grounds', to_jsonb(c.grounds), 'offences',
	        to_jsonb(c.offences), 'closed_at', c.closed_at));
	RETURN v;
END
$$;

-- Sends an open case to another department, unassigned and routed.
CREATE FUNCTION case_move(p_reviewer integer, p_case bigint,
    p_version integer, p_department smallint, p_reason text)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	c cases;
	v integer;
	v_reason text;
BEGIN
	c := case_hold(p_reviewer, p_case, p_version);
	v_reason := case_reason(p_reason);
	IF c.status NOT IN ('new', 'in_progress') THEN
		RAISE EXCEPTION 'case is not open' USING ERRCODE = 'TL422';
	END IF;
	IF p_department IS NULL OR p_department = c.department_id
	    OR NOT EXISTS (SELECT 1 FROM department d
	        WHERE d.id = p_department) THEN
		RAISE EXCEPTION 'not another department'
		    USING ERRCODE = 'TL422';
	END IF;
	UPDATE cases SET department_id = p_department, assignee_id = NULL,
	    needs_routing = false, version = version + 1
	WHERE id = p_case RETURNING version INTO v;
	PERFORM case_log(p_reviewer, p_case, 'move', 'move', v_reason,
	    jsonb_build_object('from', c.department_id, 'to', p_department,
	        'previous_assignee', c.assignee_id));
	RETURN v;
END
$$;

-- Merges two open cases of the reviewer's department: the smaller id into
-- the larger, which survives and is returned.  Its tips (case_join rows,
-- which keep how each tip first joined) and keys move; counts add up; the
-- survivor is in progress if either was, keeps its assignee (else takes
-- the other's) and needs routing if either did.  Cases merged earlier
-- into the smaller now point at the survivor.
CREATE FUNCTION case_merge(p_reviewer integer, p_a bigint,
    p_version_a integer, p_b bigint, p_version_b integer, p_reason text)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	a cases;
	b cases;
	s cases;
	l cases;
	v_detail jsonb;
	v_reason text := nullif(btrim(p_reason), '');
BEGIN
	IF p_a IS NOT DISTINCT FROM p_b THEN
		RAISE EXCEPTION 'a case merges with another'
		    USING ERRCODE = 'TL422';
	END IF;
	-- Keys move: no tip may be matched against them meanwhile.  The
	-- same lock as ingest_batch(), taken before the cases' row locks
	-- as there, and the rows locked in id order.
	PERFORM pg_advisory_xact_lock(7436978);
	IF p_a < p_b THEN
		a := case_hold(p_reviewer, p_a, p_version_a);
		b := case_hold(p_reviewer, p_b, p_version_b);
	ELSE
		b := case_hold(p_reviewer, p_b, p_version_b);
		a := case_hold(p_reviewer, p_a, p_version_a);
	END IF;
	IF a.status NOT IN ('new', 'in_progress')
	    OR b.status NOT IN ('new', 'in_progress') THEN
		RAISE EXCEPTION 'case is not open' USING ERRCODE = 'TL422';
	END IF;
	IF a.id < b.id THEN
		s := a;
		l := b;
	ELSE
		s := b;
		l := a;
	END IF;

	UPDATE case_join SET case_id = l.id WHERE case_id = s.id;
	INSERT INTO exact_key (kind, key, case_id, tip_id)
	SELECT k.kind, k.key, l.id, k.tip_id FROM exact_key k
	WHERE k.case_id = s.id
	ON CONFLICT DO NOTHING;
	DELETE FROM exact_key WHERE case_id = s.id;
	INSERT INTO near_key (kind, hash, c0, c1, c2, c3, case_id, tip_id)
	SELECT k.kind, k.hash, k.c0, k.c1, k.c2, k.c3, l.id, k.tip_id
	FROM near_key k WHERE k.case_id = s.id
	ON CONFLICT DO NOTHING;
	DELETE FROM near_key WHERE case_id = s.id;

	UPDATE cases SET ntips = l.ntips + s.ntips,
	    priority = l.priority + s.priority,
	    opened_at = least(l.opened_at, s.opened_at),
	    last_tip_at = greatest(l.last_tip_at, s.last_tip_at),
	    status = CASE WHEN 'in_progress' IN (l.status, s.status)
	        THEN 'in_progress' ELSE 'new' END,
	    assignee_id = coalesce(l.assignee_id, s.assignee_id),
	    acknowledged_at = least(l.acknowledged_at, s.acknowledged_at),
	    needs_routing = l.needs_routing OR s.needs_routing,
	    new_info = l.new_info OR s.new_info,
	    version = version + 1
	WHERE id = l.id;
	UPDATE cases SET status = 'merged', merged_into = l.id, ntips = 0,
	    priority = 0, assignee_id = NULL, version = version + 1
	WHERE id = s.id;
	UPDATE cases SET merged_into = l.id WHERE merged_into = s.id;

	v_detail := jsonb_build_object('from', s.id, 'into', l.id);
	PERFORM case_log(p_reviewer, s.id, 'merge', 'merge', v_reason,
	    v_detail);
	PERFORM case_log(p_reviewer, l.id, 'merge', 'merge', v_reason,
	    v_detail);
	RETURN l.id;
END
$$;

-- Takes one tip out of an open case of two or more tips into a new case
-- of the same department, which is returned.
--
-- Keys go with the tip that brought them (exact_key.tip_id and
-- near_key.tip_id = the tip); the keys that other tips brought stay.  A
-- tip is split off because it is about something else (a near-duplicate
-- that was not one, a shared link that meant another thing); a later tip
-- bearing a key that only the split tip brought is then about what that
-- tip is about, and should find the new case.  The keys the tip matched
-- on its way in were brought by others and stay with them.  When the tip
-- split off is the one that opened the case, the case keeps only what the
-- other tips added: the officer said the first tip was the odd one out.
CREATE FUNCTION case_split(p_reviewer integer, p_case bigint,
    p_version integer, p_tip uuid, p_reason text) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	c cases;
	v_reason text;
	v_recv timestamptz;
	v_new bigint;
	v_last timestamptz;
BEGIN
	v_reason := case_reason(p_reason);
	PERFORM pg_advisory_xact_lock(7436978);
	c := case_hold(p_reviewer, p_case, p_version);
	IF c.status NOT IN ('new', 'in_progress') THEN
		RAISE EXCEPTION 'case is not open' USING ERRCODE = 'TL422';
	END IF;
	SELECT t.received_at INTO v_recv
	FROM case_join cj JOIN tip t ON t.id = cj.tip_id
	WHERE cj.tip_id = p_tip AND cj.case_id = p_case
	FOR UPDATE OF cj;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'tip not in the case' USING ERRCODE = 'TL422';
	END IF;
	IF (SELECT count(*) FROM case_join WHERE case_id = p_case) < 2 THEN
		RAISE EXCEPTION 'a case of one tip' USING ERRCODE = 'TL422';
	END IF;

	-- As ingest_batch() opens a case for one tip.
	INSERT INTO cases (department_id, needs_routing, ntips, priority,
	    opened_at, last_tip_at)
	VALUES (c.department_id, c.needs_routing, 1, 1, v_recv, v_recv)
	RETURNING id INTO v_new;
	UPDATE case_join SET case_id = v_new, matched = 'split',
	    distance = NULL
	WHERE tip_id = p_tip;
	UPDATE exact_key SET case_id = v_new
	WHERE case_id = p_case AND tip_id = p_tip;
	UPDATE near_key SET case_id = v_new
	WHERE case_id = p_case AND tip_id = p_tip;

	SELECT max(t.received_at) INTO v_last
	FROM case_join cj JOIN tip t ON t.id = cj.tip_id
	WHERE cj.case_id = p_case;
	UPDATE cases SET ntips = ntips - 1,
	    priority = greatest(priority - 1, 0),
	    last_tip_at = coalesce(v_last, last_tip_at),
	    version = version + 1
	WHERE id = p_case;

	PERFORM case_log(p_reviewer, p_case, 'split', 'split', v_reason,
	    jsonb_build_object('from', p_case, 'into', v_new, 'tip', p_tip));
	PERFORM case_log(p_reviewer, v_new, 'split', 'split', v_reason,
	    jsonb_build_object('from', p_case, 'into', v_new, 'tip', p_tip));
	RETURN v_new;
END
$$;

-- Adds a note the console sealed; returns its id.  Notes do not change
-- the case, so they take no version.
CREATE FUNCTION case_note_add(p_reviewer integer, p_case bigint,
    p_sealed bytea) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	v_id bigint;
BEGIN
	PERFORM case_hold(p_reviewer, p_case, NULL);
	IF p_sealed IS NULL OR length(p_sealed) = 0 THEN
		RAISE EXCEPTION 'empty note' USING ERRCODE = 'TL422';
	END IF;
	INSERT INTO case_note (case_id, reviewer_id, sealed)
	VALUES (p_case, p_reviewer, p_sealed)
	RETURNING id INTO v_id;
	PERFORM case_log(p_reviewer, p_case, 'note', 'note', NULL,
	    jsonb_build_object('note_id', v_id));
	RETURN v_id;
END
$$;

-- ---------------------------------------------------------------- grants

REVOKE ALL ON FUNCTION
    audit_refuse(),
    audit_field(bytea),
    audit_encode(bigint, timestamptz, integer, text, bigint, jsonb, bytea),
    audit_append(integer, text, bigint, jsonb, bytea),
    case_hold(integer, bigint, integer),
    case_reason(text),
    case_log(integer, bigint, text, text, text, jsonb),
    case_set(text[], text[]),
    case_assign(integer, bigint, integer, integer),
    case_start(integer, bigint, integer),
    case_close(integer, bigint, integer, text, boolean, text[], text[],
        text),
    case_reopen(integer, bigint, integer, text),
    case_move(integer, bigint, integer, smallint, text),
    case_merge(integer, bigint, integer, bigint, integer, text),
    case_split(integer, bigint, integer, uuid, text),
    case_note_add(integer, bigint, bytea)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    audit_append(integer, text, bigint, jsonb, bytea),
    case_assign(integer, bigint, integer, integer),
    case_start(integer, bigint, integer),
    case_close(integer, bigint, integer, text, boolean, text[], text[],
        text),
    case_reopen(integer, bigint, integer, text),
    case_move(integer, bigint, integer, smallint, text),
    case_merge(integer, bigint, integer, bigint, integer, text),
    case_split(integer, bigint, integer, uuid, text),
    case_note_add(integer, bigint, bytea)
    TO tipline_console;

-- Cases change only through the actions, which keep versions, history
-- and the audit log.
REVOKE UPDATE ON cases FROM tipline_console;
GRANT SELECT ON case_event, case_note, audit_log TO tipline_console;
