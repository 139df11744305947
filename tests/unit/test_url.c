/*
 * Unit tests of link canonicalisation: pairs of real-world-shaped links
 * that must give the same canonical form, pairs that must not, exact forms
 * per platform, and the errors.  All ids and names are made up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "url.h"

struct url_pair {
	const char *a;
	const char *b;
};

struct url_want {
	const char *in;
	const char *want; /* canonical form, or error string */
};

/* Same post, different links. */
static const struct url_pair same[] = {
	/* X / Twitter */
	{ "https://twitter.com/exampleuser/status/1234567890123456789",
	    "https://x.com/exampleuser/status/1234567890123456789" },
	{ "https://x.com/exampleuser/status/1234567890123456789?s=20&t=AbCdEf",
	    "x.com/i/web/status/1234567890123456789" },
	{ "https://mobile.twitter.com/exampleuser/status/1234567890123456789",
	    "https://x.com/i/status/1234567890123456789" },
	{ "https://fxtwitter.com/exampleuser/status/1234567890123456789",
	    "https://vxtwitter.com/OtherName/status/1234567890123456789" },
	{ "https://fixupx.com/exampleuser/status/1234567890123456789/photo/1",
	    "https://nitter.net/exampleuser/status/1234567890123456789#m" },
	{ "https://twitter.com/#!/exampleuser/status/1234567890123456789",
	    "twitter.com/exampleuser/statuses/1234567890123456789" },
	{ "https://www.twitter.com/ExampleUser/status/1234567890123456789/",
	    "http://x.com/exampleuser/status/1234567890123456789?ref_src=twsrc"
	    "%5Etfw" },
	{ "  https://x.com/exampleuser/status/1234567890123456789\n",
	    "https://x.com/exampleuser/status/1234567890123456789/video/1" },
	{ "https://x.com/ExampleUser", "twitter.com/exampleuser/" },
	/* YouTube */
	{ "https://www.youtube.com/watch?v=dQw4w9WgXc0",
	    "https://youtu.be/dQw4w9WgXc0?si=AbCdEfGhIjKl" },
	{ "https://m.youtube.com/watch?feature=share&v=dQw4w9WgXc0&t=42s",
	    "https://www.youtube.com/shorts/dQw4w9WgXc0" },
	{ "https://www.youtube.com/embed/dQw4w9WgXc0?start=10",
	    "https://www.youtube-nocookie.com/embed/dQw4w9WgXc0" },
	{ "https://music.youtube.com/watch?v=dQw4w9WgXc0&list=PLabc",
	    "https://youtube.com/live/dQw4w9WgXc0?feature=share" },
	{ "youtube.com/v/dQw4w9WgXc0",
	    "https://www.youtube.com/watch?app=desktop&v=dQw4w9WgXc0"
	    "&ab_channel=Example" },
	{ "https://www.youtube.com/@ExampleChannel",
	    "https://youtube.com/@examplechannel?si=xyz" },
	/* Facebook */
	{ "https://www.facebook.com/permalink.php?story_fbid=1234567890&id=42",
	    "https://www.facebook.com/exampleuser/posts/1234567890" },
	{ "https://m.facebook.com/story.php?story_fbid=1234567890&id=42"
	  "&mibextid=Nif5oz",
	    "https://www.facebook.com/groups/987654321/posts/1234567890/" },
	{ "https://www.facebook.com/groups/987654321/permalink/1234567890/",
	    "https://mbasic.facebook.com/exampleuser/posts/1234567890" },
	{ "https://web.facebook.com/exampleuser/posts/"
	  "pfbid02AbCdEfGhIjKlMnOpQrStUv?__cft__[0]=AZx&__tn__=%2CO%2CP-R",
	    "https://www.facebook.com/story.php?id=42&story_fbid="
	    "pfbid02AbCdEfGhIjKlMnOpQrStUv" },
	{ "https://www.facebook.com/photo.php?fbid=5556667778&set=a.1",
	    "https://www.facebook.com/photo/?fbid=5556667778&set=a.1" },
	{ "https://www.facebook.com/exampleuser/photos/a.111/5556667778/",
	    "https://m.facebook.com/photo.php?fbid=5556667778" },
	{ "https://www.facebook.com/watch/?v=3334445556",
	    "https://www.facebook.com/reel/3334445556?mibextid=abc" },
	{ "https://www.facebook.com/exampleuser/videos/3334445556/",
	    "https://www.facebook.com/exampleuser/videos/some-title/"
	    "3334445556" },
	{ "https://www.facebook.com/share/p/1AbCdEfGhI/?mibextid=WC7FNe",
	    "https://m.facebook.com/share/p/1AbCdEfGhI/" },
	{ "https://fb.watch/aBcDe12FgH/?mibextid=Nif5oz",
	    "fb.watch/aBcDe12FgH" },
	{ "https://www.facebook.com/ExampleUser?fbclid=IwAR0abc",
	    "https://fb.com/exampleuser/" },
	{ "https://www.facebook.com/exampleuser/posts/1234567890"
	  "?comment_id=777&__cft__[0]=x",
	    "https://facebook.com/permalink.php?story_fbid=1234567890"
	    "&comment_id=777" },
	/* Instagram */
	{ "https://www.instagram.com/p/CaBcDeFgH12/",
	    "https://instagram.com/reel/CaBcDeFgH12/?igsh=MzRlODBiNWFlZA==" },
	{ "https://www.instagram.com/reels/CaBcDeFgH12/",
	    "https://www.instagram.com/exampleuser/p/CaBcDeFgH12/"
	    "?img_index=2" },
	{ "https://www.instagram.com/tv/CaBcDeFgH12",
	    "instagr.am/p/CaBcDeFgH12" },
	{ "https://www.instagram.com/ExampleUser/?hl=fi",
	    "instagram.com/exampleuser?igshid=abc" },
	/* TikTok */
	{ "https://www.tiktok.com/@exampleuser/video/7234567890123456789"
	  "?is_from_webapp=1&sender_device=pc",
	    "https://m.tiktok.com/v/7234567890123456789.html" },
	{ "https://www.tiktok.com/embed/v2/7234567890123456789",
	    "https://www.tiktok.com/@other.name/photo/7234567890123456789"
	    "?_r=1&_t=8abc" },
	{ "https://tiktok.com/video/7234567890123456789",
	    "https://www.tiktok.com/@exampleuser/video/7234567890123456789/" },
	{ "https://vm.tiktok.com/ZMabc123/", "vm.tiktok.com/ZMabc123?x=1" },
	/* Reddit */
	{ "https://www.reddit.com/r/Suomi/comments/1abcd2/some_title/",
	    "https://old.reddit.com/r/suomi/comments/1abcd2/" },
	{ "https://np.reddit.com/r/Suomi/comments/1abcd2/some_title/"
	  "?utm_source=share&utm_medium=web2x&context=3",
	    "https://redd.it/1abcd2" },
	{ "https://new.reddit.com/r/Suomi/comments/1abcd2",
	    "https://reddit.com/comments/1abcd2/other_slug" },
	{ "https://www.reddit.com/r/Suomi/comments/1abcd2/some_title/kxyz789/",
	    "https://www.reddit.com/r/Suomi/comments/1abcd2/comment/kxyz789/"
	    "?context=3" },
	{ "https://www.reddit.com/r/Suomi/s/AbCdEf1234?share_id=x",
	    "https://reddit.com/r/suomi/s/AbCdEf1234" },
	{ "https://www.reddit.com/gallery/1abcd2",
	    "https://i.reddit.com/r/Suomi/comments/1abcd2/" },
	{ "https://www.reddit.com/user/exampleuser/comments/1abcd2/title/",
	    "https://reddit.com/comments/1abcd2" },
	/* Telegram */
	{ "https://t.me/ExampleChannel/1234", "t.me/s/examplechannel/1234" },
	{ "https://telegram.me/ExampleChannel/1234?single",
	    "https://telegram.dog/examplechannel/1234?embed=1" },
	{ "https://t.me/examplechannel/1234?comment=55&thread=9",
	    "https://t.me/s/ExampleChannel/1234?comment=55" },
	{ "https://t.me/examplegroup/7/1234",
	    "https://t.me/examplegroup/1234" },
	{ "https://t.me/c/1987654321/1234", "t.me/c/1987654321/7/1234?single" },
	{ "https://t.me/s/ExampleChannel", "https://t.me/examplechannel/" },
	/* Finnish forums */
	{ "https://keskustelu.suomi24.fi/t/17123456/otsikko-tassa",
	    "https://keskustelu.suomi24.fi/t/17123456?page=2#comment-99" },
	{ "https://keskustelu.suomi24.fi/ajankohtaiset?sort=new",
	    "keskustelu.suomi24.fi/ajankohtaiset" },
	{ "https://www.vauva.fi/keskustelu/4567890/otsikko-tassa",
	    "https://vauva.fi/keskustelu/4567890/toinen-otsikko?page=1" },
	{ "https://ylilauta.org/satunnainen/123456789",
	    "https://ylilauta.org/satunnainen/123456789#no123456789" },
	{ "https://ylilauta.org/satunnainen/123456789#no123456790",
	    "http://www.ylilauta.org/Satunnainen/123456789/?x=1#no123456790" },
	/* Generic normalisation */
	{ "HTTP://Example.COM/a", "https://example.com/a" },
	{ "https://user:secret@example.com:443/a", "example.com/a" },
	{ "http://example.com:80/a/./b/../c//d/", "https://example.com/a/c/d" },
	{ "https://example.com/%7Euser/%41%62c",
	    "https://example.com/~user/Abc" },
	{ "https://example.com/a%2fb", "https://example.com/a%2Fb" },
	{ "https://example.com/?b=2&a=1&utm_source=x&utm_medium=y",
	    "https://example.com?a=1&b=2&fbclid=IwAR0" },
	{ "https://example.com/x?a=2&a=1", "https://example.com/x/?a=2&a=1" },
	{ "https://example.com.", "https://example.com/#top" },
	{ "https://www.example.com/x", "https://m.example.com/x" },
	{ "https://example.com/ä", "https://example.com/%c3%a4" },
	{ "https://example.com/a b", "https://example.com/a%20b" },
	{ "https://example.com/a\\b", "https://example.com/a/b" },
	{ "\xef\xbb\xbfhttps://example.com/a\xc2\xa0",
	    "https://example.com/very\n/../a" },
	{ "https://example.com/%2e%2E/a", "https://example.com/a" },
	{ "https://example.com:8080/a", "example.com:08080/a" },
	{ "https:example.com/a", "https:\\\\example.com\\a" },
};

