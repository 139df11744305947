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

#include "i18n.h"
#include "img.h"
#include "web.h"

struct intake;

/* Accepted screenshots waiting for the tipster's next try. */
#define STASH_TTL_MS    (30 * 60 * 1000)
#define STASH_MAX_BYTES (256 << 20)

struct stash_entry;

/* Handles POST /tip. */
/* POST /tip: answers wr with the receipt, or the form with errors. */
void upload_start(struct web_req *);

/* Drops expired stash entries; called from a timer. */
void stash_expire(struct intake *);
/* Frees every stash entry. */
void stash_free_all(struct intake *);

#endif
