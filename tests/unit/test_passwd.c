/*
 * Unit tests of reviewer passwords: argon2id hashing with small test
 * parameters, rehash detection, every branch of the policy, and the list
 * of common passwords (sorted, lower case, each entry found).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "i18n.h"
#include "passwd.h"

/* The smallest cost libsodium allows: tests stay fast. */
#define PASSES 1
#define MEMORY 8192

static const char *
policy(const char *pw)
{
	return passwd_policy(pw, strlen(pw));
}

static void
test_round_trip(void **state)
{
	char h1[PASSWD_HASH_MAX], h2[PASSWD_HASH_MAX];
	static const char pw[] = "kolme kissaa katolla";

	(void)state;
	assert_int_equal(passwd_hash(pw, strlen(pw), PASSES, MEMORY, h1), 0);
	assert_int_equal(strncmp(h1, "$argon2id$", 10), 0);
	assert_non_null(strstr(h1, "m=8,t=1,"));
	assert_true(passwd_verify(h1, pw, strlen(pw)));
	assert_false(passwd_verify(h1, pw, strlen(pw) - 1));
	assert_false(passwd_verify(h1, "Kolme kissaa katolla", strlen(pw)));
	assert_false(passwd_verify(h1, "", 0));
	/* A fresh salt each time. */
	assert_int_equal(passwd_hash(pw, strlen(pw), PASSES, MEMORY, h2), 0);
	assert_string_not_equal(h1, h2);
	assert_true(passwd_verify(h2, pw, strlen(pw)));
	/* Not a hash of ours. */
	assert_false(passwd_verify(NULL, pw, strlen(pw)));
	assert_false(passwd_verify("", pw, strlen(pw)));
	assert_false(passwd_verify("$argon2i$v=19$m=8,t=1,p=1$AAAA$AAAA", pw,
	    strlen(pw)));
	h1[20] = '\0';
	assert_false(passwd_verify(h1, pw, strlen(pw)));
}

static void
test_bad_parameters(void **state)
{
	char h[PASSWD_HASH_MAX];

	(void)state;
	assert_int_equal(passwd_hash("abcdefgh", 8, 0, MEMORY, h), -1);
	assert_int_equal(passwd_hash("abcdefgh", 8, PASSES, 1024, h), -1);
	/* Out of range: returns at once instead of working. */
	passwd_burn(0, MEMORY);
	passwd_burn(PASSES, MEMORY);
}

static void
test_needs_rehash(void **state)
{
	char h[PASSWD_HASH_MAX];

	(void)state;
	assert_int_equal(passwd_hash("abcdefgh", 8, 2, 16384, h), 0);
	assert_false(passwd_needs_rehash(h, 2, 16384));
	assert_true(passwd_needs_rehash(h, 3, 16384));
	assert_true(passwd_needs_rehash(h, 1, 16384));
	assert_true(passwd_needs_rehash(h, 2, 32768));
	assert_true(passwd_needs_rehash(h, 2, 8192));
	assert_true(passwd_needs_rehash("", 2, 16384));
	assert_true(passwd_needs_rehash(NULL, 2, 16384));
	assert_true(passwd_needs_rehash("$argon2i$v=19$m=16,t=2,p=1$AAAA$AAAA",
	    2, 16384));
}

static void
test_policy_length(void **state)
{
	char pw[PASSWD_MAX_CHARS * 2 + 3];

	(void)state;
	assert_string_equal(policy(""), "passwd.short");
	assert_string_equal(policy("7 chars"), "passwd.short");
	assert_null(policy("8 chars!"));
	/* Counted in code points, not bytes: 7 letters are 14 bytes. */
	assert_string_equal(policy("ääööååä"), "passwd.short");
	assert_null(policy("ääööååäö"));
	memset(pw, 'q', PASSWD_MAX_CHARS);
	pw[0] = 'x';
	pw[PASSWD_MAX_CHARS] = '\0';
	assert_null(policy(pw));
	pw[PASSWD_MAX_CHARS] = 'q';
	pw[PASSWD_MAX_CHARS + 1] = '\0';
	assert_string_equal(policy(pw), "passwd.long");
	/* 128 two-byte letters are fine, 129 are not. */
	for (size_t i = 0; i < PASSWD_MAX_CHARS; i++)
		memcpy(pw + 2 * i, "ä", 2);
	assert_null(passwd_policy(pw, 2 * PASSWD_MAX_CHARS));
	memcpy(pw + 2 * PASSWD_MAX_CHARS, "ö", 2);
	assert_string_equal(passwd_policy(pw, 2 * PASSWD_MAX_CHARS + 2),
	    "passwd.long");
}

