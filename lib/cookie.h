/*
 * The Cookie request header (RFC 6265, section 5.4): finds one cookie's
 * value.  Pure: no allocation, the value points into the header.
 */
#ifndef TL_COOKIE_H
#define TL_COOKIE_H

#include <stddef.h>
#include <sys/types.h>

#include "util.h"

/*
 * Finds the first cookie called name in a Cookie header of len bytes.
 * Returns 1 and sets *value (into h, without quotes), 0 if there is none,
 * or -1 with *errstr set if a control character comes before it.  Pairs
 * without '=' are skipped.
 */
TL_MUSTCHECK int cookie_get(const char *h, size_t len, const char *name,
    struct span *value, const char **errstr);

#endif