/* Different posts that look alike. */
static const struct url_pair different[] = {
	{ "https://x.com/exampleuser/status/1234567890123456789",
	    "https://x.com/exampleuser/status/1234567890123456788" },
	{ "https://x.com/exampleuser",
	    "https://x.com/exampleuser/status/1234567890123456789" },
	{ "https://x.com/exampleuser", "https://x.com/exampleuser2" },
	{ "https://www.youtube.com/watch?v=dQw4w9WgXc0",
	    "https://www.youtube.com/watch?v=dQw4w9WgXc1" },
	{ "https://www.youtube.com/@examplechannel",
	    "https://www.youtube.com/watch?v=dQw4w9WgXc0" },
	{ "https://youtu.be/dQw4w9WgXc0", "https://youtu.be/dQw4w9WgXC0" },
	{ "https://www.facebook.com/exampleuser/posts/1234567890",
	    "https://www.facebook.com/exampleuser/posts/1234567891" },
	{ "https://www.facebook.com/exampleuser/posts/1234567890",
	    "https://www.facebook.com/exampleuser/posts/1234567890"
	    "?comment_id=777" },
	{ "https://www.facebook.com/photo.php?fbid=1234567890",
	    "https://www.facebook.com/watch/?v=1234567890" },
	{ "https://www.facebook.com/share/p/1AbCdEfGhI/",
	    "https://www.facebook.com/share/p/1abcdefghi/" },
	{ "https://www.facebook.com/profile.php?id=100001",
	    "https://www.facebook.com/profile.php?id=100002" },
	{ "https://www.instagram.com/p/CaBcDeFgH12/",
	    "https://www.instagram.com/p/CaBcDeFgH13/" },
	{ "https://www.instagram.com/p/CaBcDeFgH12/",
	    "https://www.instagram.com/p/cabcdefgh12/" },
	{ "https://www.tiktok.com/@exampleuser/video/7234567890123456789",
	    "https://www.tiktok.com/@exampleuser/video/7234567890123456780" },
	{ "https://vm.tiktok.com/ZMabc123/",
	    "https://vm.tiktok.com/ZMabc124/" },
	{ "https://www.reddit.com/r/Suomi/comments/1abcd2/title/",
	    "https://www.reddit.com/r/Suomi/comments/1abcd3/title/" },
	{ "https://www.reddit.com/r/Suomi/comments/1abcd2/title/",
	    "https://www.reddit.com/r/Suomi/comments/1abcd2/title/kxyz789/" },
	{ "https://www.reddit.com/r/Suomi/",
	    "https://www.reddit.com/r/Suomi2/" },
	{ "https://t.me/examplechannel/1234",
	    "https://t.me/examplechannel/1235" },
	{ "https://t.me/examplechannel/1234",
	    "https://t.me/examplechannel/1234?comment=5" },
	{ "https://t.me/examplechannel/1234",
	    "https://t.me/otherchannel/1234" },
	{ "https://ylilauta.org/satunnainen/123456789#no123456790",
	    "https://ylilauta.org/satunnainen/123456789#no123456791" },
	{ "https://ylilauta.org/satunnainen/123456789",
	    "https://ylilauta.org/satunnainen/123456789#no123456791" },
	{ "https://vauva.fi/keskustelu/4567890/a",
	    "https://vauva.fi/keskustelu/4567891/a" },
	{ "https://keskustelu.suomi24.fi/t/17123456",
	    "https://keskustelu.suomi24.fi/t/17123457" },
	{ "https://example.com/A", "https://example.com/a" },
	{ "https://example.com/x?q=1", "https://example.com/x?q=2" },
	{ "https://example.com:8080/", "https://example.com/" },
	{ "https://web.archive.org/x", "https://archive.org/x" },
	{ "https://example.com/?s=a", "https://example.com/?s=b" },
};

