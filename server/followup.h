/*
 * POST /status/followup: a tipster's follow-up to their tip.
 */
#ifndef TL_FOLLOWUP_H
#define TL_FOLLOWUP_H

#include "web.h"

/* Answers wr with the code's /status page: the follow-up received, or the
 * form again with what was typed and why it was refused. */
void followup_start(struct web_req *);

#endif
