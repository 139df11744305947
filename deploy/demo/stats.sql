-- The demo's figures: twelve weeks of made-up counts, so that the
-- console's Statistics page has something to show beside the handful of
-- sample tips.  They go into the rollup's deltas as the triggers would
-- write them (the worker folds them on its sweep); there are no tips,
-- cases or notices behind them, and nothing of them reaches the queue.
-- deploy/demo.sh runs this once, as the schema's owner; the row of the
-- dimension 'demo' says it ran.
SELECT setseed(0.2026) \gset

CREATE TEMP TABLE demo_tip AS
SELECT d.day, dep.id AS dep,
    (ARRAY['ethnic', 'ethnic', 'ethnic', 'skin', 'religion', 'religion',
        'orientation', 'gender', 'disability', 'other', 'unknown',
        'none'])[1 + floor(random() * 12)::int] AS motive,
    (ARRAY['online', 'online', 'online', 'place', 'both'])
        [1 + floor(random() * 5)::int] AS channel,
    (ARRAY['facebook', 'x', 'x', 'tiktok', 'youtube', 'instagram',
        'telegram', 'suomi24', 'ylilauta', 'news', 'whatsapp', 'other'])
        [1 + floor(random() * 12)::int] AS platform,
    (ARRAY['fi', 'fi', 'fi', 'fi', 'sv', 'en'])
        [1 + floor(random() * 6)::int] AS lang,
    (ARRAY['none', 'receipt', 'receipt', 'email'])
        [1 + floor(random() * 4)::int] AS feedback,
    (ARRAY['new', 'new', 'new', 'link', 'image', 'text_near'])
        [1 + floor(random() * 6)::int] AS joined
FROM generate_series(current_date - 84, current_date - 1, interval '1 day')
    AS d (day),
    department dep,
    -- A department's day: its usual number, more on some days than on
    -- others, and slowly more over the weeks.
    LATERAL (SELECT round((CASE dep.code WHEN 'national' THEN 14
        WHEN 'helsinki' THEN 6 WHEN 'lansi-uusimaa' THEN 3
        WHEN 'sisa-suomi' THEN 3 ELSE 1 END)
        * (0.4 + 1.2 * random())
        * (0.8 + extract(epoch FROM d.day - (current_date - 84)::timestamp)
            / 86400 / 200.0))::int AS n) q,
    LATERAL generate_series(1, q.n) k;
ALTER TABLE demo_tip ALTER COLUMN day TYPE date;
-- Online tips are the national unit's: move them there.
UPDATE demo_tip SET dep = (SELECT id FROM department WHERE code = 'national')
WHERE channel = 'online';

CREATE TEMP TABLE demo_case AS
SELECT day, dep,
    (ARRAY['new', 'in_progress', 'closed', 'closed', 'closed'])
        [1 + floor(random() * 5)::int] AS status,
    (ARRAY['offence_reported', 'preventive_contact', 'platform_removal',
        'platform_removal', 'no_offence', 'unidentified'])
        [1 + floor(random() * 6)::int] AS outcome,
    floor(random() * random() * 96)::int AS ack_h,
    floor(random() * 600)::int AS decide_h,
    random() < 0.7 AS hate,
    (ARRAY['ethnic', 'ethnic', 'skin', 'religion', 'orientation', 'gender',
        'disability', 'other'])[1 + floor(random() * 8)::int] AS ground,
    (ARRAY['agitation', 'agitation', 'defamation', 'menace', 'menace',
        'assault', 'discrimination', 'other'])
        [1 + floor(random() * 8)::int] AS offence,
    (ARRAY['x', 'facebook', 'tiktok', 'youtube'])
        [1 + floor(random() * 4)::int] AS platform,
    (ARRAY['removed', 'removed', 'removed', 'restricted', 'refused', NULL])
        [1 + floor(random() * 6)::int] AS decision,
    floor(random() * 14)::int AS removal_d
FROM demo_tip WHERE joined = 'new';

INSERT INTO stats_delta (day, department_id, dim, val, n)
SELECT day, dep, dim, val, count(*) FROM (
	SELECT day, dep, 'tips' AS dim, '' AS val FROM demo_tip
	UNION ALL SELECT day, dep, 'motive', motive FROM demo_tip
	UNION ALL SELECT day, dep, 'channel', channel FROM demo_tip
	UNION ALL SELECT day, dep, 'platform',
	    CASE WHEN channel = 'place' THEN 'none' ELSE platform END
	    FROM demo_tip
	UNION ALL SELECT day, dep, 'lang', lang FROM demo_tip
	UNION ALL SELECT day, dep, 'feedback', feedback FROM demo_tip
	UNION ALL SELECT day, dep, 'joined', joined FROM demo_tip
	UNION ALL SELECT day, dep, 'fb_received', '' FROM demo_tip
	    WHERE feedback <> 'none' AND random() < 0.6
	UNION ALL SELECT day, dep, 'followup', '' FROM demo_tip
	    WHERE feedback <> 'none' AND random() < 0.15
	UNION ALL SELECT day, dep, 'cases', '' FROM demo_case
	UNION ALL SELECT day, dep, 'status', status FROM demo_case
	UNION ALL SELECT day, dep, 'outcome', outcome FROM demo_case
	    WHERE status = 'closed'
	UNION ALL SELECT day, dep, 'ack_h', ack_h::text FROM demo_case
	    WHERE status <> 'new'
	UNION ALL SELECT day, dep, 'decide_h', decide_h::text FROM demo_case
	    WHERE status = 'closed'
	UNION ALL SELECT day, dep, 'hate', CASE WHEN hate THEN 'yes'
	    ELSE 'no' END FROM demo_case WHERE status = 'closed'
	UNION ALL SELECT day, dep, 'ground', ground FROM demo_case
	    WHERE status = 'closed' AND hate
	UNION ALL SELECT day, dep, 'offence', offence FROM demo_case
	    WHERE status = 'closed'
	UNION ALL SELECT day, dep, 'ground_offence', ground || ':' || offence
	    FROM demo_case WHERE status = 'closed' AND hate
	UNION ALL SELECT day, dep, 'odihr',
	    CASE WHEN ground IN ('ethnic', 'skin') THEN 'racism'
	        WHEN ground IN ('orientation', 'gender') THEN 'lgbti'
	        WHEN ground IN ('religion', 'disability') THEN ground
	        ELSE 'other' END || ':' ||
	    CASE offence WHEN 'assault' THEN 'violence'
	        WHEN 'menace' THEN 'threat'
	        WHEN 'other' THEN 'other' ELSE offence END
	    FROM demo_case WHERE status = 'closed' AND hate
	UNION ALL SELECT day, dep, 'notice', platform FROM demo_case
	    WHERE outcome = 'platform_removal' AND status = 'closed'
	UNION ALL SELECT day, dep, 'decision', platform || ':' || decision
	    FROM demo_case WHERE outcome = 'platform_removal'
	        AND status = 'closed' AND decision IS NOT NULL
	UNION ALL SELECT day, dep, 'removal_d',
	    platform || ':' || removal_d::text
	    FROM demo_case WHERE outcome = 'platform_removal'
	        AND status = 'closed' AND decision = 'removed'
) x GROUP BY 1, 2, 3, 4;

INSERT INTO stats_delta (day, department_id, dim, val, n)
VALUES (current_date, (SELECT id FROM department WHERE code = 'national'),
    'demo', 'figures', 1);
