/*
 * Server-side TLS contexts: TLS 1.2 and 1.3 only, Mozilla "intermediate"
 * ciphers, certificate chain and key from files, reloadable on SIGHUP
 * without dropping connections (each connection keeps the context it was
 * accepted with).
 */
#ifndef TL_TLS_H
#define TL_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "util.h"

struct tls;

/* Loads cert and key; NULL with errbuf set on failure. */
struct tls *tls_new(const char *cert, const char *key, char *errbuf,
    size_t errlen);
void tls_free(struct tls *);
/* Loads the files again; on failure keeps the old context. */
TL_MUSTCHECK int tls_reload(struct tls *, char *errbuf, size_t errlen);
/* A new SSL for one accepted connection, or NULL. */
SSL *tls_accept_new(struct tls *);

#endif
