/*
 * Prints the SQL of one of the console's prepared statements, by name
 * (console_queue_priority, console_case_tips, ...), so that a benchmark
 * can run exactly what the daemon runs: bench/console.sh measures its
 * ceiling with it through pgbench.
 *   stmt_sql NAME   the statement's text and a newline; exit 1 if unknown
 */
#include <stdio.h>
#include <string.h>

#include "db_stmt.h"

int
main(int argc, char *argv[])
{
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: stmt_sql NAME\n");
		return 2;
	}
	for (i = 0; i < STMT_CONSOLE_COUNT; i++) {
		if (db_stmts_console[i].name != NULL &&
		    strcmp(db_stmts_console[i].name, argv[1]) == 0) {
			printf("%s\n", db_stmts_console[i].sql);
			return 0;
		}
	}
	fprintf(stderr, "stmt_sql: no console statement %s\n", argv[1]);
	return 1;
}
