/*
 * Small helpers every module uses: attributes, spans into buffers, checked
 * allocation for startup code, and strict number parsing for configuration
 * values and protocol fields.
 */
#ifndef TL_UTIL_H
#define TL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#define TL_MUSTCHECK         __attribute__((warn_unused_result))
#define TL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define TL_NORETURN          __attribute__((noreturn))
#define ARRAY_SIZE(a)        (sizeof(a) / sizeof((a)[0]))

/* glibc's <sys/queue.h> lacks the _SAFE iterators of the BSDs. */
#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                             \
	for ((var) = TAILQ_FIRST((head));                                      \
	     (var) && ((tvar) = TAILQ_NEXT((var), field), 1); (var) = (tvar))
#endif

/* A parser that needs more input returns this. */
#define PARSE_PARTIAL (-2)

/* A slice of someone else's buffer; never NUL-terminated by contract. */
struct span {
	const uint8_t *p;
	size_t len;
};

/* Aborting allocation: only for startup and for sizes we chose ourselves. */
void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
char *xstrdup(const char *);

/*
 * Parses a whole decimal number in [min, max].  Returns 0, or -1 with
 * *errstr set to a static message ("too small", "too large", "invalid").
 */
TL_MUSTCHECK int util_parse_ll(const char *, long long, long long, long long *,
    const char **);

/* "10M", "64K", "2G", "512" (bytes, binary multiples). */
TL_MUSTCHECK int util_parse_size(const char *, long long, long long,
    long long *, const char **);

/* "30s", "5m", "12h", "30d", "250ms" into milliseconds; bare numbers are s. */
TL_MUSTCHECK int util_parse_duration_ms(const char *, long long, long long,
    long long *, const char **);

/* "yes"/"no", "true"/"false", "on"/"off", "1"/"0". */
TL_MUSTCHECK int util_parse_bool(const char *, bool *, const char **);

/* Wipes then frees; NULL is a no-op. */
void util_free_secret(void *, size_t);

/* Reads a whole small file (at most maxlen bytes) into a NUL-terminated heap
 * buffer.  Caller frees. */
TL_MUSTCHECK char *util_read_file(const char *, size_t, size_t *);

/* Monotonic clock in milliseconds. */
uint64_t util_now_ms(void);

#endif