static const struct url_want exact[] = {
	{ "twitter.com/exampleuser/status/1234567890123456789?s=20",
	    "https://x.com/i/status/1234567890123456789" },
	{ "https://twitter.com/ExampleUser?lang=fi&s=09",
	    "https://x.com/exampleuser?lang=fi" },
	{ "www.youtube.com/watch?v=dQw4w9WgXc0&list=PL1&index=2",
	    "https://youtube.com/watch?v=dQw4w9WgXc0" },
	{ "https://youtu.be/dQw4w9WgXc0?t=42",
	    "https://youtube.com/watch?v=dQw4w9WgXc0" },
	{ "https://www.youtube.com/channel/UCabc?si=x",
	    "https://youtube.com/channel/UCabc" },
	{ "https://www.youtube.com/watch?v=short",
	    "https://youtube.com/watch?v=short" },
	{ "https://m.facebook.com/story.php?story_fbid=1234567890&id=42",
	    "https://facebook.com/posts/1234567890" },
	{ "https://www.facebook.com/exampleuser/posts/pfbid02AbC?__tn__=R",
	    "https://facebook.com/posts/pfbid02AbC" },
	{ "https://www.facebook.com/photo/?fbid=5556667778&set=a.1",
	    "https://facebook.com/photo.php?fbid=5556667778" },
	{ "https://www.facebook.com/watch/?v=3334445556&comment_id=9",
	    "https://facebook.com/watch?v=3334445556&comment_id=9" },
	{ "https://www.facebook.com/exampleuser/posts/1234567890"
	  "?reply_comment_id=8&comment_id=7",
	    "https://facebook.com/posts/1234567890?comment_id=7"
	    "&reply_comment_id=8" },
	{ "https://www.facebook.com/share/v/1AbC/",
	    "https://facebook.com/share/v/1AbC" },
	{ "https://fb.watch/aBcDe12FgH/", "https://fb.watch/aBcDe12FgH" },
	{ "https://www.facebook.com/profile.php?id=100001&sk=photos&ref=bm",
	    "https://facebook.com/profile.php?id=100001&sk=photos" },
	{ "https://www.instagram.com/exampleuser/reel/CaBcD_eF-12/?igsh=abc",
	    "https://instagram.com/p/CaBcD_eF-12" },
	{ "https://www.instagram.com/stories/ExampleUser/3123456789012345678/",
	    "https://instagram.com/stories/exampleuser/3123456789012345678" },
	{ "https://www.tiktok.com/@ExampleUser/video/7234567890123456789",
	    "https://tiktok.com/video/7234567890123456789" },
	{ "https://www.tiktok.com/@ExampleUser?lang=fi",
	    "https://tiktok.com/@exampleuser" },
	{ "https://vm.tiktok.com/ZMabc123/", "https://vm.tiktok.com/ZMabc123" },
	{ "https://www.tiktok.com/t/ZTabc123/?k=1",
	    "https://tiktok.com/t/ZTabc123" },
	{ "https://old.reddit.com/r/Suomi/comments/1ABCD2/title/",
	    "https://reddit.com/comments/1abcd2" },
	{ "https://www.reddit.com/r/Suomi/comments/1abcd2/title/kxyz789/",
	    "https://reddit.com/comments/1abcd2/comment/kxyz789" },
	{ "https://www.reddit.com/r/Suomi/s/AbCdEf1234",
	    "https://reddit.com/r/suomi/s/AbCdEf1234" },
	{ "https://www.reddit.com/r/Suomi/top/?t=week",
	    "https://reddit.com/r/suomi/top?t=week" },
	{ "t.me/s/ExampleChannel/1234?single",
	    "https://t.me/examplechannel/1234" },
	{ "https://t.me/ExampleChannel/1234?comment=55",
	    "https://t.me/examplechannel/1234?comment=55" },
	{ "https://t.me/joinchat/AbCdEf", "https://t.me/joinchat/AbCdEf" },
	{ "https://t.me/+AbCdEf", "https://t.me/+AbCdEf" },
	{ "https://keskustelu.suomi24.fi/t/17123456/otsikko-tassa?page=2",
	    "https://keskustelu.suomi24.fi/t/17123456" },
	{ "https://www.vauva.fi/keskustelu/4567890/otsikko-tassa",
	    "https://vauva.fi/keskustelu/4567890" },
	{ "https://ylilauta.org/Satunnainen/123456789/#no123456790",
	    "https://ylilauta.org/satunnainen/123456789#no123456790" },
	{ "https://ylilauta.org/satunnainen/123456789#no123456789",
	    "https://ylilauta.org/satunnainen/123456789" },
	{ "HTTP://User:pw@Example.COM.:443/%7efoo/%2fbar?b=2&a=1#frag",
	    "https://example.com/~foo/%2Fbar?a=1&b=2" },
	{ "example.com", "https://example.com/" },
	{ "https://example.com/?", "https://example.com/" },
	{ "https://example.com/?&&a&&", "https://example.com/?a" },
	{ "https://example.com/a/../../..", "https://example.com/" },
	{ "https://[::1]:8080/x", "https://[::1]:8080/x" },
	{ "https://\xc3\x84\xc3\xa4.fi/x", "https://\xc3\x84\xc3\xa4.fi/x" },
	{ "https://web.archive.org/web/2020/x",
	    "https://web.archive.org/web/2020/x" },
	{ "https://example.com/?q=a+b&Utm_Source=x&__cft__[0]=1",
	    "https://example.com/?q=a+b" },
	{ "https://example.com/x?b=1&a=2&b=0&a=1",
	    "https://example.com/x?a=2&a=1&b=1&b=0" },
};

