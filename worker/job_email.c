/*
 * E-mail notices.  deliver_store() marks a tip's notice due and sends
 * NOTIFY job_ready 'email'; on that, and on each sweep, one claim takes up
 * to EMAIL_BATCH due notices under a lease long enough to send them all.
 * The batch goes to one pool thread, which opens each sealed address,
 * writes the notice (lib/mail.c) in the tip's language and sends it with
 * libcurl over SMTP, one connection for the batch while the server takes
 * the messages, so the event loop never waits on the network.  Back on
 * the loop, each notice's outcome is one statement: email_sent() deletes
 * the address, email_failed() counts the try and sets the next one, or
 * gives up and deletes the address.  One batch at a time: the pool's
 * other threads stay free for reading screenshots.
 *
 * The address is never logged, at any level: the log says only that a
 * notice was sent or failed, with libcurl's name for the error (a fixed
 * string per code, curl_easy_strerror(); its error buffer, which may
 * quote the server, is not used) and the server's reply code.  Nor does
 * it go to stderr: CURLOPT_VERBOSE stays off.  The plaintext address and
 * message are wiped after use.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "buf.h"
#include "db_stmt.h"
#include "i18n.h"
#include "job_email.h"
#include "mail.h"
#include "queue.h"
#include "seal.h"

/* Notices claimed and sent together. */
#define EMAIL_BATCH     8
/* Largest message: the notice and an officer's message of a few
 * thousand characters fit many times over. */
#define EMAIL_MAX_BYTES (256 << 10)

enum email_state {
	EMAIL_S_OFF,   /* [smtp] host is empty */
	EMAIL_S_IDLE,  /* nothing in flight */
	EMAIL_S_CLAIM, /* email_claim() in flight */
	EMAIL_S_SEND,  /* the batch is on a pool thread */
	EMAIL_S_STORE, /* its email_sent()/email_failed() in flight */
};

enum email_result {
	EMAIL_R_SENT,
	EMAIL_R_RETRY,   /* the network or the server: try again later */
	EMAIL_R_GIVE_UP, /* the address cannot be used: no more tries */
	EMAIL_R_SKIPPED, /* stopping: not tried; the lease brings it back */
};

struct email_queue;

struct email_item {
	struct email_queue *eq;
	char tip[40];
	enum lang lang;
	enum lang message_lang; /* of sealed_message */
	int attempts;           /* tries before this one */
	char *sealed_email;     /* bytea text form */
	char *sealed_message;   /* NULL: none, or not to be sent */
	enum email_result result;
	CURLcode code;
	long smtp_code;
};

struct email_queue {
	struct queue *q;
	enum email_state state;
	bool again; /* woken while busy: look again when done */
	/* For the thread: 1 sends no more messages, 2 also aborts the one
	 * under way. */
	atomic_int stop;
	char *password;
	char url[600]; /* a host of 253 bytes and a domain of 254 fit */
	struct email_item *items;
	int nitems;
	int pending; /* statements of the batch in flight */
};

/* The upload: the message, read by libcurl in pieces. */
struct email_upload {
	const uint8_t *p;
	size_t len, off;
};

