-- Reviewers (the officers and admins who use tipline-console), their
-- sessions, and each department's deadlines.
--
-- Accounts are made and changed by `tiplinectl reviewer` as the owner.
-- The console's role reads accounts to check a login and may change only
-- what a login or a reviewer's own setting changes; it never writes a
-- password it did not just verify (a rehash) and never makes an account.

-- How soon a new case must be acknowledged (assigned or acted on) and
-- decided; the queue marks cases past either.
ALTER TABLE department
	ADD COLUMN ack_within interval NOT NULL DEFAULT '3 days'
	    CHECK (ack_within > '0'::interval),
	ADD COLUMN decide_within interval NOT NULL DEFAULT '30 days'
	    CHECK (decide_within > '0'::interval);

CREATE TABLE reviewer (
	id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	username text NOT NULL UNIQUE
	    CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
	display_name text NOT NULL
	    CHECK (length(display_name) BETWEEN 1 AND 200),
	-- officer: their department's cases; national: the national unit's
	-- cases (and the statistics); admin: accounts and audit, no case
	-- content.
	role text NOT NULL CHECK (role IN ('officer', 'national', 'admin')),
	department_id smallint REFERENCES department (id),
	CHECK ((role = 'admin') = (department_id IS NULL)),
	-- argon2id in libsodium's encoded form, parameters included, so that
	-- a login can tell when they have changed and hash again.
	password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
	-- The TOTP secret, sealed with the deployment's public key: only the
	-- console (which holds the private key) can read it.
	totp_sealed bytea NOT NULL,
	-- false until the reviewer has entered a code from their own app.
	totp_enrolled boolean NOT NULL DEFAULT false,
	-- The last 30-second step whose code was accepted: each code works
	-- once.
	totp_last_step bigint NOT NULL DEFAULT 0,
	disabled boolean NOT NULL DEFAULT false,
	-- Failed logins in a row, and until when the next try is refused.
	failed_logins integer NOT NULL DEFAULT 0,
	locked_until timestamptz,
	-- Screenshots are shown blurred and grey until revealed, unless the
	-- reviewer chose otherwise.
	reveal_images boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	-- Sessions opened before this are dead: a password or TOTP reset, or
	-- a disable, ends every session at once.
	credentials_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX reviewer_department_idx ON reviewer (department_id);

-- Only the hash of a session token is stored.  'enrol': the password was
-- right and the reviewer must still confirm a TOTP code (first login);
-- 'full': logged in.
CREATE TABLE reviewer_session (
	token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
	reviewer_id integer NOT NULL REFERENCES reviewer (id)
	    ON DELETE CASCADE,
	stage text NOT NULL CHECK (stage IN ('enrol', 'full')),
	created_at timestamptz NOT NULL,
	last_seen_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL
);
CREATE INDEX reviewer_session_reviewer_idx
    ON reviewer_session (reviewer_id);
CREATE INDEX reviewer_session_expires_idx ON reviewer_session (expires_at);

GRANT SELECT ON reviewer TO tipline_console;
GRANT UPDATE (password_hash, totp_enrolled, totp_last_step, failed_logins,
    locked_until, reveal_images) ON reviewer TO tipline_console;
GRANT SELECT, INSERT, UPDATE, DELETE ON reviewer_session TO tipline_console;
