/*
 * /status: look up a tip by its receipt code, read the police's messages
 * and add a follow-up (followup.c).
 */
#ifndef TL_STATUS_H
#define TL_STATUS_H

#include <stdbool.h>

#include <jansson.h>

#include "i18n.h"
#include "receipt.h"
#include "web.h"

#define STATUS_TYPED_MAX 64 /* bytes of a code as typed */

struct intake;

/* GET shows the form; POST looks the code up and answers. */
void status_start(struct web_req *);

/* Answers with the /status page, extra (taken) merged into its context. */
void status_reply(struct web_req *, enum lang, int status, json_t *extra);

/* The message id for a code that does not parse. */
const char *status_problem(enum receipt_err);

/*
 * Answers wr with /status for a code that parsed (digits; typed is what
 * the tipster typed, at most STATUS_TYPED_MAX bytes): the tip's page with
 * HTTP status found_status if the code is known, else "not found" (404).
 * Takes ownership of extra (may be NULL), which is merged into the page's
 * context last: a follow-up's notice, its problems and what was typed.
 * The caller has passed intake_allow().
 */
void status_show(struct web_req *, enum lang, const char *typed,
    const char digits[RECEIPT_DIGITS + 1], int found_status, json_t *extra);

#endif
