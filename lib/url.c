/*
 * Canonicalises links to online posts.  Many people report one viral post
 * with links that look different (mobile hosts, share trackers, user names
 * in the path, mirrors); url_canonical() maps them to one string so the
 * console can see they are the same post.  It is a pure function: bytes in,
 * string out, no allocation (fixed buffers on the stack), no I/O, no
 * globals, no locale.  Time is linear in the input except for sorting the
 * query parameters (n log n in their number).
 *
 * Input
 * - At most URL_MAX_BYTES (4096) bytes, else "too long".  Surrounding ASCII
 *   white space and U+00A0, U+200B..U+200D, U+2060, U+FEFF are trimmed; tab,
 *   CR and LF inside are removed (links wrapped by mail clients); any other
 *   control byte is "not a link".
 * - Schemes http and https are the same: the output is always https://.
 *   Any number of slashes or backslashes may follow "http:".  Other schemes
 *   (javascript:, data:, ftp:, mailto:...) are "unsupported scheme".
 * - Without a scheme ("twitter.com/u/status/1", "//host/x") the input is
 *   taken as https if its host has a dot and its last label a letter;
 *   "host.tld:8080/x" is a host and port ("localhost:8080", without a
 *   dot, is "not a link").  A scheme-less input with "@" before the path
 *   is an e-mail address: "not a link".  Errors in the host of a
 *   scheme-less input are "not a link" rather than "bad host".
 * - Userinfo (user:pass@) is dropped.  Ports 80 and 443 are dropped, others
 *   kept; a port that is not a number up to 65535 is "bad host".
 * - Host: ASCII letters are lower-cased; allowed are letters, digits, "-",
 *   "_", "." and bracketed IPv6 literals.  IDN: non-ASCII bytes are kept as
 *   given if they are valid UTF-8, else "bad host"; there is no IDNA
 *   mapping, so a Unicode host and its xn-- form do not match, and
 *   non-ASCII letters keep their case.  Percent signs, empty labels and
 *   hosts over 253 bytes are "bad host".  One trailing dot is dropped.
 * - Host prefixes "www.", "m.", "mobile." are folded away on any host
 *   (while a dot remains).  "mbasic.", "touch.", "web.", "free." only
 *   before facebook.com and "old.", "np.", "new.", "i.", "amp." only before
 *   reddit.com: elsewhere they often name another site (web.archive.org).
 * - Path: backslash is a slash; empty segments (duplicate slashes) and "."
 *   go, ".." removes the segment before it; a trailing slash is dropped,
 *   the root is "/".  Case is kept except where a platform rule says so.
 * - Percent-encoding: escapes of unreserved characters (letters, digits,
 *   "-._~") are decoded, other escapes get upper-case hex; space, controls,
 *   "\"<>[\\]^`{|}" and bytes >= 0x80 are encoded, so the output is ASCII
 *   apart from a non-ASCII host.  "%" without two hex digits is "bad
 *   percent escape".  "+" is kept as is.
 * - Query: empty parameters go, tracking parameters go, the rest are
 *   stably sorted by name (bytewise).  Tracking parameters, compared
 *   without regard to ASCII case, on every host: utm_*, __cft__*, fbclid,
 *   gclid, dclid, gbraid, wbraid, msclkid, yclid, twclid, ttclid, igshid,
 *   igsh, mc_cid, mc_eid, _hsenc, _hsmi, mkt_tok, si, feature, ref, ref_src,
 *   ref_url, mibextid, rdid, share_id, _rdr, __tn__.  On top of these, on
 *   X: s, t, cxt; on YouTube: pp, app, ab_channel; on Facebook: hc_ref,
 *   fref, hc_location, _fb_noscript, paipv, eav, notif_id, notif_t, sfnsn,
 *   extid; on Instagram: hl, img_index; on TikTok: _r, _t, is_from_webapp,
 *   sender_device, sender_web_id, is_copy_url, share_app_id, share_item_id,
 *   share_link_id, social_sharing, tt_from, u_code, user_id, timestamp,
 *   enter_from, refer, lang, app, checksum; on Reddit: context, rdt,
 *   ref_source, ref_campaign, correlation_id, _branch_match_id,
 *   _branch_referrer.  The post forms below keep no query at all unless
 *   they say so.
 * - The fragment is dropped (but see ylilauta and old Twitter "#!/").
 * - The output is at most URL_MAX_BYTES bytes, else "too long", so the
 *   function is idempotent: the output canonicalises to itself.
 *
 * Posts (only on the default port; a path that does not match falls back
 * to the generic rules above, on the platform's main host)
 * - X: x.com, twitter.com, fxtwitter.com, vxtwitter.com, fixupx.com,
 *   fixvx.com, twittpr.com, xcancel.com, nitter.net, nitter.poast.org,
 *   nitter.privacydev.net.  /USER/status/ID[/...], /USER/statuses/ID,
 *   /i/web/status/ID, /i/status/ID and "#!/USER/status/ID" give
 *   https://x.com/i/status/ID (ID decimal): the user name can change.
 *   Other pages move to x.com; a lone user name is lower-cased.
 * - YouTube: youtube.com, music.youtube.com, gaming.youtube.com,
 *   youtube-nocookie.com: /watch?v=ID, /shorts/ID, /embed/ID, /live/ID,
 *   /v/ID, /e/ID, /watch/ID; youtu.be/ID; ID is 11 of [A-Za-z0-9_-].  All
 *   give https://youtube.com/watch?v=ID (times and playlists dropped).  A
 *   /@handle is lower-cased.
 * - Facebook: facebook.com and fb.com.  Post ids are decimal or "pfbid..."
 *   and a post has both; they cannot be converted offline, so a pfbid link
 *   and a numeric link to the same post do not match, but each id matches
 *   itself across forms: permalink.php and story.php (story_fbid=X),
 *   /USER/posts/X, /groups/G/posts/X, /groups/G/permalink/X and /posts/X
 *   give https://facebook.com/posts/X (the owner or group is not part of
 *   the key).  photo.php?fbid=X, /photo/?fbid=X, /USER/photos/X and
 *   /USER/photos/a.ALBUM/X give https://facebook.com/photo.php?fbid=X.
 *   /watch/?v=X, /watch/live/?v=X, video.php?v=X, /reel/X, /videos/X,
 *   /USER/videos/X and /USER/videos/SLUG/X give
 *   https://facebook.com/watch?v=X (a reel is a video, same id).  These
 *   three keep comment_id and reply_comment_id, in that order: a comment
 *   is a reportable item of its own.  /share/p/X (and /share/v/, /r/...,
 *   /share/X) are opaque: https://facebook.com/share/p/X, case kept.
 *   fb.watch/X cannot be resolved offline: https://fb.watch/X.  A lone
 *   user name is lower-cased.
 * - Instagram: instagram.com, instagr.am, ddinstagram.com: /p/ID,
 *   /reel/ID, /reels/ID, /tv/ID and /USER/p/ID (etc.) give
 *   https://instagram.com/p/ID (the short code is case-sensitive);
 *   /stories/USER/N gives https://instagram.com/stories/user/N.
 * - TikTok: tiktok.com: /@USER/video/ID, /@USER/photo/ID, /v/ID.html,
 *   /embed/v2/ID, /embed/ID, /share/video/ID, /video/ID give
 *   https://tiktok.com/video/ID.  Short links vm.tiktok.com/X,
 *   vt.tiktok.com/X and tiktok.com/t/X cannot be resolved offline: kept
 *   as https://vm.tiktok.com/X (etc.), case kept, query dropped.
 * - Reddit: reddit.com: /r/SUB/comments/ID[/SLUG], /user/U/comments/ID,
 *   /comments/ID, /gallery/ID and redd.it/ID give
 *   https://reddit.com/comments/ID; with a comment,
 *   /r/SUB/comments/ID/SLUG/CID and /r/SUB/comments/ID/comment/CID give
 *   https://reddit.com/comments/ID/comment/CID (not /comments/ID/CID,
 *   which could not be told from /comments/ID/SLUG when read again).  Ids
 *   are lower-cased.  Share links /r/SUB/s/X are kept as
 *   https://reddit.com/r/sub/s/X.  Subreddit names are lower-cased.
 * - Telegram: t.me, telegram.me, telegram.dog: /CHANNEL/N, /s/CHANNEL/N
 *   and /CHANNEL/TOPIC/N give https://t.me/channel/N (name lower-cased);
 *   private /c/CHAT/N the same way.  ?comment=M is kept (a comment is a
 *   message of its own): https://t.me/channel/N?comment=M; ?single,
 *   ?thread, ?embed and the rest are dropped.  /CHANNEL and /s/CHANNEL give
 *   https://t.me/channel.
 * - Suomi24: keskustelu.suomi24.fi/t/ID[/SLUG] gives
 *   https://keskustelu.suomi24.fi/t/ID; other suomi24.fi pages keep their
 *   path and lose the whole query (paging, sorting, tracking).
 * - Vauva: vauva.fi/keskustelu/ID[/SLUG] gives
 *   https://vauva.fi/keskustelu/ID.
 * - Ylilauta: ylilauta.org/SECTION/THREAD gives
 *   https://ylilauta.org/section/THREAD.  Here the fragment names the post
 *   in the thread, so "#noPOST" (decimal) is kept:
 *   https://ylilauta.org/section/THREAD#noPOST, except when POST is the
 *   thread's own opening post.  The query is dropped.
 * Not done: redirectors (l.facebook.com, t.co, bit.ly) are not followed.
 */
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "url.h"

