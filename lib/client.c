/*
 * Client keys: SipHash-2-4 (libsodium's crypto_shorthash) of the part of
 * the address that names one client, under a random key held only in
 * this process's memory and replaced every hour.  The address itself is
 * read once, here, and not copied anywhere.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <string.h>

#include <sodium.h>

#include "client.h"
#include "util.h"

_Static_assert(CLIENT_KEY_BYTES == crypto_shorthash_KEYBYTES,
    "client keys are SipHash keys");

/* The daemons are single-threaded: one key per process. */
static uint8_t client_secret[CLIENT_KEY_BYTES];
static uint64_t client_born_ms;
static uint64_t client_epochs;

void
client_rekey(void)
{
	randombytes_buf(client_secret, sizeof(client_secret));
	client_born_ms = util_now_ms();
	client_epochs++;
}

uint64_t
client_epoch(void)
{
	return client_epochs;
}

uint64_t
client_key_with(const uint8_t key[CLIENT_KEY_BYTES], const struct sockaddr *sa,
    socklen_t len)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
		0xff };
	/* The family first, so that no IPv4 address and IPv6 prefix share
	 * input bytes. */
	uint8_t in[1 + 8], out[crypto_shorthash_BYTES];
	size_t n = 1;
	uint64_t k;

	in[0] = 0;
	if (sa != NULL && sa->sa_family == AF_INET &&
	    len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		in[0] = 4;
		memcpy(in + 1, &s4->sin_addr, 4);
		n = 5;
	} else if (sa != NULL && sa->sa_family == AF_INET6 &&
	           len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *a = s6->sin6_addr.s6_addr;

		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			in[0] = 4;
			memcpy(in + 1, a + 12, 4);
			n = 5;
		} else {
			in[0] = 6;
			memcpy(in + 1, a, 8); /* the /64 */
			n = 9;
		}
	}
	crypto_shorthash(out, in, n, key);
	memcpy(&k, out, sizeof(k));
	sodium_memzero(in, sizeof(in));
	return k;
}

uint64_t
client_key(const struct sockaddr *sa, socklen_t len)
{
	if (client_epochs == 0 ||
	    util_now_ms() - client_born_ms >= CLIENT_KEY_TTL_MS)
		client_rekey();
	return client_key_with(client_secret, sa, len);
}
