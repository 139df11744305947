-- Retention: what is past its time is deleted in small batches, each its
-- own short transaction, so purging never holds long locks.

-- When the feedback a tipster asked for by e-mail was sent (set by the
-- job that sends it): the address has served and goes at the next purge.
ALTER TABLE tip ADD COLUMN feedback_sent_at timestamptz;
CREATE INDEX tip_email_done_idx ON tip (feedback_sent_at)
    WHERE sealed_email IS NOT NULL AND feedback_sent_at IS NOT NULL;

-- Deletes up to p_batch tips whose case closed more than p_keep_s seconds
-- ago (their attachments, keys and joins go with them), then the cases
-- left empty, then up to p_batch finished jobs older than p_jobs_s, and
-- erases up to p_batch e-mail addresses whose feedback was sent.
-- Returns the number of rows changed; call again until it returns 0.
CREATE FUNCTION purge_batch(p_keep_s integer, p_jobs_s integer,
    p_batch integer) RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
	v_n integer := 0;
	v_m integer;
BEGIN
	DELETE FROM tip WHERE id IN (
		SELECT t.id FROM tip t JOIN case_join cj ON cj.tip_id = t.id
		JOIN cases c ON c.id = cj.case_id
		WHERE c.status = 'closed'
		    AND c.closed_at < now() - make_interval(secs => p_keep_s)
		LIMIT p_batch
		FOR UPDATE OF t SKIP LOCKED);
	GET DIAGNOSTICS v_n = ROW_COUNT;
	DELETE FROM cases WHERE id IN (
		SELECT c.id FROM cases c
		WHERE c.status = 'closed'
		    AND c.closed_at < now() - make_interval(secs => p_keep_s)
		    AND NOT EXISTS (SELECT 1 FROM case_join cj
		        WHERE cj.case_id = c.id)
		LIMIT p_batch
		FOR UPDATE SKIP LOCKED);
	GET DIAGNOSTICS v_m = ROW_COUNT;
	v_n := v_n + v_m;
	DELETE FROM job WHERE id IN (
		SELECT j.id FROM job j
		WHERE j.state = 'done'
		    AND j.created_at < now() - make_interval(secs => p_jobs_s)
		LIMIT p_batch
		FOR UPDATE SKIP LOCKED);
	GET DIAGNOSTICS v_m = ROW_COUNT;
	v_n := v_n + v_m;
	UPDATE tip SET sealed_email = NULL WHERE id IN (
		SELECT t.id FROM tip t
		WHERE t.sealed_email IS NOT NULL
		    AND t.feedback_sent_at IS NOT NULL
		LIMIT p_batch
		FOR UPDATE SKIP LOCKED);
	GET DIAGNOSTICS v_m = ROW_COUNT;
	RETURN v_n + v_m;
END
$$;

-- Queues a purge job unless one is queued already.
CREATE FUNCTION purge_schedule() RETURNS void
LANGUAGE sql
AS $$
	INSERT INTO job (kind, run_after, created_at)
	SELECT 'purge', now(), date_trunc('hour', now())
	WHERE NOT EXISTS (
		SELECT 1 FROM job WHERE kind = 'purge' AND state = 'queued');
	SELECT pg_notify('job_ready', 'purge');
$$;

-- Marks a job done if the caller still holds its lease.
CREATE FUNCTION job_finish(p_job bigint, p_attempts integer) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM job_hold(p_job, p_attempts);
	UPDATE job SET state = 'done', locked_until = NULL, last_error = NULL
	WHERE id = p_job;
END
$$;

REVOKE ALL ON FUNCTION purge_batch(integer, integer, integer),
    purge_schedule(), job_finish(bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION purge_batch(integer, integer, integer),
    purge_schedule(), job_finish(bigint, integer) TO tipline_worker;
