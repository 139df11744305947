-- The police's replies to tipsters.
--
-- An officer writes a message on a case (case_message), sealed by the
-- console with the deployment's public key so that officers and the
-- worker can read it again.  The worker then delivers it to each tip of
-- the case that asked for feedback (tip_message): sealed once more, to
-- the tip's own reply key.  That key pair is derived from the receipt code
-- and the intake's pepper (lib/receipt.c, receipt_reply_keys): the intake
-- stores its public half with the tip and can make the secret half again
-- only when the tipster types the code on /status.  Without the code,
-- neither the database nor the intake can read what the police told a
-- tipster.
--
-- A message reaches every tip of the case that asked for feedback, the
-- ones that join later and the ones a merge brings included: each case
-- counts what may be undelivered (deliver_gen, raised by a message and by
-- a tip joining a case that has messages) and what the worker delivered
-- (delivered_gen), and the worker looks only at cases where the two
-- differ.  A message to one tip alone (a question back) names the tip.

-- The public half of the tip's reply key; NULL for a tip that asked for
-- no feedback and for tips stored before this migration.
ALTER TABLE tip ADD COLUMN reply_pk bytea CHECK (length(reply_pk) = 32),
	-- The e-mail notice: due from (NULL: none due), tries so far, and
	-- whether the worker gave up (the address is deleted either way).
	ADD COLUMN email_due_at timestamptz,
	ADD COLUMN email_attempts smallint NOT NULL DEFAULT 0,
	ADD COLUMN email_failed boolean NOT NULL DEFAULT false;
CREATE INDEX tip_email_due_idx ON tip (email_due_at)
    WHERE email_due_at IS NOT NULL;

ALTER TABLE cases ADD COLUMN deliver_gen integer NOT NULL DEFAULT 0,
	ADD COLUMN delivered_gen integer NOT NULL DEFAULT 0;
CREATE INDEX cases_deliver_idx ON cases (id)
    WHERE deliver_gen > delivered_gen;

CREATE TABLE case_message (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	case_id bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	-- A reply to this tip alone; NULL: to every tip that asked.
	tip_id uuid REFERENCES tip (id) ON DELETE CASCADE,
	reviewer_id integer REFERENCES reviewer (id),
	at timestamptz NOT NULL DEFAULT now(),
	-- The language it is written in, and the template it started from.
	lang text NOT NULL CHECK (lang IN ('fi', 'sv', 'en')),
	template text CHECK (template ~ '^[a-z_]{1,40}$'),
	-- For officers and the worker: the deployment's public key.
	sealed bytea NOT NULL
);
CREATE INDEX case_message_case_idx ON case_message (case_id, id);

-- Deliveries: the message sealed to the tip's reply key.
CREATE TABLE tip_message (
	tip_id uuid NOT NULL REFERENCES tip (id) ON DELETE CASCADE,
	message_id bigint NOT NULL REFERENCES case_message (id)
	    ON DELETE CASCADE,
	sealed bytea NOT NULL,
	PRIMARY KEY (tip_id, message_id)
);
CREATE INDEX tip_message_message_idx ON tip_message (message_id);

-- Departments' own wording of the templates (the built-in ones are in
-- the console's message catalogue, feedback.template.*).
CREATE TABLE feedback_template (
	department_id smallint NOT NULL REFERENCES department (id),
	template text NOT NULL CHECK (template ~ '^[a-z_]{1,40}$'),
	lang text NOT NULL CHECK (lang IN ('fi', 'sv', 'en')),
	body text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (department_id, template, lang)
);

ALTER TABLE case_event DROP CONSTRAINT case_event_kind_check;
ALTER TABLE case_event ADD CONSTRAINT case_event_kind_check
    CHECK (kind IN ('assign', 'unassign', 'status', 'close', 'reopen',
    'move', 'merge', 'split', 'note', 'feedback', 'followup', 'notice'));

