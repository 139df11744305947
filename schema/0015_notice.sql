-- What a platform did with the police's notice of illegal content (EU
-- Digital Services Act, Article 16): when the notice was sent, when the
-- platform acknowledged it (Art. 16(4)) and what it decided, and when
-- (Art. 16(5)).  The national unit wants the time from notice to removal
-- per platform; the console shows and keeps it on the case page.
--
-- One row per case and platform: a case about one post on X and its
-- copies on TikTok takes a notice to each.  Dates, not times: what a
-- platform's answer says, in Finnish time.  The console changes rows only
-- through case_notice_track(), which checks the reviewer as every case
-- action does and writes the case's history and the audit log.

CREATE TABLE platform_notice (
	case_id bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	-- The tips' own words for platforms (schema/0003_tips.sql).
	platform text NOT NULL CHECK (platform IN ('facebook', 'instagram',
	    'x', 'tiktok', 'youtube', 'telegram', 'discord', 'reddit',
	    'snapchat', 'whatsapp', 'suomi24', 'ylilauta', 'vauva', 'news',
	    'other')),
	sent_on date NOT NULL,
	acknowledged_on date CHECK (acknowledged_on >= sent_on),
	decision text CHECK (decision IN ('removed', 'restricted',
	    'refused')),
	decided_on date CHECK (decided_on >= sent_on),
	updated_by integer REFERENCES reviewer (id),
	updated_at timestamptz NOT NULL DEFAULT now(),
	-- A decision has its day, and a day its decision.
	CHECK ((decision IS NULL) = (decided_on IS NULL)),
	PRIMARY KEY (case_id, platform)
);

-- For the statistics: the decisions of a period, each with its platform,
-- the day the notice went and what was decided, from the index alone
-- (an index-only scan over the period's range):
--   SELECT platform, percentile_cont(0.5) WITHIN GROUP
--       (ORDER BY decided_on - sent_on)
--   FROM platform_notice
--   WHERE decided_on >= $1 AND decided_on < $2 AND decision = 'removed'
--   GROUP BY platform
-- Notices still unanswered are few, and are read per case by its key.
CREATE INDEX platform_notice_decided_idx ON platform_notice (decided_on)
    INCLUDE (platform, sent_on, decision)
    WHERE decided_on IS NOT NULL;

-- A merged case's notices go with its tips to the case that took them,
-- unless that case has its own for the same platform (kept: it is the
-- one the officers of the surviving case see and keep up).
CREATE FUNCTION case_merged_notices() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	UPDATE platform_notice p SET case_id = NEW.merged_into
	WHERE p.case_id = NEW.id AND NOT EXISTS (SELECT 1
	    FROM platform_notice q
	    WHERE q.case_id = NEW.merged_into AND q.platform = p.platform);
	RETURN NULL;
END
$$;
CREATE TRIGGER cases_merged_notices AFTER UPDATE OF status ON cases
    FOR EACH ROW WHEN (NEW.status = 'merged' AND OLD.status <> 'merged')
    EXECUTE FUNCTION case_merged_notices();

-- Records what the officer knows of the notice to p_platform about the
-- case: sent (required), acknowledged, decided (decision and its day
-- together).  No day may be in the future (Finnish time) or before the
-- case was opened; acknowledgement and decision not before the notice
-- was sent; TL422 otherwise, and for a merged case.  Returns whether
-- anything changed: saving the same again writes no history.  It does
-- not change the case, so it takes no version.
CREATE FUNCTION case_notice_track(p_reviewer integer, p_case bigint,
    p_platform text, p_sent_on date, p_ack_on date, p_decision text,
    p_decided_on date) RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	c cases;
	o platform_notice;
	v_today date := (now() AT TIME ZONE 'Europe/Helsinki')::date;
	v_detail jsonb;
BEGIN
	c := case_hold(p_reviewer, p_case, NULL);
	IF c.status = 'merged' THEN
		RAISE EXCEPTION 'case is merged' USING ERRCODE = 'TL422';
	END IF;
	IF p_platform IS NULL OR p_platform NOT IN ('facebook', 'instagram',
	    'x', 'tiktok', 'youtube', 'telegram', 'discord', 'reddit',
	    'snapchat', 'whatsapp', 'suomi24', 'ylilauta', 'vauva', 'news',
	    'other') THEN
		RAISE EXCEPTION 'unknown platform' USING ERRCODE = 'TL422';
	END IF;
	IF p_decision IS NOT NULL AND p_decision NOT IN ('removed',
	    'restricted', 'refused') THEN
		RAISE EXCEPTION 'unknown decision' USING ERRCODE = 'TL422';
	END IF;
	IF p_sent_on IS NULL THEN
		RAISE EXCEPTION 'the day the notice was sent is required'
		    USING ERRCODE = 'TL422';
	END IF;
	IF greatest(p_sent_on, p_ack_on, p_decided_on) > v_today THEN
		RAISE EXCEPTION 'a day in the future' USING ERRCODE = 'TL422';
	END IF;
	IF p_sent_on < (c.opened_at AT TIME ZONE 'Europe/Helsinki')::date THEN
		RAISE EXCEPTION 'sent before the case was opened'
		    USING ERRCODE = 'TL422';
	END IF;
	IF p_ack_on < p_sent_on OR p_decided_on < p_sent_on THEN
		RAISE EXCEPTION 'answered before the notice was sent'
		    USING ERRCODE = 'TL422';
	END IF;
	IF (p_decision IS NULL) <> (p_decided_on IS NULL) THEN
		RAISE EXCEPTION 'a decision and its day go together'
		    USING ERRCODE = 'TL422';
	END IF;

	SELECT * INTO o FROM platform_notice
	WHERE case_id = p_case AND platform = p_platform FOR UPDATE;
	IF FOUND AND o.sent_on = p_sent_on
	    AND o.acknowledged_on IS NOT DISTINCT FROM p_ack_on
	    AND o.decision IS NOT DISTINCT FROM p_decision
	    AND o.decided_on IS NOT DISTINCT FROM p_decided_on THEN
		RETURN false;
	END IF;
	INSERT INTO platform_notice (case_id, platform, sent_on,
	    acknowledged_on, decision, decided_on, updated_by, updated_at)
	VALUES (p_case, p_platform, p_sent_on, p_ack_on, p_decision,
	    p_decided_on, p_reviewer, now())
	ON CONFLICT (case_id, platform) DO UPDATE SET
	    sent_on = EXCLUDED.sent_on,
	    acknowledged_on = EXCLUDED.acknowledged_on,
	    decision = EXCLUDED.decision, decided_on = EXCLUDED.decided_on,
	    updated_by = EXCLUDED.updated_by,
	    updated_at = EXCLUDED.updated_at;
	v_detail := jsonb_build_object('platform', p_platform, 'sent_on',
	    p_sent_on, 'acknowledged_on', p_ack_on, 'decision', p_decision,
	    'decided_on', p_decided_on);
	IF o.case_id IS NOT NULL THEN
		v_detail := v_detail || jsonb_build_object('previous',
		    jsonb_build_object('sent_on', o.sent_on,
		        'acknowledged_on', o.acknowledged_on, 'decision',
		        o.decision, 'decided_on', o.decided_on));
	END IF;
	PERFORM case_log(p_reviewer, p_case, 'notice', 'notice_track', NULL,
	    v_detail);
	RETURN true;
END
$$;

REVOKE ALL ON FUNCTION
    case_notice_track(integer, bigint, text, date, date, text, date),
    case_merged_notices()
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    case_notice_track(integer, bigint, text, date, date, text, date)
    TO tipline_console;
GRANT SELECT ON platform_notice TO tipline_console;
