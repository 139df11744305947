/*
 * HTML templates, a small subset of mustache over jansson values:
 *   {{name}}        the value, HTML-escaped (there is no unescaped form)
 *   {{a.b}}         a dotted path; {{.}} is the current item
 *   {{@msg.id}}     a message from the i18n catalogue, HTML-escaped
 *   {{#name}}..{{/name}}  repeat for each array item, or once if truthy
 *   {{^name}}..{{/name}}  once if falsy or an empty array
 *   {{>name}}       another template of the same set
 *   {{! comment }}
 * Templates are parsed once at startup; a bad template or an unknown
 * message id is an error then, never at render time.
 */
#ifndef TL_TMPL_H
#define TL_TMPL_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "i18n.h"
#include "util.h"

struct tmpl_set;

struct tmpl_set *tmpl_set_new(void);
void tmpl_set_free(struct tmpl_set *);

/*
 * Parses text (not copied: it must outlive the set) as template name.
 * Returns 0, or -1 with errbuf naming the template, line and problem.
 */
TL_MUSTCHECK int tmpl_add(struct tmpl_set *, const char *name, const char *text,
    size_t len, char *errbuf, size_t errlen);

/* Checks that every {{>partial}} exists. */
TL_MUSTCHECK int tmpl_check(struct tmpl_set *, char *errbuf, size_t errlen);

/* Renders into out (appending).  Returns -1 if the template is unknown or
 * out failed. */
TL_MUSTCHECK int tmpl_render(const struct tmpl_set *, const char *name,
    json_t *ctx, enum lang, struct buf *out);

#endif