-- A tip joining a case that has messages may have some to receive.  One
-- statement's rows at a time: ingest_batch() joins many tips at once.
-- The cases are locked first: a message being written on one of them
-- (case_feedback() holds its row) is then committed, and the test that
-- follows, a statement of its own, sees it.  Without the lock, a tip
-- joining as a message is written could see no message, and the worker,
-- woken by the message before the tip is committed, would not see the
-- tip: the tip would never get it.
CREATE FUNCTION case_join_deliver() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM 1 FROM cases c
	WHERE c.id IN (SELECT DISTINCT n.case_id FROM joined n)
	ORDER BY c.id FOR UPDATE;
	UPDATE cases c SET deliver_gen = c.deliver_gen + 1
	WHERE c.id IN (SELECT DISTINCT n.case_id FROM joined n)
	    AND EXISTS (SELECT 1 FROM case_message m WHERE m.case_id = c.id);
	RETURN NULL;
END
$$;

-- A tip split off its case while a message of the case is still on its
-- way to it would never get it (messages are delivered through the case a
-- tip is in): such a split waits for the worker, which takes a second.
CREATE FUNCTION case_split_undelivered() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	IF NEW.matched = 'split' AND NEW.case_id <> OLD.case_id
	    AND EXISTS (SELECT 1 FROM case_message m JOIN tip t
	        ON t.id = NEW.tip_id
	        WHERE m.case_id = OLD.case_id
	            AND t.feedback <> 'none' AND t.reply_pk IS NOT NULL
	            AND (m.tip_id IS NULL OR m.tip_id = t.id)
	            AND NOT EXISTS (SELECT 1 FROM tip_message d
	                WHERE d.tip_id = t.id AND d.message_id = m.id)) THEN
		RAISE EXCEPTION 'a message is still on its way to the tip'
		    USING ERRCODE = 'TL409';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER case_join_split_undelivered BEFORE UPDATE ON case_join
    FOR EACH ROW EXECUTE FUNCTION case_split_undelivered();
CREATE TRIGGER case_join_deliver_ins AFTER INSERT ON case_join
    REFERENCING NEW TABLE AS joined
    FOR EACH STATEMENT EXECUTE FUNCTION case_join_deliver();
CREATE TRIGGER case_join_deliver_upd AFTER UPDATE ON case_join
    REFERENCING NEW TABLE AS joined
    FOR EACH STATEMENT EXECUTE FUNCTION case_join_deliver();

-- A merged case's messages go with its tips to the case that took them,
-- where its history is read from now on, and reach that case's own tips
-- too: what the police said about the matter, they said to all who
-- reported it.
CREATE FUNCTION case_merged_messages() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	UPDATE case_message SET case_id = NEW.merged_into
	WHERE case_id = NEW.id;
	IF FOUND THEN
		UPDATE cases SET deliver_gen = deliver_gen + 1
		WHERE id = NEW.merged_into;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER cases_merged_messages AFTER UPDATE OF status ON cases
    FOR EACH ROW WHEN (NEW.status = 'merged' AND OLD.status <> 'merged')
    EXECUTE FUNCTION case_merged_messages();

-- The officer's message on a case, to every tip that asked for feedback
-- (p_tip NULL) or to one tip of the case; returns its id.  It does not
-- change the case, so it takes no version.
CREATE FUNCTION case_feedback(p_reviewer integer, p_case bigint,
    p_tip uuid, p_lang text, p_template text, p_sealed bytea)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	v_id bigint;
	v_n integer;
