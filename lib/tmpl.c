/*
 * A mustache-like renderer whose only output path for values is HTML
 * escaping.  Parsing turns each template into a flat node array; a section
 * node records where its body ends so rendering never re-scans text.
 * Rendering keeps a bounded stack of jansson contexts for name lookup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tmpl.h"

#define TMPL_MAX_DEPTH 16
#define TMPL_MAX_NAME  64
#define TMPL_MAX_NODES 4096
#define TMPL_MAX_TMPLS 64

enum tmpl_kind {
	TMPL_N_TEXT,
	TMPL_N_VAR,
	TMPL_N_MSG,
	TMPL_N_SECTION,
	TMPL_N_INVERTED,
	TMPL_N_PARTIAL,
};

struct tmpl_node {
	enum tmpl_kind kind;
	const char *s; /* text, or the tag's name */
	size_t len;
	size_t end; /* sections: index of the node after the body */
};

struct tmpl {
	char name[TMPL_MAX_NAME];
	struct tmpl_node *nodes;
	size_t nnodes;
};

struct tmpl_set {
	struct tmpl tmpls[TMPL_MAX_TMPLS];
	size_t n;
};

struct tmpl_set *
tmpl_set_new(void)
{
	return xcalloc(1, sizeof(struct tmpl_set));
}

void
tmpl_set_free(struct tmpl_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		free(set->tmpls[i].nodes);
	free(set);
}

static int
tmpl_line(const char *text, const char *at)
{
	int line = 1;

	for (; text < at; text++)
		if (*text == '\n')
			line++;
	return line;
}

static int
tmpl_valid_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= TMPL_MAX_NAME)
		return 0;
	if (len == 1 && s[0] == '.')
		return 1;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		        s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

int
tmpl_add(struct tmpl_set *set, const char *name, const char *text, size_t len,
    char *errbuf, size_t errlen)
{
	struct tmpl_node *nodes;
	size_t n = 0, open[TMPL_MAX_DEPTH], depth = 0;
	const char *p = text, *end = text + len, *tag, *close, *nm;
	size_t nmlen;
	char key[TMPL_MAX_NAME];
	enum tmpl_kind kind;
	const char *err = NULL;

	if (set->n == TMPL_MAX_TMPLS || strlen(name) >= TMPL_MAX_NAME) {
		snprintf(errbuf, errlen, "%s: too many templates", name);
		return -1;
	}
	nodes = xcalloc(TMPL_MAX_NODES, sizeof(*nodes));
	while (p < end) {
		if (n + 2 >= TMPL_MAX_NODES) {
			err = "template too long";
			goto fail;
		}
		tag = memmem(p, (size_t)(end - p), "{{", 2);
		if (tag == NULL)
			tag = end;
		if (tag > p) {
			nodes[n++] = (struct tmpl_node){ TMPL_N_TEXT, p,
				(size_t)(tag - p), 0 };
		}
		if (tag == end)
			break;
		p = tag;
		close = memmem(tag + 2, (size_t)(end - tag - 2), "}}", 2);
		if (close == NULL) {
			err = "unclosed {{";
			goto fail;
		}
		nm = tag + 2;
		switch (*nm) {
		case '!':
			p = close + 2;
			continue;
		case '@':
			kind = TMPL_N_MSG;
			nm++;
			break;
		case '#':
			kind = TMPL_N_SECTION;
			nm++;
			break;
		case '^':
			kind = TMPL_N_INVERTED;
			nm++;
			break;
		case '>':
			kind = TMPL_N_PARTIAL;
			nm++;
			break;
		case '/':
			kind = TMPL_N_TEXT; /* marks a close below */
			nm++;
			break;
		default:
			kind = TMPL_N_VAR;
			break;
		}
		while (nm < close && *nm == ' ')
			nm++;
		nmlen = (size_t)(close - nm);
		while (nmlen > 0 && nm[nmlen - 1] == ' ')
			nmlen--;
		if (!tmpl_valid_name(nm, nmlen)) {
			err = "bad tag name";
			goto fail;
		}
		if (tag[2] == '/') {
			if (depth == 0) {
				err = "{{/...}} without an open section";
				goto fail;
			}
			depth--;
			if (nodes[open[depth]].len != nmlen ||
			    memcmp(nodes[open[depth]].s, nm, nmlen) != 0) {
				err = "{{/...}} closes another section";
				goto fail;
			}
			nodes[open[depth]].end = n;
		} else {
			if (kind == TMPL_N_MSG) {
				memcpy(key, nm, nmlen);
				key[nmlen] = '\0';
				if (i18n_get(LANG_FI, key) == NULL) {
					err = "unknown message id";
					goto fail;
				}
			}
			if (kind == TMPL_N_SECTION || kind == TMPL_N_INVERTED) {
				if (depth == TMPL_MAX_DEPTH) {
					err = "sections nested too deep";
					goto fail;
				}
				open[depth++] = n;
			}
			nodes[n++] = (struct tmpl_node){ kind, nm, nmlen, 0 };
		}
		p = close + 2;
	}
	if (depth > 0) {
		p = nodes[open[depth - 1]].s;
		err = "section not closed";
		goto fail;
	}
	snprintf(set->tmpls[set->n].name, TMPL_MAX_NAME, "%s", name);
	set->tmpls[set->n].nodes = nodes;
	set->tmpls[set->n].nnodes = n;
	set->n++;
	return 0;
fail:
	snprintf(errbuf, errlen, "template %s:%d: %s", name, tmpl_line(text, p),
	    err);
	free(nodes);
	return -1;
}

