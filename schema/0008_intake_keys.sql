-- The intake no longer computes dedup keys.  The worker unseals each tip
-- and computes its own link and text keys (exact_key), so the ones the
-- intake stored were never read, and the intake no longer needs the dedup
-- key at all.  tip_submit() loses the two parameters.
--
-- A tip has at most five screenshots, CFG_MAX_FILES_PER_TIP in lib/cfg.h:
-- the configuration allows no more, the intake has room for no more, and
-- tip_submit() takes five images.  The table now says the same.

DROP INDEX tip_url_key_idx;
DROP INDEX tip_text_key_idx;
ALTER TABLE tip DROP COLUMN url_key, DROP COLUMN text_key,
	DROP CONSTRAINT tip_nattachments_check,
	ADD CONSTRAINT tip_nattachments_check
	    CHECK (nattachments BETWEEN 0 AND 5);

DROP FUNCTION tip_submit(bytea, integer, text, text, text, text, date,
    text[], text, bytea, bytea, bytea, bytea, bytea, bytea, text[],
    integer[], integer[], bytea[], bigint[], bytea, bytea, bytea, bytea,
    bytea);

-- Stores one tip.  Attachments come as parallel arrays of their plain
-- metadata and up to five sealed images as separate (binary) parameters,
-- which the intake passes by name (TIP_SUBMIT_PARAMS in lib/db_stmt.h).
-- Returns nothing: success is the COMMIT.
CREATE FUNCTION tip_submit(
	p_receipt_hash bytea, p_truncate_s integer, p_lang text,
	p_channel text, p_platform text, p_municipality text,
	p_event_date date, p_motives text[], p_feedback text,
	p_description bytea, p_url bytea, p_place bytea, p_email bytea,
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
	    sealed_url, sealed_place, sealed_email, nattachments)
	VALUES (p_receipt_hash, v_at, p_lang, p_channel, p_platform,
	    p_municipality, p_event_date, coalesce(p_motives, '{}'),
	    p_feedback, p_description, p_url, p_place, p_email, v_n)
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

-- A new function may be run by PUBLIC until told otherwise.
REVOKE ALL ON FUNCTION tip_submit(bytea, integer, text, text, text, text,
    date, text[], text, bytea, bytea, bytea, bytea, text[], integer[],
    integer[], bytea[], bigint[], bytea, bytea, bytea, bytea, bytea)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tip_submit(bytea, integer, text, text, text, text,
    date, text[], text, bytea, bytea, bytea, bytea, text[], integer[],
    integer[], bytea[], bigint[], bytea, bytea, bytea, bytea, bytea)
    TO tipline_intake;
