/*
 * Reviewer passwords.  Hashes are argon2id through libsodium's
 * crypto_pwhash_str_alg(), whose encoded string carries the salt and the
 * parameters, so a login can tell when [console] password_passes or
 * password_memory changed and hash again.  The policy follows NIST SP
 * 800-63B: a length range, valid text, and a refusal of common passwords,
 * looked up by binary search in lib/common_passwords.txt, which the build
 * embeds sorted (see lib/common_passwords.README).
 */
#include <string.h>

#include <sodium.h>

#include "asset.h"
#include "log.h"
#include "passwd.h"
#include "text.h"

_Static_assert(PASSWD_HASH_MAX == crypto_pwhash_STRBYTES, "hash size");

/* Generated from lib/common_passwords.txt by tools/embed.py. */
extern const struct asset passwd_common_list[];

/* libsodium checks these too; ours keep it from reaching abort paths and
 * give one answer for a value out of range. */
static bool
passwd_params_ok(unsigned long long passes, size_t memory_bytes)
{
	return passes >= crypto_pwhash_argon2id_OPSLIMIT_MIN &&
	       passes <= crypto_pwhash_argon2id_OPSLIMIT_MAX &&
	       memory_bytes >= crypto_pwhash_argon2id_MEMLIMIT_MIN &&
	       memory_bytes <= crypto_pwhash_argon2id_MEMLIMIT_MAX;
}

int
passwd_hash(const char *pw, size_t len, unsigned long long passes,
    size_t memory_bytes, char out[PASSWD_HASH_MAX])
{
	if (!passwd_params_ok(passes, memory_bytes) ||
	    len > crypto_pwhash_argon2id_PASSWD_MAX)
		return -1;
	if (crypto_pwhash_str_alg(out, pw, len, passes, memory_bytes,
	        crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -1;
	return 0;
}

bool
passwd_verify(const char *hash, const char *pw, size_t len)
{
	if (hash == NULL || strncmp(hash, crypto_pwhash_argon2id_STRPREFIX,
	                        strlen(crypto_pwhash_argon2id_STRPREFIX)) != 0)
		return false;
	return crypto_pwhash_argon2id_str_verify(hash, pw, len) == 0;
}

bool
passwd_needs_rehash(const char *hash, unsigned long long passes,
    size_t memory_bytes)
{
	if (hash == NULL || strncmp(hash, crypto_pwhash_argon2id_STRPREFIX,
	                        strlen(crypto_pwhash_argon2id_STRPREFIX)) != 0)
		return true;
	return crypto_pwhash_argon2id_str_needs_rehash(hash, passes,
	           memory_bytes) != 0;
}

void
passwd_burn(unsigned long long passes, size_t memory_bytes)
{
	uint8_t salt[crypto_pwhash_SALTBYTES], key[32];
	static const char dummy[] = "not a password of anyone";

	if (!passwd_params_ok(passes, memory_bytes))
		return;
	randombytes_buf(salt, sizeof(salt));
	/* The same work as verifying: one argon2id derivation.  The result
	 * is thrown away whether or not memory could be had. */
	if (crypto_pwhash(key, sizeof(key), dummy, sizeof(dummy) - 1, salt,
	        passes, memory_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0)
		log_warnx("%s: out of memory", __func__);
	sodium_memzero(key, sizeof(key));
}

/* Compares the line at p (up to '\n') with the key: strcmp-style. */
static int
passwd_cmp_line(const char *key, size_t klen, const char *p, size_t plen)
{
	size_t n = klen < plen ? klen : plen;
	int c;

	if ((c = memcmp(key, p, n)) != 0)
		return c;
	return klen < plen ? -1 : klen > plen;
}

/* Binary search over the sorted lines of the embedded list, with no index:
 * each probe backs up from the middle byte to the start of its line. */
static bool
passwd_is_common(const char *key, size_t klen)
{
	const char *list = (const char *)passwd_common_list[0].data;
	size_t lo = 0, hi = passwd_common_list[0].len, mid, s, e;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		for (s = mid; s > lo && list[s - 1] != '\n'; s--)
			;
		for (e = s; e < hi && list[e] != '\n'; e++)
			;
		c = passwd_cmp_line(key, klen, list + s, e - s);
		if (c == 0)
			return true;
		if (c < 0)
			hi = s;
		else
			lo = e + 1;
	}
	return false;
}

const char *
passwd_policy(const char *pw, size_t len)
{
	char low[PASSWD_MAX_CHARS * 4];
	size_t i, nchars;
	bool common;

	if (!text_valid(pw, len, &nchars))
		return "passwd.utf8";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)pw[i];

		/* text_valid() lets tab, CR and LF through; C1 controls
		 * (U+0080..U+009F) are 0xC2 0x80..0x9F in UTF-8. */
		if (c == '\t' || c == '\r' || c == '\n')
			return "passwd.utf8";
		if (c == 0xc2 && i + 1 < len &&
		    (unsigned char)pw[i + 1] <= 0x9f)
			return "passwd.utf8";
	}
	if (nchars < PASSWD_MIN_CHARS)
		return "passwd.short";
	if (nchars > PASSWD_MAX_CHARS)
		return "passwd.long";
	/* At most 128 code points of at most 4 bytes each. */
	for (i = 0; i < len; i++) {
		char c = pw[i];

		low[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	common = passwd_is_common(low, len);
	sodium_memzero(low, len);
	return common ? "passwd.common" : NULL;
}
