-- The figures the national unit publishes: a rollup of counts per day,
-- department and dimension, kept current by the worker and read by the
-- console and `tiplinectl stats` (lib/stats_report.c lays the dimensions
-- out as tables, lib/stats.c hides their small cells).
--
-- Three levels, never mixed:
--   tips        what the public sent, on the day it arrived, in the
--               department its channel and municipality route it to
--               (route_case(): a tip that joins another department's case
--               still counts where it came from)
--   cases       what the police handled, on the day the case opened, in
--               the case's department; a case merged into another counts
--               no more, a case split off counts from its own day
--   classified  the officer's classification at closing, on the case's
--               day
-- and the platform notices, on the day each was sent.
--
-- Changes reach the rollup in two steps.  Triggers append what a row
-- adds and takes away to stats_delta (inserts only, so that ingest and
-- the console never wait for each other there), and the worker folds the
-- deltas into stats_day every few seconds (stats_fold()).  Deleting rows
-- changes nothing: a purged tip stays counted, and a week's figures do
-- not shrink when its data expires.
--
-- Days are Finnish days (Europe/Helsinki): a tip at 23:59 on a Sunday
-- belongs to that ISO week.  Times are hours; the time to the platform's
-- removal is in days.

CREATE FUNCTION stats_local_day(p_at timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (p_at AT TIME ZONE 'Europe/Helsinki')::date $$;

-- Whole hours from a to b, for the handling-time histograms: at most a
-- year, and never negative (a clock step must not make one).
CREATE FUNCTION stats_hours(a timestamptz, b timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT least(greatest(floor(extract(epoch FROM b - a) / 3600), 0),
	    8784)::integer::text
$$;

CREATE TABLE stats_day (
	day date NOT NULL,
	department_id smallint NOT NULL,
	dim text NOT NULL,
	val text NOT NULL,
	n bigint NOT NULL,
	PRIMARY KEY (day, dim, department_id, val)
);

CREATE TABLE stats_delta (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	day date NOT NULL,
	department_id smallint NOT NULL,
	dim text NOT NULL,
	val text NOT NULL,
	n bigint NOT NULL
);

-- What one tip adds: tips; motive (each named; 'none' when none was);
-- channel; platform ('none'); lang; feedback (none, receipt, email); and
-- how it joined its case (joined: new, or the key that matched).
CREATE FUNCTION stats_tip_rows(t tip, p_matched text)
RETURNS TABLE (day date, department_id smallint, dim text, val text)
LANGUAGE sql STABLE
AS $$
	WITH k AS (SELECT stats_local_day(t.received_at) AS day,
	    (route_case(t.channel, t.municipality::text)).department_id AS dep)
	SELECT k.day, k.dep, v.dim, v.val FROM k, (VALUES
	    ('tips', ''), ('channel', t.channel),
	    ('platform', coalesce(t.platform, 'none')), ('lang', t.lang),
	    ('feedback', t.feedback), ('joined', p_matched)) v (dim, val)
	UNION ALL
	SELECT k.day, k.dep, 'motive', m.v
	FROM k, unnest(CASE WHEN cardinality(t.motives) = 0
	    THEN ARRAY['none'] ELSE t.motives END) m (v)
$$;

-- What one case adds: cases; status (new, in_progress, closed); outcome;
-- the hours to the first action (ack_h) and to the decision (decide_h);
-- and, classified at closing: hate (yes, no), each ground, each offence
-- title, each ground with each offence title (ground_offence, the Police
-- University College's table; 'none' where no ground or offence was
-- given), and ODIHR's bias category with the incident type (odihr: a case
-- counts once per pair, so ethnic origin and skin colour together are one
-- case of racism; agitation, defamation and discrimination keep their own
-- names, since ODIHR counts them outside its definition of hate crime).
-- A merged case adds nothing.
CREATE FUNCTION stats_case_rows(c cases)
RETURNS TABLE (day date, department_id smallint, dim text, val text)
LANGUAGE sql STABLE
AS $$
	WITH k AS (SELECT stats_local_day(c.opened_at) AS day,
	    c.department_id AS dep
	    WHERE c.status <> 'merged'),
	cl AS (SELECT k.*,
	    CASE WHEN cardinality(c.grounds) > 0 THEN c.grounds
	        ELSE ARRAY['none'] END AS gs,
	    CASE WHEN cardinality(c.offences) > 0 THEN c.offences
	        ELSE ARRAY['none'] END AS os
	    FROM k WHERE c.status = 'closed' AND c.hate_confirmed IS NOT NULL)
	SELECT k.day, k.dep, 'cases', '' FROM k
	UNION ALL SELECT k.day, k.dep, 'status', c.status FROM k
	UNION ALL SELECT k.day, k.dep, 'outcome', c.outcome FROM k
	    WHERE c.status = 'closed' AND c.outcome IS NOT NULL
	UNION ALL SELECT k.day, k.dep, 'ack_h',
	    stats_hours(c.opened_at, c.acknowledged_at) FROM k
	    WHERE c.acknowledged_at IS NOT NULL
	UNION ALL SELECT k.day, k.dep, 'decide_h',
	    stats_hours(c.opened_at, c.decided_at) FROM k
	    WHERE c.status = 'closed' AND c.decided_at IS NOT NULL
	UNION ALL SELECT cl.day, cl.dep, 'hate',
	    CASE WHEN c.hate_confirmed THEN 'yes' ELSE 'no' END FROM cl
	UNION ALL SELECT cl.day, cl.dep, 'ground', g.v
	    FROM cl, unnest(cl.gs) g (v) WHERE c.hate_confirmed
	UNION ALL SELECT cl.day, cl.dep, 'offence', o.v
	    FROM cl, unnest(cl.os) o (v)
	UNION ALL SELECT cl.day, cl.dep, 'ground_offence', g.v || ':' || o.v
	    FROM cl, unnest(cl.gs) g (v), unnest(cl.os) o (v)
	    WHERE c.hate_confirmed
	UNION ALL SELECT DISTINCT cl.day, cl.dep, 'odihr',
	    CASE WHEN g.v IN ('ethnic', 'skin') THEN 'racism'
	        WHEN g.v IN ('orientation', 'gender') THEN 'lgbti'
	        WHEN g.v IN ('religion', 'disability') THEN g.v
	        ELSE 'other' END || ':' ||
	    CASE o.v WHEN 'assault' THEN 'violence' WHEN 'menace' THEN 'threat'
	        WHEN 'agitation' THEN 'agitation'
	        WHEN 'defamation' THEN 'defamation'
	        WHEN 'discrimination' THEN 'discrimination'
	        ELSE 'other' END
	    FROM cl, unnest(cl.gs) g (v), unnest(cl.os) o (v)
	    WHERE c.hate_confirmed
$$;

-- What one platform notice adds, on the day it was sent, in its case's
-- department: notice (per platform); decision (platform:decision); and
-- for a removal, removal_d (platform:days from sending to the decision).
CREATE FUNCTION stats_notice_rows(p platform_notice)
RETURNS TABLE (day date, department_id smallint, dim text, val text)
LANGUAGE sql STABLE
AS $$
	WITH k AS (SELECT c.department_id AS dep FROM cases c
	    WHERE c.id = p.case_id)
	SELECT p.sent_on, k.dep, 'notice', p.platform FROM k
	UNION ALL SELECT p.sent_on, k.dep, 'decision',
	    p.platform || ':' || p.decision FROM k WHERE p.decision IS NOT NULL
	UNION ALL SELECT p.sent_on, k.dep, 'removal_d',
	    p.platform || ':' || (p.decided_on - p.sent_on)::text FROM k
	    WHERE p.decision = 'removed'
$$;

-- A tip counts once it is in a case (the worker's ingest): one statement
-- joins a batch of tips, so the rows are summed per statement.
CREATE FUNCTION stats_on_join() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
	INSERT INTO stats_delta (day, department_id, dim, val, n)
	SELECT r.day, r.department_id, r.dim, r.val, count(*)
	FROM joined j JOIN tip t ON t.id = j.tip_id,
	    stats_tip_rows(t, j.matched) r
	GROUP BY 1, 2, 3, 4;
	RETURN NULL;
END
$$;
CREATE TRIGGER stats_join AFTER INSERT ON case_join
    REFERENCING NEW TABLE AS joined
    FOR EACH STATEMENT EXECUTE FUNCTION stats_on_join();

-- A case's or a platform notice's change takes away what the row added
-- and adds what it adds now.  For cases, only the columns the figures
-- read wake the trigger, so a tip joining (ntips, priority) costs nothing
-- here.
CREATE TYPE stats_row AS (day date, department_id smallint, dim text,
    val text);

CREATE FUNCTION stats_on_change() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	v_add stats_row[];
	v_take stats_row[] := '{}';
BEGIN
	IF TG_TABLE_NAME = 'cases' THEN
		v_add := ARRAY(SELECT s::stats_row FROM stats_case_rows(NEW) s);
		IF TG_OP = 'UPDATE' THEN
			v_take := ARRAY(SELECT s::stats_row
			    FROM stats_case_rows(OLD) s);
		END IF;
	ELSE
		v_add := ARRAY(SELECT s::stats_row
		    FROM stats_notice_rows(NEW) s);
		IF TG_OP = 'UPDATE' THEN
			v_take := ARRAY(SELECT s::stats_row
			    FROM stats_notice_rows(OLD) s);
		END IF;
	END IF;
	INSERT INTO stats_delta (day, department_id, dim, val, n)
	SELECT r.day, r.department_id, r.dim, r.val, sum(r.n)
	FROM (SELECT a.*, 1 AS n FROM unnest(v_add) a
	    UNION ALL SELECT t.*, -1 FROM unnest(v_take) t) r
	GROUP BY 1, 2, 3, 4 HAVING sum(r.n) <> 0;
	RETURN NULL;
END
$$;
CREATE TRIGGER stats_case_ins AFTER INSERT ON cases
    FOR EACH ROW EXECUTE FUNCTION stats_on_change();
CREATE TRIGGER stats_case_upd AFTER UPDATE ON cases
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
        OR OLD.department_id IS DISTINCT FROM NEW.department_id
        OR OLD.outcome IS DISTINCT FROM NEW.outcome
        OR OLD.opened_at IS DISTINCT FROM NEW.opened_at
        OR OLD.acknowledged_at IS DISTINCT FROM NEW.acknowledged_at
        OR OLD.decided_at IS DISTINCT FROM NEW.decided_at
        OR OLD.hate_confirmed IS DISTINCT FROM NEW.hate_confirmed
        OR OLD.grounds IS DISTINCT FROM NEW.grounds
        OR OLD.offences IS DISTINCT FROM NEW.offences)
    EXECUTE FUNCTION stats_on_change();
CREATE TRIGGER stats_notice AFTER INSERT OR UPDATE ON platform_notice
    FOR EACH ROW EXECUTE FUNCTION stats_on_change();

-- A tip that asked for feedback received some: counted once, with its
-- first message, on the tip's day (fb_received).
CREATE FUNCTION stats_on_message() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
	INSERT INTO stats_delta (day, department_id, dim, val, n)
	SELECT stats_local_day(t.received_at),
	    (route_case(t.channel, t.municipality::text)).department_id,
	    'fb_received', '', count(*)
	FROM (SELECT DISTINCT d.tip_id FROM delivered d) f
	JOIN tip t ON t.id = f.tip_id
	WHERE NOT EXISTS (SELECT 1 FROM tip_message m
	    WHERE m.tip_id = f.tip_id
	        AND m.message_id NOT IN (SELECT d.message_id FROM delivered d
	            WHERE d.tip_id = f.tip_id))
	GROUP BY 1, 2;
	RETURN NULL;
END
$$;
CREATE TRIGGER stats_message AFTER INSERT ON tip_message
    REFERENCING NEW TABLE AS delivered
    FOR EACH STATEMENT EXECUTE FUNCTION stats_on_message();

-- A follow-up from a tipster, on its own (truncated) day.
CREATE FUNCTION stats_on_followup() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
	INSERT INTO stats_delta (day, department_id, dim, val, n)
	SELECT stats_local_day(f.received_at),
	    (route_case(t.channel, t.municipality::text)).department_id,
	    'followup', '', count(*)
	FROM added f JOIN tip t ON t.id = f.tip_id
	GROUP BY 1, 2;
	RETURN NULL;
END
$$;
CREATE TRIGGER stats_followup AFTER INSERT ON tip_followup
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION stats_on_followup();

-- Folds up to p_max deltas into stats_day, oldest first; returns how
-- many.  Rows are locked in one order, so two workers folding at once
-- wait for each other instead of deadlocking.
CREATE FUNCTION stats_fold(p_max integer) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	v_n integer;
BEGIN
	WITH d AS (
		DELETE FROM stats_delta WHERE id IN (
			SELECT id FROM stats_delta ORDER BY id LIMIT p_max
			FOR UPDATE SKIP LOCKED)
		RETURNING day, department_id, dim, val, n),
	s AS (SELECT day, department_id, dim, val, sum(n) AS n, count(*) AS k
	    FROM d GROUP BY 1, 2, 3, 4),
	ins AS (
		INSERT INTO stats_day AS t (day, department_id, dim, val, n)
		SELECT day, department_id, dim, val, n FROM s
		ORDER BY day, dim, department_id, val
		ON CONFLICT (day, dim, department_id, val)
		DO UPDATE SET n = t.n + EXCLUDED.n)
	SELECT coalesce(sum(k), 0) INTO v_n FROM s;
	RETURN v_n;
END
$$;

-- Counts everything stored as if the triggers had been there when it
-- came: for this migration, and for rows loaded with the triggers off (a
-- benchmark's generator).  Only into an empty rollup: counts of purged
-- rows cannot be made again.  A tip split off counts as joined 'new': how
-- it first joined is not kept.
CREATE FUNCTION stats_backfill() RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM stats_day) OR
	    EXISTS (SELECT 1 FROM stats_delta) THEN
		RAISE EXCEPTION 'the rollup is not empty';
	END IF;
	INSERT INTO stats_delta (day, department_id, dim, val, n)
	SELECT r.day, r.department_id, r.dim, r.val, count(*)
	FROM case_join j JOIN tip t ON t.id = j.tip_id,
	    stats_tip_rows(t, CASE WHEN j.matched = 'split' THEN 'new'
	        ELSE j.matched END) r
	GROUP BY 1, 2, 3, 4;
	INSERT INTO stats_delta (day, department_id, dim, val, n)
	SELECT r.day, r.department_id, r.dim, r.val, count(*)
	FROM cases c, stats_case_rows(c) r GROUP BY 1, 2, 3, 4;
	INSERT INTO stats_delta (day, department_id, dim, val, n)
	SELECT r.day, r.department_id, r.dim, r.val, count(*)
	FROM platform_notice p, stats_notice_rows(p) r GROUP BY 1, 2, 3, 4;
	INSERT INTO stats_delta (day, department_id, dim, val, n)
	SELECT stats_local_day(t.received_at),
	    (route_case(t.channel, t.municipality::text)).department_id,
	    'fb_received', '', count(*)
	FROM tip t
	WHERE EXISTS (SELECT 1 FROM tip_message m WHERE m.tip_id = t.id)
	GROUP BY 1, 2;
	INSERT INTO stats_delta (day, department_id, dim, val, n)
	SELECT stats_local_day(f.received_at),
	    (route_case(t.channel, t.municipality::text)).department_id,
	    'followup', '', count(*)
	FROM tip_followup f JOIN tip t ON t.id = f.tip_id GROUP BY 1, 2;
END
$$;
SELECT stats_backfill();

REVOKE ALL ON stats_day, stats_delta FROM PUBLIC;
REVOKE ALL ON FUNCTION stats_fold(integer), stats_on_join(),
    stats_on_change(), stats_on_message(), stats_on_followup(),
    stats_backfill() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stats_fold(integer) TO tipline_worker;
GRANT SELECT ON stats_day TO tipline_console;