#define URL_WORK_BYTES (3 * URL_MAX_BYTES) /* every byte may become %XX */
#define URL_MAX_PARTS  (URL_MAX_BYTES / 2 + 2)
#define URL_MAX_HOST   253
#define URL_NONE       ((size_t)-1)

enum url_kind {
	URL_GENERIC,
	URL_X,
	URL_YT,
	URL_YTB,
	URL_FB,
	URL_FBW,
	URL_IG,
	URL_TT,
	URL_TTS,
	URL_RD,
	URL_RDS,
	URL_TG,
	URL_S24,
	URL_VAUVA,
	URL_YLI,
};

/* Character classes of ids. */
enum url_class {
	URL_C_DIGIT,  /* 0-9 */
	URL_C_ALNUM,  /* A-Za-z0-9 */
	URL_C_WORD,   /* A-Za-z0-9_ */
	URL_C_CODE,   /* A-Za-z0-9_- */
	URL_C_DOTTED, /* A-Za-z0-9._ */
	URL_C_HANDLE, /* A-Za-z0-9._- */
};

/* A path segment or query parameter: offsets into url->work. */
struct url_seg {
	uint16_t off;
	uint16_t len;
};

struct url_param {
	uint16_t off;
	uint16_t len;
	uint16_t namelen;
};

struct url {
	char clean[URL_MAX_BYTES]; /* trimmed input without tabs, newlines */
	size_t cleanlen;
	char host[URL_MAX_HOST + 2];
	size_t hostlen;
	long port; /* -1: none or default */
	const char *frag;
	size_t fraglen;
	bool hasfrag;
	char work[URL_WORK_BYTES]; /* normalised segments, then parameters */
	size_t worklen;
	bool workfull;
	struct url_seg seg[URL_MAX_PARTS];
	size_t nseg;
	struct url_param par[URL_MAX_PARTS];
	size_t npar;
	uint16_t idx[URL_MAX_PARTS]; /* parameter order, for sorting */
	uint16_t tmp[URL_MAX_PARTS];
};

/* The output, bounded by min(outlen - 1, URL_MAX_BYTES). */
struct url_w {
	char *p;
	size_t len;
	size_t cap;
	bool full;
};

struct url_site {
	const char *host;  /* after folding */
	const char *canon; /* host written out; NULL: the same */
	enum url_kind kind;
};

static const struct url_site url_sites[] = {
	{ "x.com", NULL, URL_X },
	{ "twitter.com", "x.com", URL_X },
	{ "fxtwitter.com", "x.com", URL_X },
	{ "vxtwitter.com", "x.com", URL_X },
	{ "fixupx.com", "x.com", URL_X },
	{ "fixvx.com", "x.com", URL_X },
	{ "twittpr.com", "x.com", URL_X },
	{ "xcancel.com", "x.com", URL_X },
	{ "nitter.net", "x.com", URL_X },
	{ "nitter.poast.org", "x.com", URL_X },
	{ "nitter.privacydev.net", "x.com", URL_X },
	{ "youtube.com", NULL, URL_YT },
	{ "music.youtube.com", NULL, URL_YT },
	{ "gaming.youtube.com", NULL, URL_YT },
	{ "youtube-nocookie.com", NULL, URL_YT },
	{ "youtu.be", NULL, URL_YTB },
	{ "facebook.com", NULL, URL_FB },
	{ "fb.com", "facebook.com", URL_FB },
	{ "fb.watch", NULL, URL_FBW },
	{ "instagram.com", NULL, URL_IG },
	{ "instagr.am", "instagram.com", URL_IG },
	{ "ddinstagram.com", "instagram.com", URL_IG },
	{ "tiktok.com", NULL, URL_TT },
	{ "vm.tiktok.com", NULL, URL_TTS },
	{ "vt.tiktok.com", NULL, URL_TTS },
	{ "reddit.com", NULL, URL_RD },
	{ "redd.it", NULL, URL_RDS },
	{ "t.me", NULL, URL_TG },
	{ "telegram.me", "t.me", URL_TG },
	{ "telegram.dog", "t.me", URL_TG },
	{ "keskustelu.suomi24.fi", NULL, URL_S24 },
	{ "suomi24.fi", NULL, URL_S24 },
	{ "vauva.fi", NULL, URL_VAUVA },
	{ "ylilauta.org", NULL, URL_YLI },
};

static const char *const url_fold_any[] = { "www.", "m.", "mobile." };

