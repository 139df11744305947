-- Nothing stored dates a tip more precisely than its truncated arrival
-- time (tip.received_at, [privacy] arrival_truncate, default an hour).
--
-- Ids: a sequence numbers rows in the order they come, and a row that
-- points at a tip orders the tips of one hour by arrival: an ingest job is
-- made with its tip, a case with the tip that opened it, a follow-up as it
-- arrives.  Their ids now carry the hour of the row's truncated time in
-- the high bits and 33 random bits below it (period_id()), and the log
-- and metrics that named them at the second are gone (worker/queue.h).
-- Fully random ids would hide as much; these keep what the console's
-- lists and the merge rule read from ids: newer cases sort after older
-- ones (by the hour, which opened_at says already), and a tip matching two
-- cases joins the older.  Within an hour they are in no order.  They stay
-- below 2^53 until 2089: exact as JSON numbers in a browser and within the
-- 18 digits the console reads.  The random part is drawn again if the id
-- is taken.  Jobs are renumbered here (nothing refers to them); cases and
-- follow-ups stored before this migration keep their numbers, which the
-- audit log's hash chain and the screenshots refer to.
--
-- The statistics' deltas are written as the worker ingests a batch and
-- folded away within seconds; their ids are random alone.
--
-- Times: a job's run_after and locked_until are exact while it is queued
-- (backoff and lease need them), and nothing else: once a job is done or
-- dead, run_after goes back to its created_at, which is truncated, and
-- the lease is cleared (job_times()).  A job's attempts and last_error
-- say nothing of when.  cases.opened_at and last_tip_at, case_join's
-- joined_at and tip_followup's received_at were truncated already.  A
-- tip that joins a case the police already wrote on receives the
-- messages, and is due an e-mail notice, as it is ingested: the notice
-- is marked due from the hour (tip.email_due_at; exact again only for
-- the lease and backoff of its sending, and NULL after), and its sending
-- is kept to the hour (tip.feedback_sent_at).

-- An id for a row whose time, truncated, is p_at: the hour of p_at since
-- the epoch, then 33 random bits (never all zero).  NULL: random alone.
CREATE FUNCTION period_id(p_at timestamptz) RETURNS bigint
LANGUAGE sql
VOLATILE
AS $$
	SELECT (coalesce(floor(extract(epoch FROM p_at) / 3600), 0)::bigint
	        << 33)
	    | (1 + (('x' || substr(md5(gen_random_uuid()::text), 1, 9))
	        ::bit(36)::bigint >> 3) % 8589934591)
$$;

-- BEFORE INSERT: gives a row without an id period_id() of its column
-- TG_ARGV[0] (a truncated time), drawing again while the id is taken.
-- Rows inserted at once by two transactions could still draw one id, one
-- chance in 2^33: the later insert fails, and its tip or job is tried
-- again as any failed insert is.
CREATE FUNCTION period_id_assign() RETURNS trigger
LANGUAGE plpgsql
-- The owner's: the look-up reads the table whoever inserts.
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	v_at timestamptz;
	v_id bigint;
	v_taken boolean := true;
BEGIN
	IF NEW.id IS NOT NULL THEN
		RETURN NEW;
	END IF;
	IF TG_NARGS > 0 THEN
		v_at := (to_jsonb(NEW) ->> TG_ARGV[0])::timestamptz;
	END IF;
	WHILE v_taken LOOP
		v_id := period_id(v_at);
		EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I WHERE id = $1)',
		    TG_TABLE_SCHEMA, TG_TABLE_NAME)
		INTO v_taken USING v_id;
	END LOOP;
	NEW.id := v_id;
	RETURN NEW;
END
$$;

-- A follow-up's id is period_id()'s, and greater than those of the
-- tip's earlier follow-ups of the hour: officers read one tipster's
-- additions in the order written (the console lists them by id), which
-- says nothing of other tips'.  Drawn from the 2^27 ids above the last
-- (a receipt takes a few follow-ups a day, [feedback]
-- followups_per_day).
-- tip_followup_add() holds the tip's row: one receipt's follow-ups are
-- stored one at a time.
CREATE FUNCTION tip_followup_id() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	v_hour bigint := floor(extract(epoch FROM NEW.received_at) / 3600);
	v_after bigint;
	v_span bigint;
	v_id bigint;
