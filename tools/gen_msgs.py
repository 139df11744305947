#!/usr/bin/env python3
"""Turns the message catalogues into the one sorted C table that
lib/i18n.c includes:

  lib/messages.tsv          the public pages: id, Finnish, Swedish, English
  lib/messages_console.tsv  the console: id, Finnish, Swedish, English
  lib/lang/XX.tsv           the public pages in language XX: id, text

Lines are tab-separated; lines starting with '#' are comments.  Fails,
naming the file and line, on a duplicate id, a missing or empty text, a
line with the wrong number of columns, a translation that lacks an id of
lib/messages.tsv or has one it does not, or a translation whose
placeholders ({department}) or line breaks (\\n) differ from the English.

    gen_msgs.py PUBLIC CONSOLE XX.tsv... DST"""
import os
import re
import sys

# The order of enum lang in lib/i18n.h.
STAFF = ['fi', 'sv', 'en']
PUBLIC_ONLY = ['ar', 'fa', 'so', 'ru', 'uk', 'et', 'se']


def cstr(s):
    if s is None:
        return 'NULL'
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def marks(s):
    """What a translation must keep of its source."""
    return (sorted(re.findall(r'\{[a-z_]+\}', s)), s.count('\\n'))


def rows_of(path, ncols):
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if not line or line.startswith('#'):
                continue
            parts = line.split('\t')
            if len(parts) != ncols or not all(p.strip() for p in parts):
                sys.exit(f'{path}:{n}: expected an id and {ncols - 1} '
                         'non-empty text(s), tab-separated')
            yield n, parts


def main(public, console, trans, dst):
    rows = {}
    pub = []
    for src, is_pub in ((public, True), (console, False)):
        for n, parts in rows_of(src, 4):
            if parts[0] in rows:
                sys.exit(f'{src}:{n}: duplicate message id {parts[0]}')
            rows[parts[0]] = (is_pub, parts[1:] + [None] * len(PUBLIC_ONLY))
            if is_pub:
                pub.append(parts[0])
    codes = [os.path.basename(t)[:-len('.tsv')] for t in trans]
    if codes != PUBLIC_ONLY:
        sys.exit(f'translations {codes}: expected {PUBLIC_ONLY} in order')
    for k, path in enumerate(trans):
        seen = []
        for n, (mid, text) in rows_of(path, 2):
            if mid not in rows or not rows[mid][0]:
                sys.exit(f'{path}:{n}: {mid} is not a public message')
            texts = rows[mid][1]
            if texts[3 + k] is not None:
                sys.exit(f'{path}:{n}: duplicate message id {mid}')
            if marks(text) != marks(texts[2]):
                sys.exit(f'{path}:{n}: {mid}: placeholders or \\n differ '
                         'from the English')
            texts[3 + k] = text
            seen.append(mid)
        missing = [m for m in pub if m not in set(seen)]
        if missing:
            sys.exit(f'{path}: missing {", ".join(missing)}')
    with open(dst, 'w', encoding='utf-8') as f:
        f.write('/* Generated from the message catalogues by '
                'tools/gen_msgs.py. */\n')
        for mid in sorted(rows, key=lambda m: m.encode()):
            is_pub, texts = rows[mid]
            f.write('{ %s, %d, { %s } },\n' % (
                cstr(mid), is_pub, ', '.join(cstr(t) for t in texts)))


if __name__ == '__main__':
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:-1], sys.argv[-1])