static const struct {
	const char *prefix;
	const char *host;
} url_folds[] = {
	{ "mbasic.", "facebook.com" },
	{ "touch.", "facebook.com" },
	{ "web.", "facebook.com" },
	{ "free.", "facebook.com" },
	{ "old.", "reddit.com" },
	{ "np.", "reddit.com" },
	{ "new.", "reddit.com" },
	{ "i.", "reddit.com" },
	{ "amp.", "reddit.com" },
};

/* Tracking parameters: "name*" is a prefix. */
static const char *const url_drop_all[] = { "utm_*", "__cft__*", "fbclid",
	"gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
	"ttclid", "igshid", "igsh", "mc_cid", "mc_eid", "_hsenc", "_hsmi",
	"mkt_tok", "si", "feature", "ref", "ref_src", "ref_url", "mibextid",
	"rdid", "share_id", "_rdr", "__tn__", NULL };
static const char *const url_drop_x[] = { "s", "t", "cxt", NULL };
static const char *const url_drop_yt[] = { "pp", "app", "ab_channel", NULL };
static const char *const url_drop_fb[] = { "hc_ref", "fref", "hc_location",
	"_fb_noscript", "paipv", "eav", "notif_id", "notif_t", "sfnsn", "extid",
	NULL };
static const char *const url_drop_ig[] = { "hl", "img_index", NULL };
static const char *const url_drop_tt[] = { "_r", "_t", "is_from_webapp",
	"sender_device", "sender_web_id", "is_copy_url", "share_app_id",
	"share_item_id", "share_link_id", "social_sharing", "tt_from", "u_code",
	"user_id", "timestamp", "enter_from", "refer", "lang", "app",
	"checksum", NULL };
static const char *const url_drop_rd[] = { "context", "rdt", "ref_source",
	"ref_campaign", "correlation_id", "_branch_match_id",
	"_branch_referrer", NULL };

/* Telegram paths that are not channel names. */
static const char *const url_tg_reserved[] = { "joinchat", "addstickers",
	"addemoji", "addlist", "addtheme", "share", "proxy", "socks", "login",
	"setlanguage", "invoice", "boost", "contact", "confirmphone", NULL };

static const char url_hex[] = "0123456789ABCDEF";

static bool
url_is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
url_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static unsigned char
url_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static int
url_hexval(unsigned char c)
{
	if (url_is_digit(c))
		return c - '0';
	c = url_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool
url_is_unreserved(unsigned char c)
{
	return url_is_alpha(c) || url_is_digit(c) || c == '-' || c == '.' ||
	       c == '_' || c == '~';
}

static bool
url_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static bool
url_in_class(unsigned char c, enum url_class cl)
{
	if (url_is_digit(c))
		return true;
	if (cl == URL_C_DIGIT)
		return false;
	if (url_is_alpha(c))
		return true;
	switch (cl) {
	case URL_C_WORD:
		return c == '_';
	case URL_C_CODE:
		return c == '_' || c == '-';
	case URL_C_DOTTED:
		return c == '_' || c == '.';
	case URL_C_HANDLE:
		return c == '_' || c == '.' || c == '-';
	default:
		return false;
	}
}

/* All of p[0..n) in class cl, and 1 <= n <= max. */
static bool
url_span_is(const char *p, size_t n, enum url_class cl, size_t max)
{
	size_t i;

	if (n == 0 || n > max)
		return false;
	for (i = 0; i < n; i++)
		if (!url_in_class((unsigned char)p[i], cl))
			return false;
	return true;
}

/* Equal to the lower-case literal s, ignoring ASCII case. */
static bool
url_span_eq(const char *p, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\0' || url_lower((unsigned char)p[i]) != s[i])
			return false;
	return s[n] == '\0';
}

/* Length of the valid UTF-8 sequence at p, or 0. */
static size_t
url_utf8_len(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	len = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	if (n < len)
		return 0;
	cp = p[0] & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Length of an invisible character to trim at p (forwards), or 0. */
static size_t
url_blank_at(const unsigned char *p, size_t n)
{
	if (n >= 1 && url_is_space(p[0]))
		return 1;
	if (n >= 2 && p[0] == 0xc2 && p[1] == 0xa0)
		return 2;
	if (n >= 3 && p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0x8b &&
	    p[2] <= 0x8d)
		return 3;
	if (n >= 3 && p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0xa0)
		return 3;
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		return 3;
	return 0;
}

/* Length of an invisible character to trim ending at p + n, or 0. */
static size_t
url_blank_before(const unsigned char *p, size_t n)
{
	if (n >= 1 && url_is_space(p[n - 1]))
		return 1;
	if (n >= 2 && url_blank_at(p + n - 2, 2) == 2)
		return 2;
	if (n >= 3 && url_blank_at(p + n - 3, 3) == 3)
		return 3;
	return 0;
}

static int
url_clean(struct url *u, const char *in, size_t len, const char **errstr)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t k, i;

	while (len > 0 && (k = url_blank_at(p, len)) > 0) {
		p += k;
		len -= k;
	}
	while (len > 0 && (k = url_blank_before(p, len)) > 0)
		len -= k;
	u->cleanlen = 0;
	for (i = 0; i < len; i++) {
		if (p[i] == '\t' || p[i] == '\n' || p[i] == '\r')
			continue;
		if (p[i] < 0x20 || p[i] == 0x7f) {
			*errstr = "not a link";
			return -1;
		}
		u->clean[u->cleanlen++] = (char)p[i];
	}
	if (u->cleanlen == 0) {
		*errstr = "not a link";
		return -1;
	}
	return 0;
}

static void
url_work_putc(struct url *u, char c)
{
	if (u->worklen >= sizeof(u->work)) {
		u->workfull = true;
		return;
	}
	u->work[u->worklen++] = c;
}

static void
url_work_pct(struct url *u, unsigned char c)
{
	url_work_putc(u, '%');
	url_work_putc(u, url_hex[c >> 4]);
	url_work_putc(u, url_hex[c & 15]);
}

/*
 * Appends p[0..n) to work with percent-encoding normalised.  lit lists
 * the reserved characters kept as they are.
 */
static int
url_work_norm(struct url *u, const char *p, size_t n, const char *lit,
    const char **errstr)
{
	unsigned char c;
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (c == '%') {
			if (n - i < 3 ||
			    (hi = url_hexval((unsigned char)p[i + 1])) < 0 ||
			    (lo = url_hexval((unsigned char)p[i + 2])) < 0) {
				*errstr = "bad percent escape";
				return -1;
			}
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
			if (url_is_unreserved(c))
				url_work_putc(u, (char)c);
			else
				url_work_pct(u, c);
		} else if (url_is_unreserved(c) ||
		           (c != '\0' && strchr(lit, c) != NULL))
			url_work_putc(u, (char)c);
		else
			url_work_pct(u, c);
	}
	return 0;
}

