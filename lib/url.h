/*
 * Canonical form of links to online posts, so that the many different
 * looking links people report for one viral post compare equal.  The rules,
 * per platform, are in the comment at the top of url.c.
 */
#ifndef TL_URL_H
#define TL_URL_H

#include <stddef.h>
#include <sys/types.h>

#include "util.h"

/* Longest input accepted, and longest canonical form produced. */
#define URL_MAX_BYTES 4096

/*
 * Canonical form of a link, NUL-terminated in out (at most outlen bytes
 * including the NUL; URL_MAX_BYTES + 1 always suffices).  Returns the
 * length, or -1 with *errstr set to a static string that never quotes the
 * input: "not a link", "unsupported scheme", "bad host", "bad percent
 * escape", "too long".  Pure: no allocation, no I/O, no locale; uses about
 * 48 KiB of stack.
 */
TL_MUSTCHECK ssize_t url_canonical(const char *in, size_t len, char *out,
    size_t outlen, const char **errstr);

#endif