BEGIN
	IF (case_hold(p_reviewer, p_case, NULL)).status = 'merged' THEN
		RAISE EXCEPTION 'the case was merged into another'
		    USING ERRCODE = 'TL422';
	END IF;
	IF p_sealed IS NULL OR length(p_sealed) = 0 THEN
		RAISE EXCEPTION 'empty message' USING ERRCODE = 'TL422';
	END IF;
	IF p_tip IS NOT NULL AND NOT EXISTS (SELECT 1 FROM case_join j
	    JOIN tip t ON t.id = j.tip_id
	    WHERE j.tip_id = p_tip AND j.case_id = p_case
	        AND t.feedback <> 'none' AND t.reply_pk IS NOT NULL) THEN
		RAISE EXCEPTION 'the tip takes no messages'
		    USING ERRCODE = 'TL422';
	END IF;
	SELECT count(*) INTO v_n FROM case_join j JOIN tip t ON t.id = j.tip_id
	WHERE j.case_id = p_case AND t.feedback <> 'none'
	    AND t.reply_pk IS NOT NULL
	    AND (p_tip IS NULL OR t.id = p_tip);
	INSERT INTO case_message (case_id, tip_id, reviewer_id, lang,
	    template, sealed)
	VALUES (p_case, p_tip, p_reviewer, p_lang, p_template, p_sealed)
	RETURNING id INTO v_id;
	UPDATE cases SET deliver_gen = deliver_gen + 1 WHERE id = p_case;
	PERFORM case_log(p_reviewer, p_case, 'feedback', 'feedback', NULL,
	    jsonb_build_object('message', v_id, 'lang', p_lang, 'template',
	        p_template, 'tips', v_n, 'one_tip', p_tip IS NOT NULL));
	PERFORM pg_notify('job_ready', 'deliver');
	RETURN v_id;
END
$$;

-- For the worker: the cases with something new to deliver, in id order,
-- each with the generation it was read at and its undelivered (message,
-- tip) pairs; a case with none comes once with NULLs, to be marked
-- delivered.  At most p_limit rows: the last case may be cut short.
CREATE FUNCTION deliver_pending(p_limit integer)
RETURNS TABLE (case_id bigint, gen integer, message_id bigint,
    sealed bytea, tip_id uuid, reply_pk bytea)
LANGUAGE sql
STABLE
AS $$
	SELECT c.id, c.deliver_gen, p.mid, p.sealed, p.tid, p.pk
	FROM (SELECT id, deliver_gen FROM cases
	    WHERE deliver_gen > delivered_gen ORDER BY id LIMIT p_limit) c
	LEFT JOIN LATERAL (
		SELECT m.id AS mid, m.sealed, t.id AS tid, t.reply_pk AS pk
		FROM case_message m
		JOIN case_join j ON j.case_id = m.case_id
		JOIN tip t ON t.id = j.tip_id
		WHERE m.case_id = c.id
		    AND t.feedback <> 'none' AND t.reply_pk IS NOT NULL
		    AND (m.tip_id IS NULL OR m.tip_id = t.id)
		    AND NOT EXISTS (SELECT 1 FROM tip_message d
		        WHERE d.tip_id = t.id AND d.message_id = m.id)
	) p ON true
	ORDER BY c.id, p.mid
	LIMIT p_limit
$$;

-- Stores deliveries (the same pair twice is stored once), marks an
-- e-mail notice due for tips that asked for one, and marks delivered the
-- cases the worker read whole, unless they changed since (gen).
CREATE FUNCTION deliver_store(p_messages bigint[], p_tips uuid[],
    p_sealed bytea[], p_cases bigint[], p_gens integer[])
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
	v_n integer;
BEGIN
	INSERT INTO tip_message (tip_id, message_id, sealed)
	SELECT d.t, d.m, d.s
	FROM unnest(p_tips, p_messages, p_sealed) AS d (t, m, s)
	ON CONFLICT DO NOTHING;
	GET DIAGNOSTICS v_n = ROW_COUNT;
	UPDATE tip SET email_due_at = now()
	WHERE id = ANY (p_tips) AND feedback = 'email'
	    AND sealed_email IS NOT NULL AND email_due_at IS NULL
	    AND feedback_sent_at IS NULL AND NOT email_failed;
	UPDATE cases c SET delivered_gen = g.gen
	FROM unnest(p_cases, p_gens) AS g (id, gen)
	WHERE c.id = g.id AND c.deliver_gen = g.gen;
	IF v_n > 0 THEN
		PERFORM pg_notify('job_ready', 'email');
	END IF;
	RETURN v_n;
END
$$;