/* Splits p[0..n) into normalised segments, resolving dot-segments. */
static int
url_parse_path(struct url *u, const char *p, size_t n, const char **errstr)
{
	size_t i = 0, start, off, len;

	u->nseg = 0;
	while (i < n) {
		while (i < n && (p[i] == '/' || p[i] == '\\'))
			i++;
		start = i;
		while (i < n && p[i] != '/' && p[i] != '\\')
			i++;
		if (i == start)
			continue;
		off = u->worklen;
		if (url_work_norm(u, p + start, i - start, "!$&'()*+,;=:@",
		        errstr) == -1)
			return -1;
		len = u->worklen - off;
		if (len == 1 && u->work[off] == '.') {
			u->worklen = off;
			continue;
		}
		if (len == 2 && u->work[off] == '.' &&
		    u->work[off + 1] == '.') {
			u->worklen = off;
			if (u->nseg > 0)
				u->worklen = u->seg[--u->nseg].off;
			continue;
		}
		if (u->workfull || u->nseg >= URL_MAX_PARTS) {
			*errstr = "too long";
			return -1;
		}
		u->seg[u->nseg].off = (uint16_t)off;
		u->seg[u->nseg].len = (uint16_t)len;
		u->nseg++;
	}
	return 0;
}

static int
url_parse_query(struct url *u, const char *p, size_t n, const char **errstr)
{
	static const char lit[] = "!$'()*+,;=:@/?";
	size_t i = 0, start, eq, off, namelen;

	u->npar = 0;
	while (i < n) {
		start = i;
		while (i < n && p[i] != '&')
			i++;
		if (i > start) {
			off = u->worklen;
			for (eq = start; eq < i && p[eq] != '='; eq++)
				;
			if (url_work_norm(u, p + start, eq - start, lit,
			        errstr) == -1)
				return -1;
			namelen = u->worklen - off;
			if (eq < i) {
				url_work_putc(u, '=');
				if (url_work_norm(u, p + eq + 1, i - eq - 1,
				        lit, errstr) == -1)
					return -1;
			}
			if (u->workfull || u->npar >= URL_MAX_PARTS) {
				*errstr = "too long";
				return -1;
			}
			u->par[u->npar].off = (uint16_t)off;
			u->par[u->npar].len = (uint16_t)(u->worklen - off);
			u->par[u->npar].namelen = (uint16_t)namelen;
			u->npar++;
		}
		if (i < n)
			i++;
	}
	return 0;
}

static bool
url_host_has_dot(const char *h, size_t n)
{
	return memchr(h, '.', n) != NULL;
}

/* Folds mobile and mirror prefixes off u->host. */
static void
url_fold_host(struct url *u)
{
	size_t i, k = 0;
	bool again = true;

	while (again) {
		again = false;
		for (i = 0; i < sizeof(url_fold_any) / sizeof(url_fold_any[0]);
		     i++) {
			k = strlen(url_fold_any[i]);
			if (u->hostlen > k &&
			    memcmp(u->host, url_fold_any[i], k) == 0 &&
			    url_host_has_dot(u->host + k, u->hostlen - k)) {
				again = true;
				break;
			}
		}
		if (!again) {
			for (i = 0;
			     i < sizeof(url_folds) / sizeof(url_folds[0]);
			     i++) {
				k = strlen(url_folds[i].prefix);
				if (u->hostlen > k &&
				    memcmp(u->host, url_folds[i].prefix, k) ==
				        0 &&
				    u->hostlen - k ==
				        strlen(url_folds[i].host) &&
				    memcmp(u->host + k, url_folds[i].host,
				        u->hostlen - k) == 0) {
					again = true;
					break;
				}
			}
		}
		if (again) {
			memmove(u->host, u->host + k, u->hostlen - k);
			u->hostlen -= k;
			u->host[u->hostlen] = '\0';
		}
	}
}

/* Parses host and port of the authority p[0..n), without userinfo. */
static int
url_parse_host(struct url *u, const char *p, size_t n, bool schemeless,
    const char **errstr)
{
	const unsigned char *h = (const unsigned char *)p;
	size_t i, hn, k, last;
	long port = 0;
	bool letter;

	*errstr = "bad host";
	u->hostlen = 0;
	u->port = -1;
	if (n > 0 && h[0] == '[') {
		for (hn = 1; hn < n && h[hn] != ']'; hn++)
			if (!url_is_digit(h[hn]) && url_hexval(h[hn]) < 0 &&
			    h[hn] != ':' && h[hn] != '.')
				return -1;
		if (hn >= n || hn == 1 || hn + 1 > URL_MAX_HOST)
			return -1;
		hn++;
		for (i = 0; i < hn; i++)
			u->host[i] = (char)url_lower(h[i]);
		u->hostlen = hn;
	} else {
		for (hn = 0; hn < n && h[hn] != ':'; hn++)
			;
		if (hn > URL_MAX_HOST + 1)
			return -1;
		for (i = 0; i < hn; i += k) {
			k = 1;
			if (h[i] >= 0x80) {
				if ((k = url_utf8_len(h + i, hn - i)) == 0)
					return -1;
			} else if (!url_is_alpha(h[i]) && !url_is_digit(h[i]) &&
			           h[i] != '-' && h[i] != '_' && h[i] != '.')
				return -1;
			memcpy(u->host + i, h + i, k);
			if (k == 1)
				u->host[i] = (char)url_lower(h[i]);
		}
		u->hostlen = hn;
		if (u->hostlen > 0 && u->host[u->hostlen - 1] == '.')
			u->hostlen--;
		if (u->hostlen == 0 || u->hostlen > URL_MAX_HOST ||
		    u->host[0] == '.')
			return -1;
		last = 0;
		for (i = 0; i < u->hostlen; i++) {
			if (u->host[i] != '.')
				continue;
			if (i + 1 == u->hostlen || u->host[i + 1] == '.')
				return -1;
			last = i + 1;
		}
		if (schemeless) {
			letter = false;
			for (i = last; i < u->hostlen; i++)
				if (url_is_alpha((unsigned char)u->host[i]) ||
				    (unsigned char)u->host[i] >= 0x80)
					letter = true;
			if (last == 0 || !letter)
				return -1;
		}
	}
	u->host[u->hostlen] = '\0';
	if (hn < n) {
		if (h[hn] != ':')
			return -1;
		for (i = hn + 1; i < n; i++) {
			if (!url_is_digit(h[i]))
				return -1;
			port = port * 10 + (h[i] - '0');
			if (port > 65535)
				return -1;
		}
		if (i > hn + 1 && port != 80 && port != 443)
			u->port = port;
	}
	*errstr = NULL;
	return 0;
}

