/*
 * Unit tests of client keys: an IPv4 address counts whole, an IPv6
 * address by its /64, a mapped IPv4 address as itself, and a new key
 * changes every client's key.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "client.h"

static const uint8_t key1[CLIENT_KEY_BYTES] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
	11, 12, 13, 14, 15, 16 };
static const uint8_t key2[CLIENT_KEY_BYTES] = { 16, 15, 14, 13, 12, 11, 10, 9,
	8, 7, 6, 5, 4, 3, 2, 1 };

static uint64_t
v4(const uint8_t *key, const char *addr, uint16_t port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, addr, &s.sin_addr), 1);
	return client_key_with(key, (struct sockaddr *)&s, sizeof(s));
}

static uint64_t
v6(const uint8_t *key, const char *addr, uint16_t port)
{
	struct sockaddr_in6 s;

	memset(&s, 0, sizeof(s));
	s.sin6_family = AF_INET6;
	s.sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, addr, &s.sin6_addr), 1);
	return client_key_with(key, (struct sockaddr *)&s, sizeof(s));
}

static void
test_ipv4_whole(void **state)
{
	(void)state;
	/* The port does not count: a client's connections are one client. */
	assert_true(v4(key1, "192.0.2.1", 1000) == v4(key1, "192.0.2.1", 2));
	assert_true(v4(key1, "192.0.2.1", 1) != v4(key1, "192.0.2.2", 1));
	assert_true(v4(key1, "192.0.2.1", 1) != v4(key1, "198.51.100.1", 1));
}

static void
test_ipv6_prefix(void **state)
{
	(void)state;
	/* One /64 is one client, whatever its interface part. */
	assert_true(v6(key1, "2001:db8:1:2::1", 1) ==
	            v6(key1, "2001:db8:1:2:ffff:1234:5678:9abc", 9));
	assert_true(
	    v6(key1, "2001:db8:1:2::1", 1) != v6(key1, "2001:db8:1:3::1", 1));
	assert_true(
	    v6(key1, "2001:db8:1:2::1", 1) != v6(key1, "2001:db9:1:2::1", 1));
}

static void
test_mapped(void **state)
{
	(void)state;
	assert_true(
	    v6(key1, "::ffff:192.0.2.7", 5) == v4(key1, "192.0.2.7", 6));
	assert_true(
	    v6(key1, "::ffff:192.0.2.7", 5) != v6(key1, "::ffff:192.0.2.8", 5));
	/* An IPv6 prefix is not confused with an IPv4 address. */
	assert_true(v6(key1, "c000:0207::", 1) != v4(key1, "192.0.2.7", 1));
}

static void
test_key_changes_all(void **state)
{
	(void)state;
	assert_true(v4(key1, "192.0.2.1", 1) != v4(key2, "192.0.2.1", 1));
	assert_true(v6(key1, "2001:db8::1", 1) != v6(key2, "2001:db8::1", 1));
}

static void
test_other_family(void **state)
{
	struct sockaddr_in s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	/* Too short to be an IPv4 address: the key of "no address". */
	assert_true(client_key_with(key1, (struct sockaddr *)&s, 2) ==
	            client_key_with(key1, NULL, 0));
	assert_true(client_key_with(key1, NULL, 0) != v4(key1, "0.0.0.0", 0));
}

static void
test_rekey(void **state)
{
	struct sockaddr_in s;
	uint64_t a, b, e;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &s.sin_addr);
	a = client_key((struct sockaddr *)&s, sizeof(s));
	e = client_epoch();
	assert_true(e > 0);
	/* Stable within an hour... */
	assert_true(client_key((struct sockaddr *)&s, sizeof(s)) == a);
	assert_true(client_epoch() == e);
	/* ...and different under the next key. */
	client_rekey();
	b = client_key((struct sockaddr *)&s, sizeof(s));
	assert_true(client_epoch() == e + 1);
	assert_true(a != b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_whole),
		cmocka_unit_test(test_ipv6_prefix),
		cmocka_unit_test(test_mapped),
		cmocka_unit_test(test_key_changes_all),
		cmocka_unit_test(test_other_family),
		cmocka_unit_test(test_rekey),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
