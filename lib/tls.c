/*
 * TLS contexts for the two public listeners.  Settings follow Mozilla's
 * "intermediate" profile: TLS 1.2+, AEAD ciphers with forward secrecy,
 * X25519 and P-256 first, no renegotiation, no compression.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "log.h"
#include "tls.h"

#define TLS_CIPHERS                                                            \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"           \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"           \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

struct tls {
	char *cert;
	char *key;
	SSL_CTX *ctx;
};

static void
tls_error(char *errbuf, size_t errlen, const char *what, const char *path)
{
	unsigned long e = ERR_get_error();
	char reason[256];

	ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	snprintf(errbuf, errlen, "%s %s: %s", what, path, reason);
}

static SSL_CTX *
tls_ctx_load(const char *cert, const char *key, char *errbuf, size_t errlen)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_error(errbuf, errlen, "SSL_CTX_new", "");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	                             SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* An idle connection gives its 16K+ read and write buffers back:
	 * with a thousand of them open, that is most of the memory. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_cipher_list(ctx, TLS_CIPHERS) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1) {
		tls_error(errbuf, errlen, "cipher settings", "");
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		tls_error(errbuf, errlen, "certificate", cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		tls_error(errbuf, errlen, "private key", key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_error(errbuf, errlen, "key does not match certificate",
		    cert);
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

struct tls *
tls_new(const char *cert, const char *key, char *errbuf, size_t errlen)
{
	struct tls *t;
	SSL_CTX *ctx;

	if ((ctx = tls_ctx_load(cert, key, errbuf, errlen)) == NULL)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->cert = xstrdup(cert);
	t->key = xstrdup(key);
	t->ctx = ctx;
	return t;
}

void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t->cert);
	free(t->key);
	free(t);
}

int
tls_reload(struct tls *t, char *errbuf, size_t errlen)
{
	SSL_CTX *ctx;

	if ((ctx = tls_ctx_load(t->cert, t->key, errbuf, errlen)) == NULL)
		return -1;
	/* Connections hold their own reference to the old context. */
	SSL_CTX_free(t->ctx);
	t->ctx = ctx;
	return 0;
}

SSL *
tls_accept_new(struct tls *t)
{
	return SSL_new(t->ctx);
}