static int
url_parse(struct url *u, const char **errstr)
{
	const char *p = u->clean, *e = u->clean + u->cleanlen, *a, *q, *f;
	const char *path, *pathe, *at;
	bool schemeless = true, dot, portlike;
	size_t i, j, n = u->cleanlen;

	/* Scheme, or a host and port that look like one. */
	if (url_is_alpha((unsigned char)p[0])) {
		for (i = 1;
		     i < n && (url_is_alpha((unsigned char)p[i]) ||
		                  url_is_digit((unsigned char)p[i]) ||
		                  p[i] == '+' || p[i] == '-' || p[i] == '.');
		     i++)
			;
		if (i < n && p[i] == ':') {
			j = i + 1;
			while (j < n && url_is_digit((unsigned char)p[j]))
				j++;
			dot = memchr(p, '.', i) != NULL;
			portlike = j == n || p[j] == '/' || p[j] == '\\' ||
			           p[j] == '?' || p[j] == '#';
			if (dot && portlike) {
				/* "example.com:8080/x": host and port. */
			} else if (portlike && j > i + 1) {
				/* "localhost:8080": a host without a dot. */
				*errstr = "not a link";
				return -1;
			} else if (url_span_eq(p, i, "http") ||
			           url_span_eq(p, i, "https")) {
				schemeless = false;
				p += i + 1;
				while (p < e && (*p == '/' || *p == '\\'))
					p++;
			} else {
				*errstr = "unsupported scheme";
				return -1;
			}
		}
	}
	if (schemeless && p[0] == '/') {
		if (n < 2 || p[1] != '/') {
			*errstr = "not a link";
			return -1;
		}
		while (p < e && (*p == '/' || *p == '\\'))
			p++;
	}

	/* Authority, path, query, fragment. */
	for (a = p; a < e && *a != '/' && *a != '\\' && *a != '?' && *a != '#';
	     a++)
		;
	for (q = a; q < e && *q != '?' && *q != '#'; q++)
		;
	for (f = q; f < e && *f != '#'; f++)
		;
	u->hasfrag = f < e;
	u->frag = f < e ? f + 1 : e;
	u->fraglen = (size_t)(e - u->frag);

	for (at = a; at > p && at[-1] != '@'; at--)
		;
	if (at > p && schemeless) {
		*errstr = "not a link";
		return -1;
	}
	if (url_parse_host(u, at, (size_t)(a - at), schemeless, errstr) == -1) {
		if (schemeless)
			*errstr = "not a link";
		return -1;
	}
	url_fold_host(u);

	u->worklen = 0;
	u->workfull = false;
	path = a;
	pathe = q;
	/* Old Twitter links keep the path in the fragment: "/#!/u/status/1". */
	if (q - a <= 1 && u->fraglen >= 2 && u->frag[0] == '!' &&
	    u->frag[1] == '/') {
		for (i = 0; i < sizeof(url_sites) / sizeof(url_sites[0]); i++)
			if (url_sites[i].kind == URL_X &&
			    strcmp(u->host, url_sites[i].host) == 0)
				break;
		if (i < sizeof(url_sites) / sizeof(url_sites[0])) {
			path = u->frag + 1;
			for (pathe = path; pathe < e && *pathe != '?'; pathe++)
				;
		}
	}
	if (url_parse_path(u, path, (size_t)(pathe - path), errstr) == -1)
		return -1;
	if (q < f)
		q++;
	if (url_parse_query(u, q, (size_t)(f - q), errstr) == -1)
		return -1;
	return 0;
}

/* Output. */

static void
url_put(struct url_w *w, const char *p, size_t n)
{
	if (w->full || n > w->cap - w->len) {
		w->full = true;
		return;
	}
	memcpy(w->p + w->len, p, n);
	w->len += n;
}

static void
url_puts(struct url_w *w, const char *s)
{
	url_put(w, s, strlen(s));
}

static void
url_put_lower(struct url_w *w, const char *p, size_t n)
{
	size_t i;
	char c;

	for (i = 0; i < n; i++) {
		c = (char)url_lower((unsigned char)p[i]);
		url_put(w, &c, 1);
	}
}

static const char *
url_seg_p(const struct url *u, size_t i)
{
	return u->work + u->seg[i].off;
}

static size_t
url_seg_len(const struct url *u, size_t i)
{
	return u->seg[i].len;
}

static bool
url_seg_eq(const struct url *u, size_t i, const char *s)
{
	return i < u->nseg &&
	       url_span_eq(url_seg_p(u, i), url_seg_len(u, i), s);
}

static bool
url_seg_is(const struct url *u, size_t i, enum url_class cl, size_t max)
{
	return i < u->nseg &&
	       url_span_is(url_seg_p(u, i), url_seg_len(u, i), cl, max);
}

static void
url_put_seg(struct url_w *w, const struct url *u, size_t i)
{
	url_put(w, url_seg_p(u, i), url_seg_len(u, i));
}

static void
url_put_seg_lower(struct url_w *w, const struct url *u, size_t i)
{
	url_put_lower(w, url_seg_p(u, i), url_seg_len(u, i));
}

/* Lower-cases segment i in place; only for segments of a plain class. */
static void
url_seg_lower(struct url *u, size_t i)
{
	char *p = u->work + u->seg[i].off;
	size_t k;

	for (k = 0; k < u->seg[i].len; k++)
		p[k] = (char)url_lower((unsigned char)p[k]);
}

/* Value of the first parameter called name (exactly), if it has one. */
static bool
url_param(const struct url *u, const char *name, const char **v, size_t *vlen)
{
	size_t i, k = strlen(name);
	const struct url_param *pp;

	for (i = 0; i < u->npar; i++) {
		pp = &u->par[i];
		if (pp->namelen != k || memcmp(u->work + pp->off, name, k) != 0)
			continue;
		if (pp->len <= k + 1)
			return false;
		*v = u->work + pp->off + k + 1;
		*vlen = pp->len - k - 1;
		return true;
	}
	return false;
}

static bool
url_name_in(const char *p, size_t n, const char *const *list)
{
	size_t i, j, k;

	if (list == NULL)
		return false;
	for (i = 0; list[i] != NULL; i++) {
		k = strlen(list[i]);
		if (list[i][k - 1] != '*') {
			if (url_span_eq(p, n, list[i]))
				return true;
			continue;
		}
		if (n < k - 1)
			continue;
		for (j = 0; j < k - 1 && url_lower((unsigned char)p[j]) ==
		                             (unsigned char)list[i][j];
		     j++)
			;
		if (j == k - 1)
			return true;
	}
	return false;
}

static int
url_param_cmp(const struct url *u, size_t a, size_t b)
{
	const struct url_param *pa = &u->par[a], *pb = &u->par[b];
	size_t n = pa->namelen < pb->namelen ? pa->namelen : pb->namelen;
	int c;

	if ((c = memcmp(u->work + pa->off, u->work + pb->off, n)) != 0)
		return c;
	return (pa->namelen > pb->namelen) - (pa->namelen < pb->namelen);
}

/* Stable bottom-up merge sort of idx[0..n) by parameter name. */
static const uint16_t *
url_sort(struct url *u, size_t n)
{
	uint16_t *src = u->idx, *dst = u->tmp, *t;
	size_t width, lo, mid, hi, i, j, k;

	for (width = 1; width < n; width *= 2) {
		for (lo = 0; lo < n; lo += 2 * width) {
			mid = lo + width < n ? lo + width : n;
			hi = lo + 2 * width < n ? lo + 2 * width : n;
			i = lo;
			j = mid;
			k = lo;
			while (i < mid && j < hi)
				dst[k++] = url_param_cmp(u, src[i], src[j]) <= 0
				               ? src[i++]
				               : src[j++];
			while (i < mid)
				dst[k++] = src[i++];
			while (j < hi)
				dst[k++] = src[j++];
		}
		t = src;
		src = dst;
		dst = t;
	}
	return src;
}

