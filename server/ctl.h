/*
 * What the parts of tiplinectl share: the owner's connection, and each
 * command's entry point.  Commands return the exit status: 0 done, 1
 * failed, 2 bad usage or configuration.
 */
#ifndef TL_CTL_H
#define TL_CTL_H

#include <libpq-fe.h>

#include "cfg.h"

/* Prints the usage and exits 2. */
void ctl_usage(void) __attribute__((noreturn));
/* argv[i] is opt and a value follows: returns it and steps over both
 * (a missing value is bad usage). */
const char *ctl_optval(int argc, char **argv, int *i, const char *opt);
/* Connects as [database] admin_user; NULL having printed why. */
PGconn *ctl_connect(const struct cfg *);
/* Runs a statement without parameters; -1 having printed why. */
int ctl_exec(PGconn *, const char *sql);

int ctl_reviewer(const struct cfg *, int argc, char **argv);
int ctl_audit(const struct cfg *, int argc, char **argv);
int ctl_department(const struct cfg *, int argc, char **argv);
int ctl_templates(const struct cfg *, int argc, char **argv);
int ctl_stats(const struct cfg *, int argc, char **argv);

#endif
