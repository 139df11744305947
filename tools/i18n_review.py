#!/usr/bin/env python3
"""Which messages of a translated catalogue a native speaker still has to
review: those never reviewed, and those whose English source or whose
translation changed since the review.

    tools/i18n_review.py LANG            list them (id, why, English, text)
    tools/i18n_review.py LANG --mark     record the whole catalogue as
                                         reviewed now
    tools/i18n_review.py LANG --mark ID...   record only these messages
    tools/i18n_review.py --summary       how many wait, per language

LANG is one of the catalogues in lib/lang/ (ar, fa, so, ru, uk, et, se).
A review is recorded in lib/lang/LANG.reviewed: one line per message, its
id and a hash of the English and the translation as they were reviewed;
commit that file with the corrected catalogue.  --root DIR reads another
copy of the repository."""
import hashlib
import os
import sys

LANGS = ['ar', 'fa', 'so', 'ru', 'uk', 'et', 'se']


def rows(path, ncols):
    out = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\n')
            if not line or line.startswith('#'):
                continue
            parts = line.split('\t')
            if len(parts) == ncols:
                out[parts[0]] = parts[1:]
    return out


def digest(english, text):
    h = hashlib.sha256((english + '\x1f' + text).encode('utf-8'))
    return h.hexdigest()[:16]


def state(root, lang):
    english = {k: v[2] for k, v in
               rows(os.path.join(root, 'lib', 'messages.tsv'), 4).items()}
    trans = {k: v[0] for k, v in
             rows(os.path.join(root, 'lib', 'lang', lang + '.tsv'),
                  2).items()}
    path = os.path.join(root, 'lib', 'lang', lang + '.reviewed')
    reviewed = rows(path, 2) if os.path.exists(path) else {}
    return english, trans, {k: v[0] for k, v in reviewed.items()}, path


def pending(english, trans, reviewed):
    for mid, text in trans.items():
        if mid not in reviewed:
            yield mid, 'new'
        elif reviewed[mid] != digest(english.get(mid, ''), text):
            yield mid, 'changed'


def main(argv):
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
    if '--root' in argv:
        i = argv.index('--root')
        root = argv[i + 1]
        del argv[i:i + 2]
    if argv == ['--summary']:
        for lang in LANGS:
            e, t, r, _ = state(root, lang)
            n = sum(1 for _ in pending(e, t, r))
            print(f'{lang}\t{n} of {len(t)} messages to review')
        return 0
    if not argv or argv[0] not in LANGS:
        sys.stderr.write(__doc__ + '\n')
        return 2
    lang = argv[0]
    english, trans, reviewed, path = state(root, lang)
    if len(argv) > 1 and argv[1] == '--mark':
        ids = argv[2:] or list(trans)
        for mid in ids:
            if mid not in trans:
                sys.stderr.write(f'{lang}: no message {mid}\n')
                return 1
            reviewed[mid] = digest(english.get(mid, ''), trans[mid])
        with open(path, 'w', encoding='utf-8') as f:
            f.write(f'# Messages of lib/lang/{lang}.tsv as a native speaker '
                    'reviewed them (tools/i18n_review.py).\n')
            for mid in sorted(reviewed):
                if mid in trans:
                    f.write(f'{mid}\t{reviewed[mid]}\n')
        print(f'{lang}: {len(ids)} messages recorded as reviewed')
        return 0
    if len(argv) > 1:
        sys.stderr.write(__doc__ + '\n')
        return 2
    for mid, why in pending(english, trans, reviewed):
        print(f'{mid}\t{why}\t{english.get(mid, "")}\t{trans[mid]}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