static const struct url_want errors[] = {
	{ "", "not a link" },
	{ "   \t\n ", "not a link" },
	{ "hello", "not a link" },
	{ "hello world", "not a link" },
	{ "3.14", "not a link" },
	{ "exampleuser@example.com", "not a link" },
	{ "/just/a/path", "not a link" },
	{ "localhost:8080", "not a link" },
	{ "https://example.com/a\x01", "not a link" },
	{ "javascript:alert(1)", "unsupported scheme" },
	{ "JavaScript:void(0)", "unsupported scheme" },
	{ "data:text/html,hi", "unsupported scheme" },
	{ "ftp://example.com/file", "unsupported scheme" },
	{ "mailto:someone@example.com", "unsupported scheme" },
	{ "https://", "bad host" },
	{ "https://exa mple.com/", "bad host" },
	{ "https://example..com/", "bad host" },
	{ "https://.example.com/", "bad host" },
	{ "https://example.com:99999/", "bad host" },
	{ "https://example.com:8o/", "bad host" },
	{ "https://ex%41mple.com/", "bad host" },
	{ "https://\xc3(.fi/", "bad host" },
	{ "https://[zz]/", "bad host" },
	{ "https://example.com/%zz", "bad percent escape" },
	{ "https://example.com/%4", "bad percent escape" },
	{ "https://example.com/?a=%", "bad percent escape" },
};