BEGIN
	IF NEW.id IS NOT NULL THEN
		RETURN NEW;
	END IF;
	SELECT max(f.id) INTO v_after FROM tip_followup f
	WHERE f.tip_id = NEW.tip_id AND f.id >> 33 = v_hour;
	v_after := coalesce(v_after, v_hour << 33);
	v_span := least(134217728, ((v_hour + 1) << 33) - 1 - v_after);
	IF v_span < 1 THEN
		RAISE EXCEPTION 'no follow-up id left in the hour'
		    USING ERRCODE = '54000';
	END IF;
	LOOP
		v_id := v_after + 1 + (period_id(NULL) - 1) % v_span;
		EXIT WHEN NOT EXISTS (SELECT 1 FROM tip_followup f
		    WHERE f.id = v_id);
	END LOOP;
	NEW.id := v_id;
	RETURN NEW;
END
$$;

ALTER TABLE job ALTER COLUMN id DROP IDENTITY;
ALTER TABLE cases ALTER COLUMN id DROP IDENTITY;
ALTER TABLE tip_followup ALTER COLUMN id DROP IDENTITY;
ALTER TABLE stats_delta ALTER COLUMN id DROP IDENTITY;
CREATE TRIGGER job_id BEFORE INSERT ON job
    FOR EACH ROW EXECUTE FUNCTION period_id_assign('created_at');
CREATE TRIGGER cases_id BEFORE INSERT ON cases
    FOR EACH ROW EXECUTE FUNCTION period_id_assign('opened_at');
CREATE TRIGGER tip_followup_id BEFORE INSERT ON tip_followup
    FOR EACH ROW EXECUTE FUNCTION tip_followup_id();
CREATE TRIGGER stats_delta_id BEFORE INSERT ON stats_delta
    FOR EACH ROW EXECUTE FUNCTION period_id_assign();

-- A job's exact times end with its run.
CREATE FUNCTION job_times() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	IF NEW.state <> 'queued' THEN
		NEW.run_after := NEW.created_at;
		NEW.locked_until := NULL;
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER job_times BEFORE INSERT OR UPDATE ON job
    FOR EACH ROW EXECUTE FUNCTION job_times();

-- The jobs stored so far: finished ones lose their exact times, and every
-- job gets an id of the new kind (a worker holding a lease on an old id
-- loses it, and the job runs again after the lease).
UPDATE job SET run_after = created_at, locked_until = NULL
WHERE state <> 'queued';
UPDATE job SET id = period_id(created_at);

-- As in 0016, with the sending kept to the hour.
CREATE OR REPLACE FUNCTION email_sent(p_tip uuid) RETURNS void
LANGUAGE sql
AS $$
	UPDATE tip SET sealed_email = NULL,
	    feedback_sent_at = date_trunc('hour', now()), email_due_at = NULL
	WHERE id = p_tip
$$;
UPDATE tip SET feedback_sent_at = date_trunc('hour', feedback_sent_at)
WHERE feedback_sent_at IS NOT NULL;

-- deliver_store() (0013) marks a notice due now: from the hour instead,
-- which is as due.
CREATE FUNCTION tip_email_due() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	NEW.email_due_at := date_trunc('hour', NEW.email_due_at);
	RETURN NEW;
END
$$;
CREATE TRIGGER tip_email_due BEFORE UPDATE OF email_due_at ON tip
    FOR EACH ROW
    WHEN (OLD.email_due_at IS NULL AND NEW.email_due_at IS NOT NULL)
    EXECUTE FUNCTION tip_email_due();
UPDATE tip SET email_due_at = date_trunc('hour', email_due_at)
WHERE email_due_at IS NOT NULL AND email_due_at <= now();

REVOKE ALL ON FUNCTION period_id(timestamptz), period_id_assign(),
    tip_followup_id(), job_times(), tip_email_due() FROM PUBLIC;
