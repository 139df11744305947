-- Roles and reference tables.
--
-- Each program connects as its own role with only the rights it needs:
--   tipline_intake   the public daemon: reads reference data; later INSERTs
--                    tips through functions, never reads them back
--   tipline_console  the reviewers' daemon
--   tipline_worker   the job consumer
-- The owner of every object is the role that runs `tiplinectl migrate`.
-- Roles are cluster-wide, so they are created only if missing.
DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['tipline_intake', 'tipline_console',
	    'tipline_worker'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I LOGIN NOINHERIT', r);
		END IF;
	END LOOP;
END
$$;

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO tipline_intake, tipline_console,
    tipline_worker;

-- The police units a case can be routed to: the 11 police departments, the
-- national unit for online hate and Åland's police.
CREATE TABLE department (
	id smallint PRIMARY KEY,
	code text UNIQUE NOT NULL CHECK (code ~ '^[a-z-]+$'),
	kind text NOT NULL CHECK (kind IN ('district', 'national', 'aland')),
	name_fi text NOT NULL,
	name_sv text NOT NULL,
	name_en text NOT NULL
);

-- Every municipality of Finland by its official code, with the department
-- whose area it is in.
CREATE TABLE municipality (
	code char(3) PRIMARY KEY CHECK (code ~ '^[0-9]{3}$'),
	name_fi text NOT NULL,
	name_sv text NOT NULL,
	department_id smallint NOT NULL REFERENCES department (id)
);
CREATE INDEX municipality_department_idx ON municipality (department_id);

GRANT SELECT ON department, municipality TO tipline_intake, tipline_console,
    tipline_worker;