static void
canon(const char *in, char *out, size_t outlen)
{
	const char *err = NULL;
	ssize_t n;

	n = url_canonical(in, strlen(in), out, outlen, &err);
	if (n < 0)
		fail_msg("\"%s\": %s", in, err);
	assert_int_equal((size_t)n, strlen(out));
}

/* Canonical forms canonicalise to themselves. */
static void
check_idempotent(const char *c)
{
	char again[URL_MAX_BYTES + 1];

	canon(c, again, sizeof(again));
	if (strcmp(c, again) != 0)
		fail_msg("not idempotent: \"%s\" -> \"%s\"", c, again);
}

static void
test_same(void **state)
{
	char a[URL_MAX_BYTES + 1], b[URL_MAX_BYTES + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		canon(same[i].a, a, sizeof(a));
		canon(same[i].b, b, sizeof(b));
		if (strcmp(a, b) != 0)
			fail_msg("pair %zu differs: \"%s\" vs \"%s\"", i, a, b);
		check_idempotent(a);
	}
}

static void
test_different(void **state)
{
	char a[URL_MAX_BYTES + 1], b[URL_MAX_BYTES + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(different) / sizeof(different[0]); i++) {
		canon(different[i].a, a, sizeof(a));
		canon(different[i].b, b, sizeof(b));
		if (strcmp(a, b) == 0)
			fail_msg("pair %zu matches: \"%s\"", i, a);
		check_idempotent(a);
		check_idempotent(b);
	}
}