int
job_email_prepare(const struct cfg *cfg, char password[EMAIL_MAX_PASSWORD + 1],
    char *errbuf, size_t errlen)
{
	struct stat st;
	char *text;
	size_t len;

	password[0] = '\0';
	if (cfg->smtp_host[0] == '\0')
		return 0;
	if (strlen(cfg->smtp_host) > 253) {
		snprintf(errbuf, errlen, "[smtp] host: too long");
		return -1;
	}
	if (cfg->smtp_from[0] == '\0') {
		snprintf(errbuf, errlen,
		    "[smtp] from: needed when [smtp] host is set");
		return -1;
	}
	if (cfg->feedback_status_url[0] == '\0') {
		snprintf(errbuf, errlen,
		    "[feedback] status_url: needed when [smtp] host is set");
		return -1;
	}
	if (cfg->smtp_password_file[0] == '\0')
		return 0;
	if (stat(cfg->smtp_password_file, &st) == -1) {
		snprintf(errbuf, errlen, "[smtp] password_file: %s: %s",
		    cfg->smtp_password_file, strerror(errno));
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(errbuf, errlen,
		    "[smtp] password_file: %s: readable by others (chmod 600 "
		    "it)",
		    cfg->smtp_password_file);
		return -1;
	}
	if ((text = util_read_file(cfg->smtp_password_file,
	         EMAIL_MAX_PASSWORD + 2, &len)) == NULL) {
		snprintf(errbuf, errlen, "[smtp] password_file: %s: %s",
		    cfg->smtp_password_file,
		    errno == EFBIG ? "too long" : strerror(errno));
		return -1;
	}
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	if (len == 0 || len > EMAIL_MAX_PASSWORD || strlen(text) != len ||
	    strchr(text, '\n') != NULL) {
		util_free_secret(text, len);
		snprintf(errbuf, errlen,
		    "[smtp] password_file: %s: not one line of 1 to %d bytes",
		    cfg->smtp_password_file, EMAIL_MAX_PASSWORD);
		return -1;
	}
	memcpy(password, text, len + 1);
	util_free_secret(text, len);
	return 0;
}

void
job_email_init(struct queue *q, const char *password)
{
	struct email_queue *eq;
	const struct cfg *cfg = q->cfg;
	const char *domain;

	eq = xcalloc(1, sizeof(*eq));
	eq->q = q;
	q->email = eq;
	atomic_init(&eq->stop, 0);
	if (cfg->smtp_host[0] == '\0') {
		eq->state = EMAIL_S_OFF;
		log_info("e-mail notices are off ([smtp] host is empty)");
		return;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("libcurl did not start");
	/* The URL's path is the name libcurl gives in EHLO: the sender's
	 * domain rather than its default "localhost", which some servers
	 * refuse. */
	domain = strchr(cfg->smtp_from, '@') + 1;
	if (strspn(domain,
	        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	        "0123456789.-") != strlen(domain))
		domain = "";
	snprintf(eq->url, sizeof(eq->url), "smtp://%s:%lld/%s", cfg->smtp_host,
	    cfg->smtp_port, domain);
	eq->password = xstrdup(password);
	eq->state = EMAIL_S_IDLE;
	log_info("e-mail notices through smtp://%s:%lld, STARTTLS %s",
	    cfg->smtp_host, cfg->smtp_port,
	    cfg->smtp_starttls ? "required" : "not used");
}

/* ------------------------------------------------------ on the thread */

static size_t
email_read_cb(char *dst, size_t size, size_t n, void *arg)
{
	struct email_upload *up = arg;
	size_t want = size * n, left = up->len - up->off;

	if (want > left)
		want = left;
	memcpy(dst, up->p + up->off, want);
	up->off += want;
	return want;
}

static int
email_progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct email_queue *eq = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return atomic_load(&eq->stop) >= 2; /* non-zero aborts */
}

/* A handle with what every message of the batch shares. */
static CURL *
email_handle(struct email_queue *eq)
{
	const struct cfg *cfg = eq->q->cfg;
	CURL *h;

	if ((h = curl_easy_init()) == NULL)
		return NULL;
	if (curl_easy_setopt(h, CURLOPT_URL, eq->url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_VERBOSE, 0L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USE_SSL,
	        cfg->smtp_starttls ? (long)CURLUSESSL_ALL
	                           : (long)CURLUSESSL_NONE) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    (cfg->smtp_ca_file[0] != '\0' &&
	        curl_easy_setopt(h, CURLOPT_CAINFO, cfg->smtp_ca_file) !=
	            CURLE_OK) ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
	        (long)cfg->smtp_timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	        (long)cfg->smtp_timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAIL_FROM, cfg->smtp_from) !=
	        CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_READFUNCTION, email_read_cb) !=
	        CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, email_progress_cb) !=
	        CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_XFERINFODATA, eq) != CURLE_OK ||
	    (cfg->smtp_user[0] != '\0' &&
	        (curl_easy_setopt(h, CURLOPT_USERNAME, cfg->smtp_user) !=
	                CURLE_OK ||
	            curl_easy_setopt(h, CURLOPT_PASSWORD, eq->password) !=
	                CURLE_OK))) {
		curl_easy_cleanup(h);
		return NULL;
	}
	return h;
}

