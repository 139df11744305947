/*
 * What the worker's indexing makes of a text, for a benchmark's generator
 * that writes tips directly (bench/console_gen.py): indexing three million
 * tips through the worker would take most of an hour, and the generator
 * shares a few thousand distinct texts between them.  Reads texts, one a
 * line in hex (UTF-8), and prints for each its search tokens as an array
 * literal, a tab, and its excerpt in its secret-key box, in hex, as
 * worker/job_index.c stores them.
 *   index_gen CONF < hex-lines
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "cfg.h"
#include "keys.h"
#include "search.h"
#include "seal.h"
#include "text.h"

int
main(int argc, char *argv[])
{
	static int32_t tok[SEARCH_MAX_TOKENS];
	struct cfg cfg;
	uint8_t sk[32], search_key[32], excerpt_key[32], *box, *text;
	char err[1024], *line = NULL;
	size_t cap = 0, n, len, tlen, i, blen;
	ssize_t got;
	struct buf ex;

	if (argc != 2) {
		fprintf(stderr, "usage: index_gen CONF < hex-lines\n");
		return 2;
	}
	if (sodium_init() < 0 || cfg_load(argv[1], &cfg, err, sizeof(err)) ||
	    keys_load(cfg.key_secret, 1, sk, err, sizeof(err)) ||
	    keys_load(cfg.key_search, 1, search_key, err, sizeof(err))) {
		fprintf(stderr, "index_gen: %s\n", err);
		return 1;
	}
	seal_subkey(sk, SEAL_CTX_EXCERPT, excerpt_key);
	while ((got = getline(&line, &cap, stdin)) > 0) {
		line[strcspn(line, "\n")] = '\0';
		len = strlen(line) / 2;
		if ((text = malloc(len + 1)) == NULL ||
		    sodium_hex2bin(text, len + 1, line, strlen(line), NULL,
		        &tlen, NULL) != 0) {
			fprintf(stderr, "index_gen: bad line\n");
			return 1;
		}
		n = search_tokens((const char *)text, tlen, search_key, tok,
		    SEARCH_MAX_TOKENS);
		printf("{");
		for (i = 0; i < n; i++)
			printf("%s%d", i == 0 ? "" : ",", (int)tok[i]);
		printf("}\t");
		buf_init(&ex, 0);
		text_excerpt((const char *)text, tlen, TEXT_EXCERPT, &ex);
		if ((box = seal_secret(excerpt_key, buf_cstr(&ex), ex.len,
		         &blen)) == NULL)
			return 1;
		for (i = 0; i < blen; i++)
			printf("%02x", box[i]);
		printf("\n");
		free(box);
		buf_reset(&ex);
		free(text);
	}
	free(line);
	cfg_free(&cfg);
	return ferror(stdout) ? 1 : 0;
}
