/*
 * E-mail notices to tipsters who asked for one: claimed from the tips
 * whose notice is due (schema/0016_email.sql), sent with libcurl over
 * SMTP on a pool thread, then the address deleted.
 */
#ifndef TL_JOB_EMAIL_H
#define TL_JOB_EMAIL_H

#include <stddef.h>

#include "cfg.h"
#include "util.h"

struct queue;

/* Longest SMTP password read from [smtp] password_file. */
#define EMAIL_MAX_PASSWORD 255

/*
 * At start (and for -n): checks that [smtp] and [feedback] agree (a host
 * needs from and status_url) and reads the password file, which must be
 * private to its owner, into password (NUL-terminated; "" for none).  -1
 * with errbuf naming the file or key.
 */
TL_MUSTCHECK int job_email_prepare(const struct cfg *,
    char password[EMAIL_MAX_PASSWORD + 1], char *errbuf, size_t errlen);
/* Sets up sending (or logs once that e-mail is off); copies password. */
void job_email_init(struct queue *, const char *password);
/* Sends the notices due, unless a batch is in flight (then it looks again
 * when that batch is done). */
void job_email_tick(struct queue *);
/* Stopping: sends no more; a batch in flight ends after its current
 * message. */
void job_email_stop(struct queue *);
/* Before the thread pool is freed: ends the message under way at once
 * (its notice is sent again after the lease). */
void job_email_cancel(struct queue *);
/* After the database pool is freed. */
void job_email_free(struct queue *);
/* A batch is being sent or its results stored. */
bool job_email_busy(const struct queue *);

#endif