static void
url_put_origin(struct url_w *w, const struct url *u, const char *host)
{
	char d[8];
	size_t k = sizeof(d);
	long port = u->port;

	url_puts(w, "https://");
	if (host != NULL)
		url_puts(w, host);
	else
		url_put(w, u->host, u->hostlen);
	if (port < 0)
		return;
	do {
		d[--k] = (char)('0' + port % 10);
		port /= 10;
	} while (port > 0);
	d[--k] = ':';
	url_put(w, d + k, sizeof(d) - k);
}

/*
 * The generic form: origin, path, and the query without tracking
 * parameters (all of it if keepq is false), sorted.
 */
static void
url_generic(struct url *u, struct url_w *w, const char *host,
    const char *const *drop, bool keepq)
{
	const struct url_param *pp;
	const uint16_t *order;
	size_t i, n = 0;

	url_put_origin(w, u, host);
	if (u->nseg == 0)
		url_puts(w, "/");
	for (i = 0; i < u->nseg; i++) {
		url_puts(w, "/");
		url_put_seg(w, u, i);
	}
	if (!keepq)
		return;
	for (i = 0; i < u->npar; i++) {
		pp = &u->par[i];
		if (url_name_in(u->work + pp->off, pp->namelen, url_drop_all) ||
		    url_name_in(u->work + pp->off, pp->namelen, drop))
			continue;
		u->idx[n++] = (uint16_t)i;
	}
	order = url_sort(u, n);
	for (i = 0; i < n; i++) {
		pp = &u->par[order[i]];
		url_puts(w, i == 0 ? "?" : "&");
		url_put(w, u->work + pp->off, pp->len);
	}
}

/* Appends "?name=value" or "&name=value" for each parameter kept. */
static void
url_keep_params(struct url_w *w, const struct url *u, const char *const *names,
    bool first)
{
	const char *v;
	size_t i, vlen;

	for (i = 0; names[i] != NULL; i++) {
		if (!url_param(u, names[i], &v, &vlen))
			continue;
		url_puts(w, first ? "?" : "&");
		url_puts(w, names[i]);
		url_puts(w, "=");
		url_put(w, v, vlen);
		first = false;
	}
}

static void
url_x(struct url *u, struct url_w *w)
{
	size_t id = URL_NONE;

	if (u->nseg >= 4 && url_seg_eq(u, 0, "i") && url_seg_eq(u, 1, "web") &&
	    url_seg_eq(u, 2, "status"))
		id = 3;
	else if (u->nseg >= 3 &&
	         (url_seg_eq(u, 1, "status") || url_seg_eq(u, 1, "statuses")))
		id = 2;
	else if (u->nseg >= 2 && url_seg_eq(u, 0, "statuses"))
		id = 1;
	if (id != URL_NONE && url_seg_is(u, id, URL_C_DIGIT, 20)) {
		url_puts(w, "https://x.com/i/status/");
		url_put_seg(w, u, id);
		return;
	}
	if (u->nseg == 1 && url_seg_is(u, 0, URL_C_WORD, 15))
		url_seg_lower(u, 0);
	url_generic(u, w, "x.com", url_drop_x, true);
}

static bool
url_yt_id(const char *p, size_t n)
{
	return n == 11 && url_span_is(p, n, URL_C_CODE, 11);
}

static void
url_yt(struct url *u, struct url_w *w, bool short_host)
{
	static const char *const forms[] = { "shorts", "embed", "live", "v",
		"e", "watch", NULL };
	const char *v = NULL;
	size_t i, vlen = 0;

	if (short_host) {
		if (u->nseg >= 1 &&
		    url_yt_id(url_seg_p(u, 0), url_seg_len(u, 0))) {
			v = url_seg_p(u, 0);
			vlen = 11;
		}
	} else if (u->nseg == 1 && url_seg_eq(u, 0, "watch")) {
		if (!url_param(u, "v", &v, &vlen) || !url_yt_id(v, vlen))
			v = NULL;
	} else if (u->nseg >= 2 &&
	           url_yt_id(url_seg_p(u, 1), url_seg_len(u, 1))) {
		for (i = 0; forms[i] != NULL; i++)
			if (url_seg_eq(u, 0, forms[i])) {
				v = url_seg_p(u, 1);
				vlen = 11;
			}
	}
	if (v != NULL) {
		url_puts(w, "https://youtube.com/watch?v=");
		url_put(w, v, vlen);
		return;
	}
	if (!short_host && u->nseg >= 1 && url_seg_p(u, 0)[0] == '@' &&
	    url_span_is(url_seg_p(u, 0) + 1, url_seg_len(u, 0) - 1,
	        URL_C_HANDLE, 100))
		url_seg_lower(u, 0);
	url_generic(u, w, NULL, url_drop_yt, true);
}

static bool
url_fb_postid(const char *p, size_t n)
{
	if (url_span_is(p, n, URL_C_DIGIT, 25))
		return true;
	return n > 5 && memcmp(p, "pfbid", 5) == 0 &&
	       url_span_is(p + 5, n - 5, URL_C_ALNUM, 100);
}

static bool
url_fb_digits(const char *p, size_t n)
{
	return url_span_is(p, n, URL_C_DIGIT, 25);
}

