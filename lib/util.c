/*
 * Helpers shared by every program: checked allocation for startup paths,
 * strict number, size and duration parsing (no atoi, no silent wrap) and
 * reading small files such as keys.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		fatal("malloc");
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void *p;

	if ((p = calloc(n == 0 ? 1 : n, sz == 0 ? 1 : sz)) == NULL)
		fatal("calloc");
	return p;
}

char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		fatal("strdup");
	return p;
}

int
util_parse_ll(const char *s, long long min, long long max, long long *out,
    const char **errstr)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s)) {
		*errstr = "invalid";
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0') {
		*errstr = "invalid";
		return -1;
	}
	if ((errno == ERANGE && v == LLONG_MIN) || v < min) {
		*errstr = "too small";
		return -1;
	}
	if ((errno == ERANGE && v == LLONG_MAX) || v > max) {
		*errstr = "too large";
		return -1;
	}
	*out = v;
	return 0;
}

/* Splits "123abc" into the number and its suffix. */
static int
util_split_unit(const char *s, long long *num, const char **unit,
    const char **errstr)
{
	char *end;

	if (s == NULL || !isdigit((unsigned char)*s)) {
		*errstr = "invalid";
		return -1;
	}
	errno = 0;
	*num = strtoll(s, &end, 10);
	if (errno == ERANGE) {
		*errstr = "too large";
		return -1;
	}
	*unit = end;
	return 0;
}

static int
util_scale(long long num, long long mul, long long min, long long max,
    long long *out, const char **errstr)
{
	if (num > LLONG_MAX / mul) {
		*errstr = "too large";
		return -1;
	}
	num *= mul;
	if (num < min) {
		*errstr = "too small";
		return -1;
	}
	if (num > max) {
		*errstr = "too large";
		return -1;
	}
	*out = num;
	return 0;
}

int
util_parse_size(const char *s, long long min, long long max, long long *out,
    const char **errstr)
{
	long long num, mul;
	const char *unit;

	if (util_split_unit(s, &num, &unit, errstr) == -1)
		return -1;
	if (strcmp(unit, "") == 0 || strcmp(unit, "B") == 0)
		mul = 1;
	else if (strcmp(unit, "K") == 0 || strcmp(unit, "k") == 0)
		mul = 1LL << 10;
	else if (strcmp(unit, "M") == 0)
		mul = 1LL << 20;
	else if (strcmp(unit, "G") == 0)
		mul = 1LL << 30;
	else {
		*errstr = "invalid unit (use K, M or G)";
		return -1;
	}
	return util_scale(num, mul, min, max, out, errstr);
}

int
util_parse_duration_ms(const char *s, long long min, long long max,
    long long *out, const char **errstr)
{
	long long num, mul;
	const char *unit;

	if (util_split_unit(s, &num, &unit, errstr) == -1)
		return -1;
	if (strcmp(unit, "ms") == 0)
		mul = 1;
	else if (strcmp(unit, "") == 0 || strcmp(unit, "s") == 0)
		mul = 1000;
	else if (strcmp(unit, "m") == 0 || strcmp(unit, "min") == 0)
		mul = 60 * 1000;
	else if (strcmp(unit, "h") == 0)
		mul = 3600 * 1000;
	else if (strcmp(unit, "d") == 0)
		mul = 86400LL * 1000;
	else {
		*errstr = "invalid unit (use ms, s, m, h or d)";
		return -1;
	}
	return util_scale(num, mul, min, max, out, errstr);
}

int
util_parse_bool(const char *s, bool *out, const char **errstr)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	*errstr = "invalid (use yes or no)";
	return -1;
}

void
util_free_secret(void *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}

char *
util_read_file(const char *path, size_t maxlen, size_t *lenp)
{
	struct stat st;
	char *buf = NULL;
	size_t off = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > maxlen) {
		errno = EFBIG;
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		goto fail;
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	buf[off] = '\0';
	close(fd);
	if (lenp != NULL)
		*lenp = off;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

uint64_t
util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
