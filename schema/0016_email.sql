-- The e-mail notice to tipsters who asked for one.
--
-- deliver_store() (0013) marks a notice due (tip.email_due_at) when a
-- message from the police reaches a tip that asked for feedback by
-- e-mail.  The worker claims due notices under a lease, opens the sealed
-- address, sends the notice, and then either deletes the address
-- (email_sent) or counts a failed try and waits, doubling the wait each
-- time, until the last try deletes the address all the same
-- (email_failed).  One notice a tip: after it the address is gone, and
-- later messages are read on /status only.

-- For the worker: up to p_limit due notices, each pushed p_lease_s seconds
-- ahead so that no other worker takes it while it is being sent (a worker
-- that dies leaves it due again when the lease ends).  With each, the
-- tip's language, the tries so far and the newest message delivered to
-- it, sealed to the deployment's key ([feedback] email_content).
CREATE FUNCTION email_claim(p_limit integer, p_lease_s integer)
RETURNS TABLE (id uuid, sealed_email bytea, lang text, attempts integer,
    message_sealed bytea)
LANGUAGE sql
AS $$
	WITH due AS (
		SELECT t.id FROM tip t
		WHERE t.email_due_at <= now() AND t.sealed_email IS NOT NULL
		ORDER BY t.email_due_at
		LIMIT p_limit
		FOR UPDATE SKIP LOCKED
	), leased AS (
		UPDATE tip t
		SET email_due_at = now() + make_interval(secs => p_lease_s)
		FROM due WHERE t.id = due.id
		RETURNING t.id, t.sealed_email, t.lang, t.email_attempts
	)
	SELECT l.id, l.sealed_email, l.lang, l.email_attempts::integer,
	    (SELECT m.sealed FROM tip_message d
	     JOIN case_message m ON m.id = d.message_id
	     WHERE d.tip_id = l.id ORDER BY m.id DESC LIMIT 1)
	FROM leased l
$$;

-- The notice went out: the address is deleted at once, in the same
-- statement that records the sending.
CREATE FUNCTION email_sent(p_tip uuid) RETURNS void
LANGUAGE sql
AS $$
	UPDATE tip SET sealed_email = NULL, feedback_sent_at = now(),
	    email_due_at = NULL
	WHERE id = p_tip
$$;

-- A try failed: the next is due after p_backoff_s seconds, doubled for
-- each try before; the p_max-th failure gives up, deleting the address.
-- Returns whether it gave up (NULL: the tip is gone).
CREATE FUNCTION email_failed(p_tip uuid, p_max integer, p_backoff_s integer)
RETURNS boolean
LANGUAGE sql
AS $$
	UPDATE tip SET email_attempts = email_attempts + 1,
	    email_due_at = CASE WHEN email_attempts + 1 >= p_max THEN NULL
	        ELSE now() + make_interval(secs => p_backoff_s
	            * power(2, least(email_attempts, 30))) END,
	    sealed_email = CASE WHEN email_attempts + 1 >= p_max THEN NULL
	        ELSE sealed_email END,
	    email_failed = email_attempts + 1 >= p_max
	WHERE id = p_tip
	RETURNING email_failed
$$;

REVOKE ALL ON FUNCTION email_claim(integer, integer), email_sent(uuid),
    email_failed(uuid, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION email_claim(integer, integer), email_sent(uuid),
    email_failed(uuid, integer, integer) TO tipline_worker;
