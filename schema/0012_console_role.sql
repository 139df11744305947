-- The console's statements are small and many officers wait on them: a
-- parallel plan's workers take longer to start (65 ms of a search that
-- found nothing, at a million cases on two cores) than they save, and
-- take the cores other officers' pages need.
ALTER ROLE tipline_console SET max_parallel_workers_per_gather = 0;
