-- Tips, their screenshots, and the job queue.
--
-- The intake role cannot touch these tables: it may only call
-- tip_submit(), which stores a tip with its attachments and an ingest job
-- in the caller's one transaction, and tip_status(), which answers for one
-- receipt hash.  Content is sealed (libsodium sealed boxes) before it gets
-- here; what is plain is what routing, dedup and statistics need.  No
-- column can hold an address, a user agent or an exact arrival time.

CREATE TABLE tip (
	-- Random, so that ids do not tell the order of arrival.
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	receipt_hash bytea NOT NULL UNIQUE CHECK (length(receipt_hash) = 32),
	-- Truncated (default: to the hour) by tip_submit().
	received_at timestamptz NOT NULL,
	lang text NOT NULL CHECK (lang IN ('fi', 'sv', 'en')),
	channel text NOT NULL CHECK (channel IN ('online', 'place', 'both')),
	platform text CHECK (platform IN ('facebook', 'instagram', 'x',
	    'tiktok', 'youtube', 'telegram', 'discord', 'reddit', 'snapchat',
	    'whatsapp', 'suomi24', 'ylilauta', 'vauva', 'news', 'other')),
	municipality char(3) REFERENCES municipality (code),
	event_date date,
	motives text[] NOT NULL DEFAULT '{}' CHECK (motives <@ ARRAY['ethnic',
	    'skin', 'religion', 'orientation', 'gender', 'disability', 'other',
	    'unknown']),
	feedback text NOT NULL CHECK (feedback IN ('none', 'receipt', 'email')),
	sealed_description bytea NOT NULL,
	sealed_url bytea,
	sealed_place bytea,
	sealed_email bytea CHECK ((sealed_email IS NULL) OR feedback = 'email'),
	-- Dedup keys: HMAC(deployment secret, canonical link / normalised text).
	url_key bytea CHECK (length(url_key) = 32),
	text_key bytea NOT NULL CHECK (length(text_key) = 32),
	status text NOT NULL DEFAULT 'received' CHECK (status IN ('received',
	    'in_review', 'closed')),
	nattachments smallint NOT NULL CHECK (nattachments BETWEEN 0 AND 20)
);
CREATE INDEX tip_url_key_idx ON tip (url_key) WHERE url_key IS NOT NULL;
CREATE INDEX tip_text_key_idx ON tip (text_key);

CREATE TABLE attachment (
	tip_id uuid NOT NULL REFERENCES tip (id) ON DELETE CASCADE,
	seq smallint NOT NULL CHECK (seq >= 1),
	mime text NOT NULL CHECK (mime IN ('image/png', 'image/jpeg',
	    'image/webp')),
	width integer NOT NULL CHECK (width > 0),
	height integer NOT NULL CHECK (height > 0),
	sha256 bytea NOT NULL CHECK (length(sha256) = 32),
	phash bigint NOT NULL,
	sealed bytea NOT NULL,
	PRIMARY KEY (tip_id, seq)
);
CREATE INDEX attachment_sha256_idx ON attachment (sha256);
-- Sealed images are already compressed and encrypted: keep them out of
-- TOAST compression.
ALTER TABLE attachment ALTER COLUMN sealed SET STORAGE EXTERNAL;

CREATE TABLE job (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind text NOT NULL CHECK (kind ~ '^[a-z_]+$'),
	tip_id uuid REFERENCES tip (id) ON DELETE CASCADE,
	payload jsonb NOT NULL DEFAULT '{}',
	state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done',
	    'dead')),
	run_after timestamptz NOT NULL,
	attempts integer NOT NULL DEFAULT 0,
	locked_until timestamptz,
	last_error text,
	created_at timestamptz NOT NULL
);
CREATE INDEX job_ready_idx ON job (run_after, id) WHERE state = 'queued';