/* The notice to one tip, its plaintext wiped after. */
static void
email_send_one(struct email_queue *eq, CURL **hp, struct email_item *it)
{
	struct queue *q = eq->q;
	const struct cfg *cfg = q->cfg;
	struct email_upload up;
	struct curl_slist rcpt;
	struct mail m;
	struct buf text, html, msg;
	char *addr, *body = NULL, *to = NULL;
	size_t alen, blen = 0, tlen = 0;

	it->result = EMAIL_R_GIVE_UP;
	addr = (char *)seal_open_hex(q->public_key, q->secret_key,
	    it->sealed_email, &alen);
	if (addr == NULL || strlen(addr) != alen || !mail_addr_ok(addr))
		goto done; /* not ours, damaged, or not an address we send to */
	if (it->sealed_message != NULL)
		body = (char *)seal_open_hex(q->public_key, q->secret_key,
		    it->sealed_message, &blen);

	buf_init(&text, EMAIL_MAX_BYTES);
	buf_init(&html, EMAIL_MAX_BYTES);
	buf_init(&msg, EMAIL_MAX_BYTES * 2);
	mail_notice(it->lang, cfg->feedback_status_url, body, blen,
	    it->message_lang, &text, &html);
	memset(&m, 0, sizeof(m));
	m.from = cfg->smtp_from;
	m.to = addr;
	m.subject = mail_notice_subject(it->lang);
	m.lang = i18n_code(it->lang);
	m.text = buf_cstr(&text);
	m.html = buf_cstr(&html);
	m.date = time(NULL);
	randombytes_buf(m.nonce, sizeof(m.nonce));
	it->result = EMAIL_R_RETRY;
	if (m.text == NULL || m.html == NULL)
		goto wipe;
	mail_compose(&m, &msg);
	if (msg.err)
		goto wipe;

	/* RCPT TO:<address>; the list is ours, so it is wiped with the
	 * rest. */
	tlen = alen + 3;
	if ((to = malloc(tlen)) == NULL)
		goto wipe;
	snprintf(to, tlen, "<%s>", addr);
	rcpt.data = to;
	rcpt.next = NULL;
	up.p = msg.p;
	up.len = msg.len;
	up.off = 0;
	if (*hp == NULL && (*hp = email_handle(eq)) == NULL) {
		it->code = CURLE_FAILED_INIT;
		goto wipe;
	}
	if (curl_easy_setopt(*hp, CURLOPT_MAIL_RCPT, &rcpt) != CURLE_OK ||
	    curl_easy_setopt(*hp, CURLOPT_READDATA, &up) != CURLE_OK)
		it->code = CURLE_FAILED_INIT;
	else
		it->code = curl_easy_perform(*hp);
	curl_easy_getinfo(*hp, CURLINFO_RESPONSE_CODE, &it->smtp_code);
	/* The list is ours: libcurl must not keep a pointer to it. */
	curl_easy_setopt(*hp, CURLOPT_MAIL_RCPT, NULL);
	curl_easy_setopt(*hp, CURLOPT_READDATA, NULL);
	if (it->code == CURLE_OK)
		it->result = EMAIL_R_SENT;
	else {
		/* The next message starts on a new connection. */
		curl_easy_cleanup(*hp);
		*hp = NULL;
	}
wipe:
	util_free_secret(to, tlen);
	buf_reset(&msg);
	buf_reset(&text);
	buf_reset(&html);
	sodium_memzero(&m, sizeof(m));
	util_free_secret(body, blen);
done:
	util_free_secret(addr, alen);
}

static void
email_work(void *arg)
{
	struct email_queue *eq = arg;
	CURL *h = NULL;
	int i;

	for (i = 0; i < eq->nitems; i++) {
		if (atomic_load(&eq->stop) > 0) {
			eq->items[i].result = EMAIL_R_SKIPPED;
			continue;
		}
		email_send_one(eq, &h, &eq->items[i]);
	}
	if (h != NULL)
		curl_easy_cleanup(h);
}

