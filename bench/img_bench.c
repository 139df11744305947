/*
 * Times img_sanitise() on one file: median of N runs, in milliseconds, as
 * "median X ms (min Y ms), WxH, out Z bytes".  Used by bench/intake.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "img.h"
#include "util.h"

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char *argv[])
{
	struct img_clean c;
	enum img_err err;
	uint64_t *t, t0;
	size_t len;
	char *data;
	long n, i;

	if (argc != 3 || (n = strtol(argv[2], NULL, 10)) < 1 || n > 1000) {
		fprintf(stderr, "usage: img_bench FILE RUNS\n");
		return 2;
	}
	if ((data = util_read_file(argv[1], 64 << 20, &len)) == NULL) {
		perror(argv[1]);
		return 1;
	}
	t = calloc((size_t)n, sizeof(*t));
	for (i = 0; i < n; i++) {
		t0 = now_us();
		if (img_sanitise((const uint8_t *)data, len, NULL, &c, &err) ==
		    -1) {
			fprintf(stderr, "img_sanitise: %s\n",
			    img_err_name(err));
			return 1;
		}
		t[i] = now_us() - t0;
		if (i + 1 < n)
			img_clean_free(&c);
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_u64);
	printf("median %.1f ms (min %.1f ms), %ux%u, out %zu bytes\n",
	    (double)t[n / 2] / 1000.0, (double)t[0] / 1000.0, c.width, c.height,
	    c.len);
	img_clean_free(&c);
	free(t);
	free(data);
	return 0;
}