-- Stores one tip.  Attachments come as parallel arrays of their plain
-- metadata and up to five sealed images as separate (binary) parameters.
-- Returns nothing: success is the COMMIT.
CREATE FUNCTION tip_submit(
	p_receipt_hash bytea, p_truncate_s integer, p_lang text,
	p_channel text, p_platform text, p_municipality text,
	p_event_date date, p_motives text[], p_feedback text,
	p_description bytea, p_url bytea, p_place bytea, p_email bytea,
	p_url_key bytea, p_text_key bytea,
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
	v_at timestamptz;
	v_n integer := coalesce(array_length(p_mimes, 1), 0);
	v_imgs bytea[] := ARRAY[p_img1, p_img2, p_img3, p_img4, p_img5];
	i integer;
BEGIN
	IF p_truncate_s < 60 THEN
		RAISE EXCEPTION 'arrival truncation under a minute'
		    USING ERRCODE = '22023';
	END IF;
	IF v_n > 5 OR v_n <> coalesce(array_length(p_widths, 1), 0)
	    OR v_n <> coalesce(array_length(p_heights, 1), 0)
	    OR v_n <> coalesce(array_length(p_sha256s, 1), 0)
	    OR v_n <> coalesce(array_length(p_phashes, 1), 0) THEN
		RAISE EXCEPTION 'attachment arrays disagree'
		    USING ERRCODE = '22023';
	END IF;
	v_at := to_timestamp(floor(extract(epoch FROM now()) / p_truncate_s)
	    * p_truncate_s);
	INSERT INTO tip (receipt_hash, received_at, lang, channel, platform,
	    municipality, event_date, motives, feedback, sealed_description,
	    sealed_url, sealed_place, sealed_email, url_key, text_key,
	    nattachments)
	VALUES (p_receipt_hash, v_at, p_lang, p_channel, p_platform,
	    p_municipality, p_event_date, coalesce(p_motives, '{}'),
	    p_feedback, p_description, p_url, p_place, p_email, p_url_key,
	    p_text_key, v_n)
	RETURNING id INTO v_id;
	FOR i IN 1 .. v_n LOOP
		IF v_imgs[i] IS NULL THEN
			RAISE EXCEPTION 'attachment % missing', i
			    USING ERRCODE = '22023';
		END IF;
		INSERT INTO attachment (tip_id, seq, mime, width, height,
		    sha256, phash, sealed)
		VALUES (v_id, i, p_mimes[i], p_widths[i], p_heights[i],
		    p_sha256s[i], p_phashes[i], v_imgs[i]);
	END LOOP;
	INSERT INTO job (kind, tip_id, run_after, created_at)
	VALUES ('ingest', v_id, v_at, v_at);
	PERFORM pg_notify('job_ready', 'ingest');
END
$$;

-- What a tipster may learn with a receipt code: that the tip arrived, the
-- hour it arrived, and its state.  Returns no row for an unknown hash.
CREATE FUNCTION tip_status(p_receipt_hash bytea)
-- received_local is the arrival hour in Finnish time, 'YYYY-MM-DD HH24'.
RETURNS TABLE (receipt_hash bytea, received_local text, status text)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
	SELECT t.receipt_hash,
	    to_char(t.received_at AT TIME ZONE 'Europe/Helsinki',
	        'YYYY-MM-DD HH24'),
	    t.status
	FROM tip t WHERE t.receipt_hash = p_receipt_hash
$$;

REVOKE ALL ON FUNCTION tip_submit(bytea, integer, text, text, text, text,
    date, text[], text, bytea, bytea, bytea, bytea, bytea, bytea, text[],
    integer[], integer[], bytea[], bigint[], bytea, bytea, bytea, bytea,
    bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION tip_status(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tip_submit(bytea, integer, text, text, text, text,
    date, text[], text, bytea, bytea, bytea, bytea, bytea, bytea, text[],
    integer[], integer[], bytea[], bigint[], bytea, bytea, bytea, bytea,
    bytea) TO tipline_intake;
GRANT EXECUTE ON FUNCTION tip_status(bytea) TO tipline_intake;

GRANT SELECT, INSERT, UPDATE, DELETE ON tip, attachment, job
    TO tipline_worker;
GRANT SELECT, UPDATE ON tip TO tipline_console;
GRANT SELECT ON attachment TO tipline_console;