/* ------------------------------------------------------- on the loop */

static void
email_batch_free(struct email_queue *eq)
{
	int i;

	for (i = 0; i < eq->nitems; i++) {
		free(eq->items[i].sealed_email);
		free(eq->items[i].sealed_message);
	}
	free(eq->items);
	eq->items = NULL;
	eq->nitems = 0;
}

/* The batch is over: look again if it was full or a wake came. */
static void
email_idle(struct email_queue *eq, bool full)
{
	struct queue *q = eq->q;
	bool again = eq->again || full;

	email_batch_free(eq);
	eq->state = EMAIL_S_IDLE;
	eq->again = false;
	if (q->stopping)
		queue_check_stopped(q);
	else if (again)
		job_email_tick(q);
}

static void
email_on_stored(void *arg, PGresult *res)
{
	struct email_item *it = arg;
	struct email_queue *eq = it->eq;
	struct queue *q = eq->q;
	const char *v;

	if (eq->state != EMAIL_S_STORE)
		fatalx("%s: e-mail batch in state %d", __func__, eq->state);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1)
		log_warnx(
		    "e-mail notice outcome not stored, sqlstate %s (tried again after the lease)",
		    db_sqlstate(res));
	else if (it->result != EMAIL_R_SENT) {
		v = PQgetvalue(res, 0, 0);
		if (strcmp(v, "t") == 0) {
			q->n_email_failed++;
			log_warnx(
			    "e-mail notice given up after %d tries; the address is deleted",
			    it->attempts + 1);
		} else if (strcmp(v, "f") == 0)
			q->n_email_retries++;
	}
	if (--eq->pending == 0)
		email_idle(eq, eq->nitems == EMAIL_BATCH);
}

static void
email_store(struct email_queue *eq, struct email_item *it)
{
	const struct cfg *cfg = eq->q->cfg;
	char max[24], backoff[24];
	const char *v[3];

	v[0] = it->tip;
	switch (it->result) {
	case EMAIL_R_SKIPPED:
		return;
	case EMAIL_R_SENT:
		eq->q->n_email_sent++;
		/* Debug: the metrics count them once per arrival period. */
		log_debug("e-mail notice sent (try %d)", it->attempts + 1);
		break;
	case EMAIL_R_RETRY:
		if (it->smtp_code != 0)
			log_warnx(
			    "e-mail notice failed: %s (SMTP reply %ld, try %d of %lld)",
			    curl_easy_strerror(it->code), it->smtp_code,
			    it->attempts + 1, cfg->feedback_email_max_attempts);
		else
			log_warnx("e-mail notice failed: %s (try %d of %lld)",
			    curl_easy_strerror(it->code), it->attempts + 1,
			    cfg->feedback_email_max_attempts);
		break;
	case EMAIL_R_GIVE_UP:
		log_warnx(
		    "e-mail notice failed: the sealed address does not open to one we send to");
		break;
	}
	/* One failure is the last for an address that cannot be used. */
	snprintf(max, sizeof(max), "%lld",
	    it->result == EMAIL_R_GIVE_UP ? 1
	                                  : cfg->feedback_email_max_attempts);
	snprintf(backoff, sizeof(backoff), "%lld",
	    (cfg->feedback_email_backoff_ms + 999) / 1000);
	v[1] = max;
	v[2] = backoff;
	if (db_send(eq->q->db,
	        it->result == EMAIL_R_SENT ? STMT_WORKER_EMAIL_SENT
	                                   : STMT_WORKER_EMAIL_FAILED,
	        it->result == EMAIL_R_SENT ? 1 : 3, v, NULL, NULL,
	        email_on_stored, it) == NULL)
		log_warnx(
		    "e-mail notice outcome not stored: no database connection (tried again after the lease)");
	else
		eq->pending++;
}

