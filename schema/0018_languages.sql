-- The public pages in ten languages (lib/i18n.h): a tip, a message to its
-- tipsters and a department's wording of a template may now be in any of
-- them.  tip_status_full() and email_claim() also give each message's
-- language, so that /status and the e-mail mark a Finnish message on an
-- Arabic page as Finnish (for screen readers and for the tipster, who is
-- told the language).
--
-- Each new check scans its table once, inside the migration's one
-- transaction.

ALTER TABLE tip DROP CONSTRAINT tip_lang_check;
ALTER TABLE tip ADD CONSTRAINT tip_lang_check CHECK (lang IN ('fi', 'sv',
    'en', 'ar', 'fa', 'so', 'ru', 'uk', 'et', 'se'));

ALTER TABLE case_message DROP CONSTRAINT case_message_lang_check;
ALTER TABLE case_message ADD CONSTRAINT case_message_lang_check
    CHECK (lang IN ('fi', 'sv', 'en', 'ar', 'fa', 'so', 'ru', 'uk', 'et',
        'se'));

ALTER TABLE feedback_template DROP CONSTRAINT feedback_template_lang_check;
ALTER TABLE feedback_template ADD CONSTRAINT feedback_template_lang_check
    CHECK (lang IN ('fi', 'sv', 'en', 'ar', 'fa', 'so', 'ru', 'uk', 'et',
        'se'));

-- As in 0013, with message_langs last: the language of each message, in
-- the order of message_days and message_sealed.
DROP FUNCTION tip_status_full(bytea, integer);
CREATE FUNCTION tip_status_full(p_receipt_hash bytea,
    p_followup_days integer)
RETURNS TABLE (receipt_hash bytea, received_local text, state text,
    outcome text, offences text[], closed_local text, followup_open boolean,
    motives text[], message_days text[], message_sealed bytea[],
    message_langs text[])
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
	SELECT t.receipt_hash,
	    to_char(t.received_at AT TIME ZONE 'Europe/Helsinki',
	        'YYYY-MM-DD HH24'),
	    CASE c.status WHEN 'in_progress' THEN 'in_review'
	        WHEN 'closed' THEN 'closed' ELSE 'received' END,
	    CASE WHEN c.status = 'closed' THEN c.outcome END,
	    CASE WHEN c.status = 'closed' THEN c.offences END,
	    CASE WHEN c.status = 'closed' THEN to_char(c.closed_at
	        AT TIME ZONE 'Europe/Helsinki', 'YYYY-MM-DD') END,
	    c.status IS DISTINCT FROM 'closed'
	        OR c.closed_at > now() - make_interval(days =>
	            p_followup_days),
	    t.motives,
	    coalesce(ms.days, '{}'), coalesce(ms.sealed, '{}'),
	    coalesce(ms.langs, '{}')
	FROM tip t
	LEFT JOIN case_join j ON j.tip_id = t.id
	LEFT JOIN cases c ON c.id = j.case_id
	LEFT JOIN LATERAL (
		SELECT array_agg(to_char(m.at AT TIME ZONE 'Europe/Helsinki',
		    'YYYY-MM-DD') ORDER BY m.id) AS days,
		    array_agg(d.sealed ORDER BY m.id) AS sealed,
		    array_agg(m.lang ORDER BY m.id) AS langs
		FROM tip_message d JOIN case_message m ON m.id = d.message_id
		WHERE d.tip_id = t.id
	) ms ON true
	WHERE t.receipt_hash = p_receipt_hash
$$;
REVOKE ALL ON FUNCTION tip_status_full(bytea, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tip_status_full(bytea, integer) TO tipline_intake;

-- As in 0016, with message_lang last: the language of message_sealed.
DROP FUNCTION email_claim(integer, integer);
CREATE FUNCTION email_claim(p_limit integer, p_lease_s integer)
RETURNS TABLE (id uuid, sealed_email bytea, lang text, attempts integer,
    message_sealed bytea, message_lang text)
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
	    m.sealed, m.lang
	FROM leased l
	LEFT JOIN LATERAL (
		SELECT cm.sealed, cm.lang FROM tip_message d
		JOIN case_message cm ON cm.id = d.message_id
		WHERE d.tip_id = l.id ORDER BY cm.id DESC LIMIT 1
	) m ON true
$$;
REVOKE ALL ON FUNCTION email_claim(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION email_claim(integer, integer) TO tipline_worker;