static void
test_exact(void **state)
{
	char out[URL_MAX_BYTES + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		canon(exact[i].in, out, sizeof(out));
		if (strcmp(out, exact[i].want) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"", exact[i].in,
			    out, exact[i].want);
		check_idempotent(out);
	}
}

static void
test_errors(void **state)
{
	char out[64];
	const char *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		err = NULL;
		out[0] = 'x';
		if (url_canonical(errors[i].in, strlen(errors[i].in), out,
		        sizeof(out), &err) != -1)
			fail_msg("\"%s\": accepted as \"%s\"", errors[i].in,
			    out);
		if (err == NULL || strcmp(err, errors[i].want) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"",
			    errors[i].in, err ? err : "(null)", errors[i].want);
		assert_int_equal(out[0], '\0');
	}
}

/* A NUL inside the input is a control byte, not the end of the string. */
static void
test_embedded_nul(void **state)
{
	static const char in[] = "https://example.com/a\0b";
	char out[64];
	const char *err = NULL;

	(void)state;
	assert_int_equal(
	    url_canonical(in, sizeof(in) - 1, out, sizeof(out), &err), -1);
	assert_string_equal(err, "not a link");
	assert_int_equal(url_canonical(in, 21, out, sizeof(out), &err), 21);
	assert_string_equal(out, "https://example.com/a");
}

static void
test_limits(void **state)
{
	static char in[URL_MAX_BYTES + 2];
	static char out[URL_MAX_BYTES + 1];
	char small[22];
	const char *err = NULL;
	size_t n;

	(void)state;
	/* 4096 bytes are accepted, 4097 are not. */
	memcpy(in, "https://example.com/", 20);
	memset(in + 20, 'a', URL_MAX_BYTES - 20);
	assert_int_equal(
	    url_canonical(in, URL_MAX_BYTES, out, sizeof(out), &err),
	    URL_MAX_BYTES);
	in[URL_MAX_BYTES] = 'a';
	assert_int_equal(
	    url_canonical(in, URL_MAX_BYTES + 1, out, sizeof(out), &err), -1);
	assert_string_equal(err, "too long");

	/* Expansion by percent-encoding past the limit is too long. */
	n = 20;
	while (n + 2 <= 3000) {
		in[n++] = '\xc3';
		in[n++] = '\xa4';
	}
	assert_int_equal(url_canonical(in, n, out, sizeof(out), &err), -1);
	assert_string_equal(err, "too long");

	/* A form that does not fit in out. */
	assert_int_equal(url_canonical("https://example.com/abcdef", 26, small,
	                     sizeof(small), &err),
	    -1);
	assert_string_equal(err, "too long");
	assert_int_equal(small[0], '\0');
	assert_int_equal(
	    url_canonical("example.com/a", 13, small, sizeof(small), &err),
	    (ssize_t)strlen("https://example.com/a"));
	assert_int_equal(
	    url_canonical("example.com/ab", 14, small, sizeof(small), &err),
	    -1);
	assert_int_equal(url_canonical("x.com/i/status/1", 16, small, 0, &err),
	    -1);
	assert_string_equal(err, "too long");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_different),
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
