-- A tip's excerpt for the queue and search lists: the first characters
-- of its description as one line, closed by the worker with a key derived
-- from the private key (lib/seal.c, seal_secret), so that the console
-- opens fifty of them in microseconds instead of fifty sealed boxes.  It
-- reveals nothing the sealed description does not: only holders of the
-- private key can make or read it.  NULL until the worker indexes the
-- tip; the console then opens the description.  It goes with the tip.
ALTER TABLE tip ADD COLUMN excerpt bytea;
