/*
 * The words Tipline stores for a tip and a case, as the forms post them
 * and the database's CHECKs list them: platforms and the tipster's
 * motives (schema/0003_tips.sql), and the officer's outcome, grounds and
 * offence titles (schema/0007_console.sql).  Each list's labels come
 * from the message catalogue ("form.motive.ethnic", "console.outcome.
 * no_offence", ...), except platforms' brand names, the same in every
 * language.
 */
#ifndef TL_VOCAB_H
#define TL_VOCAB_H

#include <stddef.h>

#define VOCAB_NPLATFORMS 15
#define VOCAB_NMOTIVES   8
#define VOCAB_NOUTCOMES  6
#define VOCAB_NTEMPLATES 8
#define VOCAB_NGROUNDS   7
#define VOCAB_NOFFENCES  6

extern const char *const vocab_platforms[VOCAB_NPLATFORMS];
/* NULL where the label is a message ("form.platform.news"). */
extern const char *const vocab_platform_names[VOCAB_NPLATFORMS];
extern const char *const vocab_motives[VOCAB_NMOTIVES];
extern const char *const vocab_outcomes[VOCAB_NOUTCOMES];
/* Feedback templates: an acknowledgement, a question back, then one per
 * outcome, in vocab_outcomes' order. */
extern const char *const vocab_templates[VOCAB_NTEMPLATES];
extern const char *const vocab_grounds[VOCAB_NGROUNDS];
extern const char *const vocab_offences[VOCAB_NOFFENCES];

/* The index of word in list, or -1. */
int vocab_find(const char *const *list, size_t n, const char *word, size_t len);

#endif