static void
url_fb(struct url *u, struct url_w *w)
{
	static const char *const comments[] = { "comment_id",
		"reply_comment_id", NULL };
	const char *v = NULL, *fmt = NULL;
	size_t n = u->nseg, vlen = 0;

	if (n == 1 && (url_seg_eq(u, 0, "permalink.php") ||
	                  url_seg_eq(u, 0, "story.php"))) {
		if (url_param(u, "story_fbid", &v, &vlen) &&
		    url_fb_postid(v, vlen))
			fmt = "posts/";
	} else if (n >= 4 && url_seg_eq(u, 0, "groups") &&
	           (url_seg_eq(u, 2, "posts") ||
	               url_seg_eq(u, 2, "permalink")) &&
	           url_fb_postid(url_seg_p(u, 3), url_seg_len(u, 3))) {
		v = url_seg_p(u, 3);
		vlen = url_seg_len(u, 3);
		fmt = "posts/";
	} else if (n >= 3 && url_seg_eq(u, 1, "posts") &&
	           url_fb_postid(url_seg_p(u, 2), url_seg_len(u, 2))) {
		v = url_seg_p(u, 2);
		vlen = url_seg_len(u, 2);
		fmt = "posts/";
	} else if (n >= 2 && url_seg_eq(u, 0, "posts") &&
	           url_fb_postid(url_seg_p(u, 1), url_seg_len(u, 1))) {
		v = url_seg_p(u, 1);
		vlen = url_seg_len(u, 1);
		fmt = "posts/";
	} else if (n == 1 && (url_seg_eq(u, 0, "photo.php") ||
	                         url_seg_eq(u, 0, "photo"))) {
		if (url_param(u, "fbid", &v, &vlen) && url_fb_digits(v, vlen))
			fmt = "photo.php?fbid=";
	} else if ((n == 3 || n == 4) && url_seg_eq(u, 1, "photos") &&
	           url_fb_digits(url_seg_p(u, n - 1), url_seg_len(u, n - 1))) {
		v = url_seg_p(u, n - 1);
		vlen = url_seg_len(u, n - 1);
		fmt = "photo.php?fbid=";
	} else if ((n == 1 && (url_seg_eq(u, 0, "watch") ||
	                          url_seg_eq(u, 0, "video.php"))) ||
	           (n == 2 && url_seg_eq(u, 0, "watch") &&
	               url_seg_eq(u, 1, "live"))) {
		if (url_param(u, "v", &v, &vlen) && url_fb_digits(v, vlen))
			fmt = "watch?v=";
	} else if (n >= 2 &&
	           (url_seg_eq(u, 0, "reel") || url_seg_eq(u, 0, "videos")) &&
	           url_fb_digits(url_seg_p(u, 1), url_seg_len(u, 1))) {
		v = url_seg_p(u, 1);
		vlen = url_seg_len(u, 1);
		fmt = "watch?v=";
	} else if (n >= 3 && url_seg_eq(u, 1, "videos")) {
		if (url_fb_digits(url_seg_p(u, 2), url_seg_len(u, 2))) {
			v = url_seg_p(u, 2);
			vlen = url_seg_len(u, 2);
			fmt = "watch?v=";
		} else if (n >= 4 &&
		           url_fb_digits(url_seg_p(u, 3), url_seg_len(u, 3))) {
			v = url_seg_p(u, 3);
			vlen = url_seg_len(u, 3);
			fmt = "watch?v=";
		}
	} else if (n >= 2 && url_seg_eq(u, 0, "share")) {
		if (n >= 3 && url_seg_len(u, 1) == 1 &&
		    url_is_alpha((unsigned char)url_seg_p(u, 1)[0]) &&
		    url_seg_is(u, 2, URL_C_ALNUM, 64)) {
			url_puts(w, "https://facebook.com/share/");
			url_put_seg_lower(w, u, 1);
			url_puts(w, "/");
			url_put_seg(w, u, 2);
			return;
		}
		if (url_seg_is(u, 1, URL_C_ALNUM, 64)) {
			url_puts(w, "https://facebook.com/share/");
			url_put_seg(w, u, 1);
			return;
		}
	}
	if (fmt != NULL) {
		url_puts(w, "https://facebook.com/");
		url_puts(w, fmt);
		url_put(w, v, vlen);
		url_keep_params(w, u, comments, strchr(fmt, '?') == NULL);
		return;
	}
	if (n == 1 && url_seg_is(u, 0, URL_C_DOTTED, 64) &&
	    (url_seg_len(u, 0) < 4 ||
	        !url_span_eq(url_seg_p(u, 0) + url_seg_len(u, 0) - 4, 4,
	            ".php")))
		url_seg_lower(u, 0);
	url_generic(u, w, "facebook.com", url_drop_fb, true);
}

static bool
url_ig_form(const struct url *u, size_t i)
{
	return url_seg_eq(u, i, "p") || url_seg_eq(u, i, "reel") ||
	       url_seg_eq(u, i, "reels") || url_seg_eq(u, i, "tv");
}

static void
url_ig(struct url *u, struct url_w *w)
{
	size_t id = URL_NONE;

	if (u->nseg >= 2 && url_ig_form(u, 0))
		id = 1;
	else if (u->nseg >= 3 && url_ig_form(u, 1))
		id = 2;
	if (id != URL_NONE && url_seg_is(u, id, URL_C_CODE, 64)) {
		url_puts(w, "https://instagram.com/p/");
		url_put_seg(w, u, id);
		return;
	}
	if (u->nseg >= 3 && url_seg_eq(u, 0, "stories") &&
	    url_seg_is(u, 1, URL_C_DOTTED, 64) &&
	    url_seg_is(u, 2, URL_C_DIGIT, 25)) {
		url_puts(w, "https://instagram.com/stories/");
		url_put_seg_lower(w, u, 1);
		url_puts(w, "/");
		url_put_seg(w, u, 2);
		return;
	}
	if (u->nseg == 1 && url_seg_is(u, 0, URL_C_DOTTED, 64))
		url_seg_lower(u, 0);
	url_generic(u, w, "instagram.com", url_drop_ig, true);
}

static void
url_tt(struct url *u, struct url_w *w)
{
	size_t n = u->nseg, id = URL_NONE, len;
	const char *p;

	if (n >= 3 && url_seg_p(u, 0)[0] == '@' &&
	    (url_seg_eq(u, 1, "video") || url_seg_eq(u, 1, "photo")))
		id = 2;
	else if (n >= 3 && url_seg_eq(u, 0, "embed") && url_seg_eq(u, 1, "v2"))
		id = 2;
	else if (n >= 3 && url_seg_eq(u, 0, "share") &&
	         url_seg_eq(u, 1, "video"))
		id = 2;
	else if (n >= 2 &&
	         (url_seg_eq(u, 0, "v") || url_seg_eq(u, 0, "embed") ||
	             url_seg_eq(u, 0, "video")))
		id = 1;
	if (id != URL_NONE && id < n) {
		p = url_seg_p(u, id);
		len = url_seg_len(u, id);
		if (len > 5 && url_span_eq(p + len - 5, 5, ".html"))
			len -= 5;
		if (url_span_is(p, len, URL_C_DIGIT, 25)) {
			url_puts(w, "https://tiktok.com/video/");
			url_put(w, p, len);
			return;
		}
	}
	if (n == 2 && url_seg_eq(u, 0, "t")) {
		url_generic(u, w, NULL, NULL, false);
		return;
	}
	if (n == 1 && url_seg_p(u, 0)[0] == '@' &&
	    url_span_is(url_seg_p(u, 0) + 1, url_seg_len(u, 0) - 1,
	        URL_C_DOTTED, 64))
		url_seg_lower(u, 0);
	url_generic(u, w, NULL, url_drop_tt, true);
}

