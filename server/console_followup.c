/*
 * A case page's follow-ups: what tipsters added on /status to their tips
 * (schema/0014_followup.sql), each under its tip with its time, its text
 * opened with the private key like a tip's description, and its
 * screenshots through the case's screenshot route, blurred and grey until
 * revealed like the tip's own.
 *
 * The statement that reads them also clears the case's "new information"
 * mark (case_seen()): an officer of the case's department has now opened
 * the page.  The page that clears it still shows it, once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "console.h"
#include "log.h"

json_t *
console_followups(struct web_req *wr, PGresult *res, long long case_id)
{
	json_t *out, *list, *shots, *f;
	const char *p;
	char when[32], key[64];
	unsigned seq, w, h;
	int i, n;

	out = json_pack("{s:b, s:[]}", "new_info",
	    PQntuples(res) > 0 && PQgetvalue(res, 0, 0)[0] == 't', "list");
	list = json_object_get(out, "list");
	for (i = 0; i < PQntuples(res); i++) {
		if (PQgetisnull(res, i, 1))
			continue; /* the one row of a case without any */
		console_format_time(PQgetvalue(res, i, 3), when, sizeof(when));
		shots = json_array();
		/* "seq:width:height,..." */
		for (p = PQgetvalue(res, i, 5); *p != '\0';) {
			if (sscanf(p, "%u:%u:%u%n", &seq, &w, &h, &n) != 3)
				break;
			snprintf(key, sizeof(key), "%s.%u",
			    PQgetvalue(res, i, 2), seq);
			json_array_append_new(shots,
			    json_pack("{s:s, s:I, s:s, s:I, s:I, s:I}", "tip",
			        PQgetvalue(res, i, 2), "seq", (json_int_t)seq,
			        "key", key, "width", (json_int_t)w, "height",
			        (json_int_t)h, "case", (json_int_t)case_id));
			p += n;
			if (*p == ',')
				p++;
		}
		f = json_pack("{s:s, s:s, s:s, s:o}", "id",
		    PQgetvalue(res, i, 1), "tip", PQgetvalue(res, i, 2), "at",
		    when, "shots", shots);
		if (!PQgetisnull(res, i, 4))
			json_object_set_new(f, "text",
			    json_string(console_unseal_text(wr,
			        PQgetvalue(res, i, 4))));
		json_array_append_new(list, f);
	}
	return out;
}

void
console_followups_place(json_t *tips, json_t *followups, json_t *c,
    const char *reveal, bool reveal_all)
{
	json_t *tip, *f, *list, *shot;
	const char *tid;
	size_t i, j, k;

	if (followups == NULL)
		return;
	if (c != NULL && json_is_true(json_object_get(followups, "new_info")))
		json_object_set_new(c, "new_info", json_true());
	json_array_foreach(tips, i, tip)
	{
		tid = json_string_value(json_object_get(tip, "id"));
		list = json_array();
		json_array_foreach(json_object_get(followups, "list"), j, f)
		{
			if (tid == NULL ||
			    strcmp(json_string_value(json_object_get(f, "tip")),
			        tid) != 0)
				continue;
			json_array_foreach(json_object_get(f, "shots"), k, shot)
			{
				json_object_set_new(shot, "revealed",
				    json_boolean(reveal_all ||
				                 strcmp(json_string_value(
				                            json_object_get(
				                                shot, "key")),
				                     reveal) == 0));
			}
			json_object_set_new(f, "n",
			    json_integer(
			        (json_int_t)json_array_size(list) + 1));
			json_array_append(list, f);
		}
		json_object_set_new(tip, "followups", list);
	}
}