-- The tip behind a receipt hash, as /status shows it: the arrival hour,
-- its state in the words of the public (from its case: 'received' until
-- an officer acts, 'in_review' while one works on it, 'closed' with the
-- outcome), the day it closed, whether a follow-up may still be added
-- (up to p_followup_days days after closing), and the police's messages
-- with their days, oldest first, sealed to the tip's reply key.  Dates
-- are Finnish time.
CREATE FUNCTION tip_status_full(p_receipt_hash bytea,
    p_followup_days integer)
RETURNS TABLE (receipt_hash bytea, received_local text, state text,
    outcome text, offences text[], closed_local text, followup_open boolean,
    motives text[], message_days text[], message_sealed bytea[])
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
	    coalesce(ms.days, '{}'), coalesce(ms.sealed, '{}')
	FROM tip t
	LEFT JOIN case_join j ON j.tip_id = t.id
	LEFT JOIN cases c ON c.id = j.case_id
	LEFT JOIN LATERAL (
		SELECT array_agg(to_char(m.at AT TIME ZONE 'Europe/Helsinki',
		    'YYYY-MM-DD') ORDER BY m.id) AS days,
		    array_agg(d.sealed ORDER BY m.id) AS sealed
		FROM tip_message d JOIN case_message m ON m.id = d.message_id
		WHERE d.tip_id = t.id
	) ms ON true
	WHERE t.receipt_hash = p_receipt_hash
$$;

-- What tip_submit() and the follow-ups' tip_followup_add() (0014) check
-- alike: the arrival's truncation (a minute or more) and the parallel
-- arrays of the screenshots' metadata (at most p_max); returns how many
-- screenshots there are.
CREATE FUNCTION intake_check(p_truncate_s integer, p_max integer,
    p_mimes text[], p_widths integer[], p_heights integer[],
    p_sha256s bytea[], p_phashes bigint[]) RETURNS integer
LANGUAGE plpgsql
IMMUTABLE
AS $$
DECLARE
	v_n integer := coalesce(array_length(p_mimes, 1), 0);
BEGIN
	IF p_truncate_s < 60 THEN
		RAISE EXCEPTION 'arrival truncation under a minute'
		    USING ERRCODE = '22023';
	END IF;
	IF v_n > p_max OR v_n <> coalesce(array_length(p_widths, 1), 0)
	    OR v_n <> coalesce(array_length(p_heights, 1), 0)
	    OR v_n <> coalesce(array_length(p_sha256s, 1), 0)
	    OR v_n <> coalesce(array_length(p_phashes, 1), 0) THEN
		RAISE EXCEPTION 'attachment arrays disagree'
		    USING ERRCODE = '22023';
	END IF;
	RETURN v_n;
END
$$;

-- Now, truncated to p_truncate_s seconds: the only arrival time stored.
CREATE FUNCTION intake_arrival(p_truncate_s integer) RETURNS timestamptz
LANGUAGE sql
STABLE
AS $$
	SELECT to_timestamp(floor(extract(epoch FROM now()) / p_truncate_s)
	    * p_truncate_s)
$$;

-- Stores the screenshots whose metadata intake_check() accepted: seq
-- continues after p_seq0, and p_followup names the follow-up they came
-- with (NULL for the tip's own; the column and its table come in 0014,
-- which every database reaches before a tip is stored).
CREATE FUNCTION intake_attach(p_tip uuid, p_seq0 integer, p_followup bigint,
    p_mimes text[], p_widths integer[], p_heights integer[],
    p_sha256s bytea[], p_phashes bigint[], p_imgs bytea[]) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	FOR i IN 1 .. coalesce(array_length(p_mimes, 1), 0) LOOP
		IF p_imgs[i] IS NULL THEN
			RAISE EXCEPTION 'attachment % missing', i
			    USING ERRCODE = '22023';
		END IF;
		INSERT INTO attachment (tip_id, seq, mime, width, height,
		    sha256, phash, sealed, followup_id)
		VALUES (p_tip, p_seq0 + i, p_mimes[i], p_widths[i],
		    p_heights[i], p_sha256s[i], p_phashes[i], p_imgs[i],
		    p_followup);
	END LOOP;