static void
test_policy_text(void **state)
{
	(void)state;
	assert_string_equal(policy("good password\xff"), "passwd.utf8");
	assert_string_equal(policy("\xc3good password"), "passwd.utf8");
	/* An overlong '/' and a surrogate. */
	assert_string_equal(policy("good\xc0\xafpassword"), "passwd.utf8");
	assert_string_equal(policy("good\xed\xa0\x80password"), "passwd.utf8");
	assert_string_equal(policy("good\tpassword"), "passwd.utf8");
	assert_string_equal(policy("good password\n"), "passwd.utf8");
	assert_string_equal(policy("good password\r"), "passwd.utf8");
	assert_string_equal(policy("good\x7fpassword"), "passwd.utf8");
	assert_string_equal(policy("good\x1bpassword"), "passwd.utf8");
	/* C1 controls (NEL, U+0085) are controls too; U+00A0 is not. */
	assert_string_equal(policy("good\xc2\x85password"), "passwd.utf8");
	assert_null(policy("good\xc2\xa0password"));
	/* A NUL inside the given length. */
	assert_string_equal(passwd_policy("good\0password", 13), "passwd.utf8");
	/* Invalid text is refused before its length is looked at. */
	assert_string_equal(policy("\xff"), "passwd.utf8");
	assert_null(policy("Kolme kissaa katolla 🐈"));
}

static void
test_policy_common(void **state)
{
	(void)state;
	assert_string_equal(policy("password1"), "passwd.common");
	assert_string_equal(policy("PassWord1"), "passwd.common");
	assert_string_equal(policy("salasana123"), "passwd.common");
	assert_string_equal(policy("SALASANA123"), "passwd.common");
	assert_string_equal(policy("qwertyuiop"), "passwd.common");
	assert_string_equal(policy("lösenord1"), "passwd.common");
	assert_string_equal(policy("LöSENORD1"), "passwd.common");
	/* The first and last entries of the sorted list. */
	assert_string_equal(policy("!@#$%^&*"), "passwd.common");
	assert_null(policy("salasana1234567"));
	assert_null(policy("password1 "));
	assert_null(policy(" password1"));
	assert_null(policy("correct horse battery staple"));
	assert_null(policy("00000000000000000000"));
	assert_null(policy("~~~~~~~~"));
}

/* Every entry of the shipped list: the file's invariants (sorted by bytes,
 * no duplicates, lower case), and that the embedded copy finds each one,
 * in upper case too. */
static void
test_list(void **state)
{
	char line[512], prev[512] = "", upper[512];
	size_t n = 0, len, i;
	FILE *f;

	(void)state;
	f = fopen(TIPLINE_SRC "/lib/common_passwords.txt", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		len = strlen(line);
		assert_true(len > 1 && line[len - 1] == '\n');
		line[--len] = '\0';
		assert_true(strcmp(prev, line) < 0);
		for (i = 0; i < len; i++)
			assert_false(line[i] >= 'A' && line[i] <= 'Z');
		assert_string_equal(passwd_policy(line, len), "passwd.common");
		for (i = 0; i <= len; i++)
			upper[i] = line[i] >= 'a' && line[i] <= 'z'
			               ? (char)(line[i] - 'a' + 'A')
			               : line[i];
		assert_string_equal(passwd_policy(upper, len), "passwd.common");
		memcpy(prev, line, len + 1);
		n++;
	}
	fclose(f);
	assert_true(n > 600);
}

/* Each reason has text in all three languages. */
static void
test_messages(void **state)
{
	static const char *ids[] = { "passwd.short", "passwd.long",
		"passwd.utf8", "passwd.common" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		assert_non_null(i18n_get(LANG_FI, ids[i]));
		assert_non_null(i18n_get(LANG_SV, ids[i]));
		assert_non_null(i18n_get(LANG_EN, ids[i]));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_parameters),
		cmocka_unit_test(test_needs_rehash),
		cmocka_unit_test(test_policy_length),
		cmocka_unit_test(test_policy_text),
		cmocka_unit_test(test_policy_common),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_messages),
	};

	if (sodium_init() == -1)
		return 1;
	return cmocka_run_group_tests_name("passwd", tests, NULL, NULL);
}
