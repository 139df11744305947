#!/usr/bin/env python3
"""Turns the message catalogues (lib/messages.tsv for the public pages,
lib/messages_console.tsv for the console; lines of id, Finnish, Swedish,
English, tab-separated) into the one sorted C table that lib/i18n.c
includes.  Fails on a duplicate id, a missing text or a line with the
wrong number of columns.

    gen_msgs.py SRC... DST"""
import sys


def cstr(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def main(srcs, dst):
    rows = []
    for src in srcs:
        with open(src, encoding='utf-8') as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip('\n')
                if not line or line.startswith('#'):
                    continue
                parts = line.split('\t')
                if len(parts) != 4 or not all(p.strip() for p in parts):
                    sys.exit(f'{src}:{n}: expected id and three '
                             'non-empty texts')
                rows.append(parts)
    rows.sort(key=lambda r: r[0].encode())
    ids = [r[0] for r in rows]
    for a, b in zip(ids, ids[1:]):
        if a == b:
            sys.exit(f'duplicate message id {a}')
    with open(dst, 'w', encoding='utf-8') as f:
        f.write('/* Generated from the message catalogues by tools/gen_msgs.py. */\n')
        for r in rows:
            f.write('{ %s, { %s, %s, %s } },\n' % tuple(cstr(x) for x in r))


if __name__ == '__main__':
    main(sys.argv[1:-1], sys.argv[-1])