static void
email_sent_cb(void *arg)
{
	struct email_queue *eq = arg;
	int i;

	if (eq->state != EMAIL_S_SEND)
		fatalx("%s: e-mail batch in state %d", __func__, eq->state);
	eq->state = EMAIL_S_STORE;
	eq->pending = 0;
	for (i = 0; i < eq->nitems; i++)
		email_store(eq, &eq->items[i]);
	if (eq->pending == 0)
		email_idle(eq, false);
}

static void
email_on_claim(void *arg, PGresult *res)
{
	struct email_queue *eq = arg;
	struct queue *q = eq->q;
	struct email_item *it;
	int i, n;

	if (eq->state != EMAIL_S_CLAIM)
		fatalx("%s: e-mail batch in state %d", __func__, eq->state);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (res != NULL)
			log_warnx("claiming e-mail notices failed, sqlstate %s",
			    db_sqlstate(res));
		email_idle(eq, false);
		return;
	}
	if ((n = PQntuples(res)) == 0) {
		email_idle(eq, false);
		return;
	}
	eq->items = xcalloc((size_t)n, sizeof(*eq->items));
	eq->nitems = n;
	for (i = 0; i < n; i++) {
		it = &eq->items[i];
		it->eq = eq;
		snprintf(it->tip, sizeof(it->tip), "%s", PQgetvalue(res, i, 0));
		it->sealed_email = xstrdup(PQgetvalue(res, i, 1));
		if (i18n_from_code(PQgetvalue(res, i, 2),
		        strlen(PQgetvalue(res, i, 2)), &it->lang) == -1)
			it->lang = LANG_FI;
		it->attempts = (int)db_ll(res, i, 3);
		if (q->cfg->feedback_email_content && !PQgetisnull(res, i, 4))
			it->sealed_message = xstrdup(PQgetvalue(res, i, 4));
		if (i18n_from_code(PQgetvalue(res, i, 5),
		        strlen(PQgetvalue(res, i, 5)), &it->message_lang) == -1)
			it->message_lang = it->lang;
	}
	eq->state = EMAIL_S_SEND;
	if (tpool_submit(q->tpool, email_work, email_sent_cb, eq) == -1) {
		/* The lease brings them back. */
		log_warnx("e-mail notices wait: thread pool full");
		email_idle(eq, false);
	}
}

void
job_email_tick(struct queue *q)
{
	struct email_queue *eq = q->email;
	char limit[16], lease[24];
	const char *v[2];

	if (eq == NULL || eq->state == EMAIL_S_OFF || q->stopping)
		return;
	if (eq->state != EMAIL_S_IDLE) {
		eq->again = true;
		return;
	}
	/* Long enough to send the whole batch, each message taking up to
	 * the timeout, and to store the outcomes. */
	snprintf(limit, sizeof(limit), "%d", EMAIL_BATCH);
	snprintf(lease, sizeof(lease), "%lld",
	    EMAIL_BATCH * ((q->cfg->smtp_timeout_ms + 999) / 1000) + 60);
	v[0] = limit;
	v[1] = lease;
	eq->state = EMAIL_S_CLAIM;
	if (db_send(q->db, STMT_WORKER_EMAIL_CLAIM, 2, v, NULL, NULL,
	        email_on_claim, eq) == NULL)
		eq->state = EMAIL_S_IDLE;
}

bool
job_email_busy(const struct queue *q)
{
	return q->email != NULL && q->email->state != EMAIL_S_OFF &&
	       q->email->state != EMAIL_S_IDLE;
}

void
job_email_stop(struct queue *q)
{
	if (q->email != NULL)
		atomic_store(&q->email->stop, 1);
}

void
job_email_cancel(struct queue *q)
{
	if (q->email != NULL)
		atomic_store(&q->email->stop, 2);
}

void
job_email_free(struct queue *q)
{
	struct email_queue *eq = q->email;

	if (eq == NULL)
		return;
	email_batch_free(eq);
	if (eq->state != EMAIL_S_OFF)
		curl_global_cleanup();
	if (eq->password != NULL)
		util_free_secret(eq->password, strlen(eq->password));
	free(eq);
	q->email = NULL;
}
