/*
 * Times img_sanitise() on one file: median of N runs, in milliseconds, as
 * "median X ms (min Y ms, cpu C ms), WxH, out Z bytes", where C is the
 * median CPU time of this thread (the machine is shared and noisy: CPU
 * time leaves out the time others had the core).  Used by bench/intake.sh
 * and bench/sanitise.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "img.h"
#include "util.h"

static uint64_t
now_us(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
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
	uint64_t *t, *cpu, t0, c0;
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
	cpu = calloc((size_t)n, sizeof(*cpu));
	if (t == NULL || cpu == NULL) {
		perror("calloc");
		return 1;
	}
	for (i = 0; i < n; i++) {
		t0 = now_us(CLOCK_MONOTONIC);
		c0 = now_us(CLOCK_THREAD_CPUTIME_ID);
		if (img_sanitise((const uint8_t *)data, len, NULL, &c, &err) ==
		    -1) {
			fprintf(stderr, "img_sanitise: %s\n",
			    img_err_name(err));
			return 1;
		}
		cpu[i] = now_us(CLOCK_THREAD_CPUTIME_ID) - c0;
		t[i] = now_us(CLOCK_MONOTONIC) - t0;
		if (i + 1 < n)
			img_clean_free(&c);
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_u64);
	qsort(cpu, (size_t)n, sizeof(*cpu), cmp_u64);
	printf("median %.1f ms (min %.1f ms, cpu %.1f ms), %ux%u, out %zu "
	       "bytes\n",
	    (double)t[n / 2] / 1000.0, (double)t[0] / 1000.0,
	    (double)cpu[n / 2] / 1000.0, c.width, c.height, c.len);
	img_clean_free(&c);
	free(t);
	free(cpu);
	free(data);
	return 0;
}
