-- One batch of bench/stats.sh's generator: :cases cases with their tips
-- (1.6 a case on average, a few cases of dozens), spread over the :days
-- days before today, in the mix a deployment sees: most online and the
-- national unit's, the rest in places all over Finland; motives, platforms,
-- languages and feedback as the form offers them; about two thirds of the
-- cases closed with an outcome and, most of them, a classification;
-- removal notices for some.  Rows only: no sealed text (one byte), no
-- screenshots.  Run with the statistics' triggers off; stats_backfill()
-- counts the lot afterwards.
--   psql -1 -v cases=N -v days=D -v seed=S -f stats_gen.sql
SELECT setseed(:seed) \gset

CREATE TEMP TABLE g ON COMMIT DROP AS
SELECT c.n,
    opened,
    channel,
    CASE WHEN channel = 'online' THEN NULL
        ELSE munis[1 + floor(random() * cardinality(munis))::int] END AS muni,
    CASE WHEN channel = 'place' THEN NULL ELSE
        (ARRAY['facebook', 'x', 'x', 'x', 'tiktok', 'tiktok', 'youtube',
            'instagram', 'telegram', 'suomi24', 'ylilauta', 'news', 'news',
            'whatsapp', 'discord', 'reddit', 'vauva', 'snapchat', 'other'])
        [1 + floor(random() * 19)::int] END AS platform,
    -- Most cases one tip; one in fifty a post many report.
    CASE WHEN random() < 0.02 THEN 5 + floor(random() * 60)::int
        ELSE 1 + floor(-ln(1 - random()) * 0.45)::int END AS ntips,
    (ARRAY['new', 'in_progress', 'closed', 'closed', 'closed', 'closed'])
        [1 + floor(random() * 6)::int] AS status,
    random() AS r1, random() AS r2, random() AS r3, random() AS r4
FROM generate_series(1, :cases) c (n),
    LATERAL (SELECT date_trunc('hour', now() - random() * :days
        * interval '1 day') AS opened,
        (ARRAY['online', 'online', 'online', 'online', 'place', 'both'])
            [1 + floor(random() * 6)::int] AS channel) x,
    (SELECT array_agg(code::text) AS munis FROM municipality) m;

CREATE TEMP TABLE gc ON COMMIT DROP AS
WITH ins AS (
	INSERT INTO cases (department_id, needs_routing, status, ntips, priority,
	    opened_at, last_tip_at, closed_at, acknowledged_at, decided_at,
	    outcome, hate_confirmed, grounds, offences)
	SELECT (route_case(channel, muni)).department_id, false, status,
	    ntips, ntips, opened, opened,
	    CASE WHEN status = 'closed'
	        THEN least(opened + r2 * 40 * interval '1 day', now()) END,
	    CASE WHEN status <> 'new'
	        THEN least(opened + r1 * r1 * 96 * interval '1 hour', now()) END,
	    CASE WHEN status = 'closed'
	        THEN least(opened + r2 * 40 * interval '1 day', now()) END,
	    CASE WHEN status = 'closed' THEN (ARRAY['offence_reported',
	        'preventive_contact', 'platform_removal', 'platform_removal',
	        'no_offence', 'unidentified', 'duplicate'])
	        [1 + floor(r3 * 7)::int] END,
	    CASE WHEN status = 'closed' AND r4 < 0.85 THEN r4 < 0.65 END,
	    CASE WHEN status = 'closed' AND r4 < 0.65 THEN string_to_array(
	        (ARRAY['ethnic', 'ethnic', 'ethnic,skin', 'religion',
	            'orientation', 'gender', 'disability', 'other',
	            'ethnic,religion'])[1 + floor(r1 * 9)::int], ',') END,
	    CASE WHEN status = 'closed' AND r4 < 0.85 THEN string_to_array(
	        (ARRAY['agitation', 'agitation', 'defamation', 'menace',
	            'agitation,menace', 'assault', 'discrimination', 'other'])
	        [1 + floor(r2 * 8)::int], ',') END
	FROM g ORDER BY n
	RETURNING id, opened_at, status, outcome)
SELECT * FROM ins;

-- The cases' rows and g's come in the same order: number them to pair.
CREATE TEMP TABLE gp ON COMMIT DROP AS
SELECT g.*, c.id AS case_id, c.outcome
FROM (SELECT g.*, row_number() OVER (ORDER BY n) AS k FROM g) g
JOIN (SELECT gc.*, row_number() OVER (ORDER BY id) AS k FROM gc) c
    USING (k);

CREATE TEMP TABLE gt ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, gp.case_id, t.i,
    gp.opened + (t.i - 1) * random() * 48 * interval '1 hour' AS at,
    gp.channel, gp.muni, gp.platform,
    string_to_array((ARRAY['', 'ethnic', 'ethnic', 'ethnic,religion',
        'skin', 'religion', 'orientation', 'gender', 'disability', 'other',
        'unknown', 'orientation,gender'])[1 + floor(random() * 12)::int],
        ',') AS motives,
    (ARRAY['fi', 'fi', 'fi', 'fi', 'fi', 'fi', 'sv', 'en'])
        [1 + floor(random() * 8)::int] AS lang,
    (ARRAY['none', 'none', 'receipt', 'receipt', 'email'])
        [1 + floor(random() * 5)::int] AS feedback
FROM gp, generate_series(1, gp.ntips) t (i);

INSERT INTO tip (id, receipt_hash, received_at, lang, channel, platform,
    municipality, motives, feedback, sealed_description, nattachments)
SELECT id, sha256(convert_to(id::text, 'UTF8')), date_trunc('hour', at),
    lang, channel, platform, muni, motives, feedback, '\x00', 0
FROM gt;

INSERT INTO case_join (tip_id, case_id, matched, joined_at)
SELECT id, case_id, CASE WHEN i = 1 THEN 'new'
    ELSE (ARRAY['link', 'image', 'image_near', 'text', 'text_near',
        'screenshot_text'])[1 + floor(random() * 6)::int] END, at
FROM gt;

INSERT INTO platform_notice (case_id, platform, sent_on, acknowledged_on,
    decision, decided_on)
SELECT case_id, coalesce(platform, 'other'), d, d + 1,
    CASE WHEN r < 0.55 THEN 'removed' WHEN r < 0.7 THEN 'restricted'
        WHEN r < 0.8 THEN 'refused' END,
    CASE WHEN r < 0.8 THEN d + floor(r * 20)::int END
FROM (SELECT case_id, platform, random() AS r,
    (opened + interval '2 days')::date AS d
    FROM gp WHERE outcome = 'platform_removal') n
WHERE d <= current_date;