static void
url_rd(struct url *u, struct url_w *w, bool short_host)
{
	size_t n = u->nseg, id = URL_NONE;
	bool gallery = false;

	if (short_host) {
		if (n >= 1)
			id = 0;
	} else if (n >= 4 &&
	           (url_seg_eq(u, 0, "r") || url_seg_eq(u, 0, "user") ||
	               url_seg_eq(u, 0, "u")) &&
	           url_seg_eq(u, 2, "comments"))
		id = 3;
	else if (n >= 2 && url_seg_eq(u, 0, "comments"))
		id = 1;
	else if (n >= 2 && url_seg_eq(u, 0, "gallery")) {
		id = 1;
		gallery = true;
	}
	if (id != URL_NONE && url_seg_is(u, id, URL_C_ALNUM, 13)) {
		url_puts(w, "https://reddit.com/comments/");
		url_put_seg_lower(w, u, id);
		if (!short_host && !gallery && n >= id + 3 &&
		    url_seg_is(u, id + 2, URL_C_ALNUM, 13)) {
			url_puts(w, "/comment/");
			url_put_seg_lower(w, u, id + 2);
		}
		return;
	}
	if (short_host) {
		url_generic(u, w, NULL, url_drop_rd, true);
		return;
	}
	if (n >= 2 && url_seg_eq(u, 0, "r") &&
	    url_seg_is(u, 1, URL_C_WORD, 64)) {
		url_seg_lower(u, 0);
		url_seg_lower(u, 1);
		if (n == 4 && url_seg_eq(u, 2, "s") &&
		    url_seg_is(u, 3, URL_C_ALNUM, 64)) {
			url_seg_lower(u, 2);
			url_generic(u, w, NULL, NULL, false);
			return;
		}
	}
	url_generic(u, w, NULL, url_drop_rd, true);
}

static bool
url_tg_name(const struct url *u, size_t i)
{
	size_t k;

	if (!url_seg_is(u, i, URL_C_WORD, 64) || url_seg_len(u, i) < 4 ||
	    !url_is_alpha((unsigned char)url_seg_p(u, i)[0]))
		return false;
	for (k = 0; url_tg_reserved[k] != NULL; k++)
		if (url_seg_eq(u, i, url_tg_reserved[k]))
			return false;
	return true;
}

static void
url_tg(struct url *u, struct url_w *w)
{
	static const char *const comment[] = { "comment", NULL };
	size_t i = 0, n = u->nseg, msg;
	const char *v;
	size_t vlen;
	bool priv;

	if (n >= 2 && url_seg_eq(u, 0, "s"))
		i = 1;
	priv = n - i >= 3 && url_seg_eq(u, i, "c") &&
	       url_seg_is(u, i + 1, URL_C_DIGIT, 20);
	if (priv || (n - i >= 1 && url_tg_name(u, i))) {
		msg = i + (priv ? 2 : 1);
		if (msg < n && url_seg_is(u, msg, URL_C_DIGIT, 12)) {
			if (msg + 1 < n &&
			    url_seg_is(u, msg + 1, URL_C_DIGIT, 12))
				msg++;
			url_puts(w, "https://t.me/");
			if (priv) {
				url_puts(w, "c/");
				url_put_seg(w, u, i + 1);
			} else
				url_put_seg_lower(w, u, i);
			url_puts(w, "/");
			url_put_seg(w, u, msg);
			if (url_param(u, "comment", &v, &vlen) &&
			    url_span_is(v, vlen, URL_C_DIGIT, 12))
				url_keep_params(w, u, comment, true);
			return;
		}
		if (!priv && n - i == 1) {
			url_puts(w, "https://t.me/");
			url_put_seg_lower(w, u, i);
			return;
		}
	}
	url_generic(u, w, "t.me", NULL, true);
}

static void
url_s24(struct url *u, struct url_w *w)
{
	if (u->nseg >= 2 && url_seg_eq(u, 0, "t") &&
	    url_seg_is(u, 1, URL_C_DIGIT, 20)) {
		url_puts(w, "https://keskustelu.suomi24.fi/t/");
		url_put_seg(w, u, 1);
		return;
	}
	url_generic(u, w, NULL, NULL, false);
}

static void
url_vauva(struct url *u, struct url_w *w)
{
	if (u->nseg >= 2 && url_seg_eq(u, 0, "keskustelu") &&
	    url_seg_is(u, 1, URL_C_DIGIT, 20)) {
		url_puts(w, "https://vauva.fi/keskustelu/");
		url_put_seg(w, u, 1);
		return;
	}
	url_generic(u, w, NULL, NULL, true);
}

static void
url_yli(struct url *u, struct url_w *w)
{
	const char *f = u->frag;
	size_t n = u->fraglen;

	if (u->nseg >= 2 && url_seg_is(u, 0, URL_C_CODE, 64) &&
	    url_seg_is(u, 1, URL_C_DIGIT, 20)) {
		url_puts(w, "https://ylilauta.org/");
		url_put_seg_lower(w, u, 0);
		url_puts(w, "/");
		url_put_seg(w, u, 1);
		if (u->hasfrag && n > 2 && f[0] == 'n' && f[1] == 'o' &&
		    url_span_is(f + 2, n - 2, URL_C_DIGIT, 20) &&
		    (n - 2 != url_seg_len(u, 1) ||
		        memcmp(f + 2, url_seg_p(u, 1), n - 2) != 0)) {
			url_puts(w, "#");
			url_put(w, f, n);
		}
		return;
	}
	url_generic(u, w, NULL, NULL, true);
}

static void
url_emit(struct url *u, struct url_w *w)
{
	const struct url_site *s = NULL;
	size_t i;

	if (u->port < 0)
		for (i = 0; i < sizeof(url_sites) / sizeof(url_sites[0]); i++)
			if (strcmp(u->host, url_sites[i].host) == 0) {
				s = &url_sites[i];
				break;
			}
	if (s == NULL) {
		url_generic(u, w, NULL, NULL, true);
		return;
	}
	switch (s->kind) {
	case URL_X:
		url_x(u, w);
		break;
	case URL_YT:
	case URL_YTB:
		url_yt(u, w, s->kind == URL_YTB);
		break;
	case URL_FB:
		url_fb(u, w);
		break;
	case URL_FBW:
	case URL_TTS:
		/* Short links: the path is an opaque code. */
		url_generic(u, w, s->canon, NULL, false);
		break;
	case URL_IG:
		url_ig(u, w);
		break;
	case URL_TT:
		url_tt(u, w);
		break;
	case URL_RD:
	case URL_RDS:
		url_rd(u, w, s->kind == URL_RDS);
		break;
	case URL_TG:
		url_tg(u, w);
		break;
	case URL_S24:
		url_s24(u, w);
		break;
	case URL_VAUVA:
		url_vauva(u, w);
		break;
	case URL_YLI:
		url_yli(u, w);
		break;
	default:
		url_generic(u, w, s->canon, NULL, true);
		break;
	}
}

ssize_t
url_canonical(const char *in, size_t len, char *out, size_t outlen,
    const char **errstr)
{
	struct url u;
	struct url_w w;
	const char *err = "too long";

	if (len > URL_MAX_BYTES || out == NULL || outlen == 0)
		goto fail;
	if (in == NULL || len == 0) {
		err = "not a link";
		goto fail;
	}
	if (url_clean(&u, in, len, &err) == -1 || url_parse(&u, &err) == -1)
		goto fail;
	w.p = out;
	w.len = 0;
	w.cap = outlen - 1 < URL_MAX_BYTES ? outlen - 1 : URL_MAX_BYTES;
	w.full = false;
	url_emit(&u, &w);
	if (w.full) {
		err = "too long";
		goto fail;
	}
	out[w.len] = '\0';
	return (ssize_t)w.len;
fail:
	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (errstr != NULL)
		*errstr = err;
	return -1;
}
