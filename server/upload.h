/*
 * POST /tip: one tip from the form to the database.  Each submission is a
 * struct upload that moves through explicit states:
 *
 *   UPLOAD_S_SANITISE  screenshots being checked and re-encoded on the
 *                      thread pool
 *   UPLOAD_S_STORE     tip_submit() sent, waiting for COMMIT
 *   UPLOAD_S_DONE      answered (receipt page or the form with errors)
 *
 * Whatever goes wrong, the tipster gets the form back with what they
 * typed, and screenshots already accepted are kept in memory for their
 * next try, so they re-attach only a refused one.
 */
#ifndef TL_UPLOAD_H
#define TL_UPLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/http.h>
#include <jansson.h>

#include "arena.h"
#include "buf.h"
#include "cfg.h"
#include "form.h"
#include "i18n.h"
#include "img.h"
#include "web.h"

struct intake;

/* Accepted screenshots waiting for the tipster's next try. */
#define STASH_TTL_MS    (30 * 60 * 1000)
#define STASH_MAX_BYTES (256 << 20)

struct stash_entry;

/* POST /tip: answers wr with the receipt, or the form with errors. */
void upload_start(struct web_req *);

/*
 * The screenshots of one submission, a tip's or a follow-up's (followup.c):
 * collected from the form (new files, and the stash's that the tipster
 * kept), then checked, re-encoded without metadata and sealed to the
 * deployment's public key on the thread pool.
 */
#define UPLOAD_NAME_BYTES 64

struct upload_files;

struct upload_file {
	struct span data;             /* new upload: into the request body */
	char name[UPLOAD_NAME_BYTES]; /* shown back to the tipster only */
	bool kept;                    /* came from the stash */
	enum img_err err;
	uint64_t pixels; /* from its header, charged to the tip's budget */
	struct img_clean clean;
	uint8_t *sealed;
	size_t sealed_len;
	struct upload_files *set;
};

struct upload_files {
	struct intake *in; /* set by the caller, the rest zeroed */
	struct upload_file files[CFG_MAX_FILES_PER_TIP];
	size_t nfiles;
	const char *err; /* message id about them all (too many), or NULL */
	bool too_big;    /* a file over max_file_bytes (413) */
	bool failed_work;
	int pending;
	void (*done)(void *);
	void *arg;
};

/* The attachment metadata as PostgreSQL array literals, in file order. */
struct upload_arrays {
	struct buf mimes, widths, heights, shas, phashes;
	bool err; /* out of memory: do not send */
};

/* Collects at most limit files from form; strings go into a. */
void upload_files_collect(struct upload_files *, const struct form *,
    struct arena *a, size_t limit);
/* Sanitises and seals every file not refused yet; calls done(arg) when
 * all are done, maybe before returning. */
void upload_files_start(struct upload_files *, void (*done)(void *), void *arg);
/* After done: the work itself failed (memory, the pool): 503. */
bool upload_files_failed(const struct upload_files *);
/* A file was refused, or there were too many. */
bool upload_files_refused(const struct upload_files *);
/* Sets ctx's file_errors (each also appended to errs, if not NULL) and
 * kept: the accepted files move to the stash for the tipster's next try. */
void upload_files_page(struct upload_files *, enum lang, json_t *ctx,
    json_t *errs);
/* Fills arr (free with upload_arrays_reset()). */
void upload_files_arrays(const struct upload_files *, struct upload_arrays *);
void upload_arrays_reset(struct upload_arrays *);
void upload_files_free(struct upload_files *);

/* Parses a POST body, multipart or urlencoded, into form (strings in a);
 * -1 with *errstr set (our own text, never the input's). */
TL_MUSTCHECK int upload_body_parse(struct web_req *, struct arena *,
    struct form *, const char **errstr);
/* A text field of form as an arena string without CRs before LFs, "" if
 * absent; *nchars its characters.  Not valid text: "" and *err set to a
 * message id.  NULL: out of memory. */
const char *upload_form_text(const struct form *, const char *name,
    struct arena *, size_t *nchars, const char **err);

/* Drops expired stash entries; called from a timer. */
void stash_expire(struct intake *);
/* Frees every stash entry. */
void stash_free_all(struct intake *);

#endif