static const struct tmpl *
tmpl_find(const struct tmpl_set *set, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strlen(set->tmpls[i].name) == len &&
		    memcmp(set->tmpls[i].name, name, len) == 0)
			return &set->tmpls[i];
	return NULL;
}

int
tmpl_check(struct tmpl_set *set, char *errbuf, size_t errlen)
{
	size_t i, j;
	const struct tmpl_node *nd;

	for (i = 0; i < set->n; i++) {
		for (j = 0; j < set->tmpls[i].nnodes; j++) {
			nd = &set->tmpls[i].nodes[j];
			if (nd->kind == TMPL_N_PARTIAL &&
			    tmpl_find(set, nd->s, nd->len) == NULL) {
				snprintf(errbuf, errlen,
				    "template %s: unknown partial %.*s",
				    set->tmpls[i].name, (int)nd->len, nd->s);
				return -1;
			}
		}
	}
	return 0;
}

struct tmpl_run {
	const struct tmpl_set *set;
	json_t *stack[TMPL_MAX_DEPTH * 2];
	size_t depth;
	enum lang lang;
	struct buf *out;
	int partials;
};

static json_t *
tmpl_lookup(struct tmpl_run *r, const char *name, size_t len)
{
	char seg[TMPL_MAX_NAME];
	const char *dot;
	size_t seglen, i;
	json_t *v = NULL;

	if (len == 1 && name[0] == '.')
		return r->stack[r->depth - 1];
	dot = memchr(name, '.', len);
	seglen = dot ? (size_t)(dot - name) : len;
	memcpy(seg, name, seglen);
	seg[seglen] = '\0';
	for (i = r->depth; i > 0; i--) {
		if (json_is_object(r->stack[i - 1]) &&
		    (v = json_object_get(r->stack[i - 1], seg)) != NULL)
			break;
	}
	while (v != NULL && dot != NULL) {
		name = dot + 1;
		len -= seglen + 1;
		dot = memchr(name, '.', len);
		seglen = dot ? (size_t)(dot - name) : len;
		memcpy(seg, name, seglen);
		seg[seglen] = '\0';
		v = json_is_object(v) ? json_object_get(v, seg) : NULL;
	}
	return v;
}

static int
tmpl_truthy(json_t *v)
{
	if (v == NULL || json_is_null(v) || json_is_false(v))
		return 0;
	if (json_is_array(v))
		return json_array_size(v) > 0;
	if (json_is_string(v))
		return json_string_length(v) > 0;
	if (json_is_integer(v))
		return json_integer_value(v) != 0;
	return 1;
}

static void tmpl_run_nodes(struct tmpl_run *, const struct tmpl *, size_t,
    size_t);

static void
tmpl_push_run(struct tmpl_run *r, const struct tmpl *t, json_t *v, size_t from,
    size_t to)
{
	if (r->depth == ARRAY_SIZE(r->stack)) {
		r->out->err = true;
		return;
	}
	r->stack[r->depth++] = v;
	tmpl_run_nodes(r, t, from, to);
	r->depth--;
}

static void
tmpl_run_nodes(struct tmpl_run *r, const struct tmpl *t, size_t from, size_t to)
{
	const struct tmpl_node *nd;
	const struct tmpl *sub;
	char key[TMPL_MAX_NAME];
	const char *msg;
	json_t *v, *item;
	size_t i, k;

	for (i = from; i < to && !r->out->err; i++) {
		nd = &t->nodes[i];
		switch (nd->kind) {
		case TMPL_N_TEXT:
			buf_append(r->out, nd->s, nd->len);
			break;
		case TMPL_N_VAR:
			v = tmpl_lookup(r, nd->s, nd->len);
			if (json_is_string(v))
				buf_html(r->out, json_string_value(v),
				    json_string_length(v));
			else if (json_is_integer(v))
				buf_printf(r->out, "%lld",
				    (long long)json_integer_value(v));
			else if (json_is_real(v))
				buf_printf(r->out, "%g", json_real_value(v));
			break;
		case TMPL_N_MSG:
			memcpy(key, nd->s, nd->len);
			key[nd->len] = '\0';
			if ((msg = i18n_get(r->lang, key)) != NULL)
				buf_html(r->out, msg, strlen(msg));
			break;
		case TMPL_N_SECTION:
			v = tmpl_lookup(r, nd->s, nd->len);
			if (json_is_array(v)) {
				json_array_foreach(v, k, item)
				    tmpl_push_run(r, t, item, i + 1, nd->end);
			} else if (tmpl_truthy(v))
				tmpl_push_run(r, t, v, i + 1, nd->end);
			i = nd->end - 1;
			break;
		case TMPL_N_INVERTED:
			v = tmpl_lookup(r, nd->s, nd->len);
			if (!tmpl_truthy(v))
				tmpl_run_nodes(r, t, i + 1, nd->end);
			i = nd->end - 1;
			break;
		case TMPL_N_PARTIAL:
			sub = tmpl_find(r->set, nd->s, nd->len);
			if (sub == NULL || ++r->partials > 64) {
				r->out->err = true;
				break;
			}
			tmpl_run_nodes(r, sub, 0, sub->nnodes);
			break;
		}
	}
}

int
tmpl_render(const struct tmpl_set *set, const char *name, json_t *ctx,
    enum lang lang, struct buf *out)
{
	struct tmpl_run r;
	const struct tmpl *t;

	if ((t = tmpl_find(set, name, strlen(name))) == NULL)
		return -1;
	memset(&r, 0, sizeof(r));
	r.set = set;
	r.lang = lang;
	r.out = out;
	r.stack[r.depth++] = ctx;
	tmpl_run_nodes(&r, t, 0, t->nnodes);
	return out->err ? -1 : 0;
}
