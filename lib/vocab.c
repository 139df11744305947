/*
 * The stored words of tips and cases; see vocab.h.
 */
#include <string.h>

#include "vocab.h"

const char *const vocab_platforms[VOCAB_NPLATFORMS] = { "facebook", "instagram",
	"x", "tiktok", "youtube", "telegram", "discord", "reddit", "snapchat",
	"whatsapp", "suomi24", "ylilauta", "vauva", "news", "other" };

const char *const vocab_platform_names[VOCAB_NPLATFORMS] = { "Facebook",
	"Instagram", "X (Twitter)", "TikTok", "YouTube", "Telegram", "Discord",
	"Reddit", "Snapchat", "WhatsApp", "Suomi24", "Ylilauta", "Vauva.fi",
	NULL, NULL };

const char *const vocab_motives[VOCAB_NMOTIVES] = { "ethnic", "skin",
	"religion", "orientation", "gender", "disability", "other", "unknown" };

const char *const vocab_outcomes[VOCAB_NOUTCOMES] = { "offence_reported",
	"preventive_contact", "platform_removal", "no_offence", "unidentified",
	"duplicate" };
const char *const vocab_templates[VOCAB_NTEMPLATES] = { "received", "question",
	"offence_reported", "preventive_contact", "platform_removal",
	"no_offence", "unidentified", "duplicate" };

/* The Criminal Code's grounds: the tipster's motives less "unknown". */
const char *const vocab_grounds[VOCAB_NGROUNDS] = { "ethnic", "skin",
	"religion", "orientation", "gender", "disability", "other" };

/* RL 11:10, 24:9, 25:7, 21:5, 11:11. */
const char *const vocab_offences[VOCAB_NOFFENCES] = { "agitation", "defamation",
	"menace", "assault", "discrimination", "other" };

int
vocab_find(const char *const *list, size_t n, const char *word, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(list[i]) == len && memcmp(list[i], word, len) == 0)
			return (int)i;
	return -1;
}