END
$$;

-- tip_submit() once more, with the reply key's public half (NULL for a
-- tip that asked for no feedback).
DROP FUNCTION tip_submit(bytea, integer, text, text, text, text, date,
    text[], text, bytea, bytea, bytea, bytea, text[], integer[], integer[],
    bytea[], bigint[], bytea, bytea, bytea, bytea, bytea);

CREATE FUNCTION tip_submit(
	p_receipt_hash bytea, p_truncate_s integer, p_lang text,
	p_channel text, p_platform text, p_municipality text,
	p_event_date date, p_motives text[], p_feedback text,
	p_description bytea, p_url bytea, p_place bytea, p_email bytea,
	p_reply_pk bytea,
	p_mimes text[], p_widths integer[], p_heights integer[],
	p_sha256s bytea[], p_phashes bigint[],
	p_img1 bytea, p_img2 bytea, p_img3 bytea, p_img4 bytea, p_img5 bytea)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	v_id uuid;
	v_n integer := intake_check(p_truncate_s, 5, p_mimes, p_widths,
	    p_heights, p_sha256s, p_phashes);
	-- After the check: it refuses a truncation under a minute.
	v_at timestamptz := intake_arrival(p_truncate_s);
	i integer;
BEGIN
	INSERT INTO tip (receipt_hash, received_at, lang, channel, platform,
	    municipality, event_date, motives, feedback, sealed_description,
	    sealed_url, sealed_place, sealed_email, nattachments, reply_pk)
	VALUES (p_receipt_hash, v_at, p_lang, p_channel, p_platform,
	    p_municipality, p_event_date, coalesce(p_motives, '{}'),
	    p_feedback, p_description, p_url, p_place, p_email, v_n,
	    CASE WHEN p_feedback <> 'none' THEN p_reply_pk END)
	RETURNING id INTO v_id;
	PERFORM intake_attach(v_id, 0, NULL, p_mimes, p_widths, p_heights,
	    p_sha256s, p_phashes, ARRAY[p_img1, p_img2, p_img3, p_img4, p_img5]);
	INSERT INTO job (kind, tip_id, run_after, created_at)
	VALUES ('ingest', v_id, v_at, v_at);
	PERFORM pg_notify('job_ready', 'ingest');
END
$$;

REVOKE ALL ON FUNCTION
    tip_submit(bytea, integer, text, text, text, text, date, text[], text,
        bytea, bytea, bytea, bytea, bytea, text[], integer[], integer[],
        bytea[], bigint[], bytea, bytea, bytea, bytea, bytea),
    tip_status_full(bytea, integer),
    case_feedback(integer, bigint, uuid, text, text, bytea),
    deliver_pending(integer),
    deliver_store(bigint[], uuid[], bytea[], bigint[], integer[]),
    case_join_deliver(),
    case_split_undelivered(),
    case_merged_messages(),
    intake_check(integer, integer, text[], integer[], integer[], bytea[],
        bigint[]),
    intake_arrival(integer),
    intake_attach(uuid, integer, bigint, text[], integer[], integer[],
        bytea[], bigint[], bytea[])
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    tip_submit(bytea, integer, text, text, text, text, date, text[], text,
        bytea, bytea, bytea, bytea, bytea, text[], integer[], integer[],
        bytea[], bigint[], bytea, bytea, bytea, bytea, bytea),
    tip_status_full(bytea, integer)
    TO tipline_intake;
GRANT EXECUTE ON FUNCTION case_feedback(integer, bigint, uuid, text, text,
    bytea) TO tipline_console;
GRANT EXECUTE ON FUNCTION deliver_pending(integer),
    deliver_store(bigint[], uuid[], bytea[], bigint[], integer[])
    TO tipline_worker;
GRANT SELECT ON case_message, feedback_template TO tipline_console;
GRANT SELECT ON case_message TO tipline_worker;
GRANT SELECT, INSERT ON tip_message TO tipline_worker;
GRANT SELECT ON tip_message TO tipline_console;
