/*
 * Unit tests of the configuration: defaults, every documented key, and
 * the errors that name file, line and key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg.h"

static void
test_defaults(void **state)
{
	struct cfg cfg;
	char err[512];

	(void)state;
	assert_int_equal(
	    cfg_parse("", "/etc/tipline/tipline.ini", &cfg, err, sizeof(err)),
	    0);
	assert_int_equal(cfg.files_per_tip, 5);
	assert_int_equal(cfg.max_file_bytes, 10 << 20);
	assert_int_equal(cfg.max_pixels, 40000000);
	assert_int_equal(cfg.arrival_truncate_ms, 3600 * 1000);
	assert_string_equal(cfg.intake_listen, "127.0.0.1:8443");
	/* Rates are microseconds per token. */
	assert_int_equal(cfg.intake_tip_client_every_us, 180000000LL);
	assert_int_equal(cfg.intake_status_every_us, 50000);
	assert_int_equal(cfg.intake_status_client_every_us, 60000000LL);
	/* Relative paths are relative to the file's directory. */
	assert_string_equal(cfg.key_public, "/etc/tipline/seal.pub");
	assert_string_equal(cfg.intake_cert, "/etc/tipline/intake.crt");
	assert_string_equal(cfg.console_listen, "127.0.0.1:8444");
	assert_string_equal(cfg.console_cert, "/etc/tipline/console.crt");
	assert_string_equal(cfg.console_key, "/etc/tipline/console.key");
	assert_string_equal(cfg.console_db_user, "tipline_console");
	assert_int_equal(cfg.console_threads, 2);
	assert_int_equal(cfg.console_max_connections, 128);
	assert_int_equal(cfg.console_max_header_bytes, 16 << 10);
	assert_int_equal(cfg.console_timeout_ms, 60000);
	assert_int_equal(cfg.console_shutdown_grace_ms, 10000);
	assert_int_equal(cfg.console_session_idle_ms, 30 * 60000);
	assert_int_equal(cfg.console_session_lifetime_ms, 12 * 3600000);
	assert_int_equal(cfg.console_password_memory, 64 << 20);
	assert_int_equal(cfg.console_password_passes, 2);
	assert_int_equal(cfg.console_lockout_after, 5);
	assert_int_equal(cfg.console_lockout_delay_ms, 2000);
	assert_int_equal(cfg.console_lockout_max_ms, 15 * 60000);
	assert_string_equal(cfg.console_audit_head_file, "");
	assert_int_equal(cfg.console_audit_head_every_ms, 5 * 60000);
	/* E-mail is off until a host is set; STARTTLS is required. */
	assert_string_equal(cfg.smtp_host, "");
	assert_int_equal(cfg.smtp_port, 587);
	assert_true(cfg.smtp_starttls);
	assert_string_equal(cfg.smtp_ca_file, "");
	assert_string_equal(cfg.smtp_password_file, "");
	assert_int_equal(cfg.smtp_timeout_ms, 30000);
	assert_string_equal(cfg.feedback_status_url, "");
	assert_false(cfg.feedback_email_content);
	assert_int_equal(cfg.feedback_email_max_attempts, 8);
	assert_int_equal(cfg.feedback_email_backoff_ms, 60000);
	/* No address: the console makes no notices until one is set. */
	assert_string_equal(cfg.notifier_name, "Poliisi");
	assert_string_equal(cfg.notifier_email, "");
	cfg_free(&cfg);
}

static void
test_values(void **state)
{
	struct cfg cfg;
	char err[512];
	const char *text = "[limits]\nmax_file_bytes = 2M\n"
	                   "files_per_tip=3 ; inline comment\n"
	                   "[intake]\nlisten = [::1]:9443\ntimeout = 90s\n"
	                   "cert = /abs/c.pem\n"
	                   "status_rate = 100000\ntip_rate = 3/min\n"
	                   "tip_client_rate = 1/d\nfollowup_rate = 7/h\n"
	                   "[log]\nlevel = debug\n"
	                   "[console]\npassword_memory = 8K\n"
	                   "password_passes = 1\naudit_head_file = audit.head\n"
	                   "lockout_max = 1h\n";

	(void)state;
	assert_int_equal(cfg_parse(text, "t.ini", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.max_file_bytes, 2 << 20);
	assert_int_equal(cfg.files_per_tip, 3);
	assert_string_equal(cfg.intake_listen, "[::1]:9443");
	assert_int_equal(cfg.intake_timeout_ms, 90000);
	assert_string_equal(cfg.intake_cert, "/abs/c.pem");
	assert_int_equal(cfg.intake_status_every_us, 10);
	assert_int_equal(cfg.intake_tip_every_us, 20000000LL);
	assert_int_equal(cfg.intake_tip_client_every_us, 86400000000LL);
	assert_int_equal(cfg.intake_followup_every_us, 3600000000LL / 7);
	assert_int_equal(cfg.log_level, 3);
	assert_int_equal(cfg.console_password_memory, 8192);
	assert_int_equal(cfg.console_password_passes, 1);
	assert_string_equal(cfg.console_audit_head_file, "./audit.head");
	assert_int_equal(cfg.console_lockout_max_ms, 3600000);
	cfg_free(&cfg);
	assert_int_equal(
	    cfg_parse("[smtp]\nhost = mail.example.fi\nstarttls = none\n"
	              "from = noreply@example.fi\nca_file = ca.pem\n"
	              "[feedback]\nemail_content = yes\n"
	              "status_url = https://vihje.example.fi/status\n",
	        "/e/t.ini", &cfg, err, sizeof(err)),
	    0);
	assert_string_equal(cfg.smtp_host, "mail.example.fi");
	assert_false(cfg.smtp_starttls);
	assert_string_equal(cfg.smtp_from, "noreply@example.fi");
	assert_string_equal(cfg.smtp_ca_file, "/e/ca.pem");
	assert_true(cfg.feedback_email_content);
	assert_string_equal(cfg.feedback_status_url,
	    "https://vihje.example.fi/status");
	cfg_free(&cfg);
	/* An optional path may be set empty again. */
	assert_int_equal(cfg_parse("[console]\naudit_head_file =\n", "/e/t.ini",
	                     &cfg, err, sizeof(err)),
	    0);
	assert_string_equal(cfg.console_audit_head_file, "");
	cfg_free(&cfg);
	assert_int_equal(
	    cfg_parse(
	        "[notifier]\nname = Poliisihallitus, verkkovihan "
	        "tutkintayksikkö\nemail = verkkoviha.ph@poliisi.example\n",
	        "/e/t.ini", &cfg, err, sizeof(err)),
	    0);
	assert_string_equal(cfg.notifier_name,
	    "Poliisihallitus, verkkovihan tutkintayksikkö");
	assert_string_equal(cfg.notifier_email,
	    "verkkoviha.ph@poliisi.example");
	cfg_free(&cfg);
}

struct bad_case {
	const char *text;
	const char *want; /* substring of the error */
};

static void
test_errors(void **state)
{
	static const struct bad_case cases[] = {
		{ "[limits]\nmax_file_bytes = 1T\n",
		    "x.ini:2: [limits] max_file_bytes: invalid unit" },
		{ "[limits]\n\nmax_file_bytes = 999M\n",
		    "x.ini:3: [limits] max_file_bytes: too large" },
		{ "[intake]\nlisen = x\n",
		    "x.ini:2: [intake] lisen: unknown key" },
		{ "[nope]\na = b\n", "x.ini:2: [nope] a: unknown section" },
		{ "[intake]\nlisten = 127.0.0.1:99999\n",
		    "x.ini:2: [intake] listen: invalid port" },
		{ "[intake]\nlisten = nohost\n",
		    "x.ini:2: [intake] listen: invalid" },
		{ "[log]\nlevel = loud\n", "x.ini:2: [log] level: invalid" },
		{ "[database]\npool_size = -1\n",
		    "x.ini:2: [database] pool_size: too small" },
		{ "[database]\npool_size = 4x\n",
		    "x.ini:2: [database] pool_size: invalid" },
		{ "[keys]\npublic =\n", "x.ini:2: [keys] public: empty path" },
		{ "[intake]\njust a line\n", "x.ini:2: syntax error" },
		{ "[intake]\ntip_rate = 5/week\n",
		    "x.ini:2: [intake] tip_rate: invalid unit" },
		{ "[intake]\ntip_rate = 0/h\n",
		    "x.ini:2: [intake] tip_rate: too slow" },
		{ "[intake]\ntip_client_rate = 2000000/s\n",
		    "x.ini:2: [intake] tip_client_rate: too fast" },
		{ "[intake]\nstatus_rate = fast\n",
		    "x.ini:2: [intake] status_rate: invalid" },
		{ "[intake\n", "x.ini:1: syntax error" },
		{ "[console]\npassword_memory = 4K\n",
		    "x.ini:2: [console] password_memory: too small" },
		{ "[console]\npassword_passes = 21\n",
		    "x.ini:2: [console] password_passes: too large" },
		{ "[console]\ncert =\n",
		    "x.ini:2: [console] cert: empty path" },
		{ "[console]\nsession_idle = 5x\n",
		    "x.ini:2: [console] session_idle: invalid unit" },
		{ "[smtp]\nstarttls = maybe\n",
		    "x.ini:2: [smtp] starttls: invalid (use required or none)" },
		{ "[smtp]\nhost = mail.example.fi:25\n",
		    "x.ini:2: [smtp] host: invalid" },
		{ "[smtp]\nfrom = No Reply <noreply@example.fi>\n",
		    "x.ini:2: [smtp] from: invalid" },
		{ "[smtp]\nport = 0\n", "x.ini:2: [smtp] port: too small" },
		{ "[feedback]\nemail_content = maybe\n",
		    "x.ini:2: [feedback] email_content: invalid" },
		{ "[feedback]\nstatus_url = vihje.example.fi/status\n",
		    "x.ini:2: [feedback] status_url: invalid" },
		{ "[feedback]\nstatus_url = https://x.fi/a b\n",
		    "x.ini:2: [feedback] status_url: invalid" },
		{ "[feedback]\nemail_max_attempts = 21\n",
		    "x.ini:2: [feedback] email_max_attempts: too large" },
		{ "[notifier]\nemail = poliisi.example\n",
		    "x.ini:2: [notifier] email: invalid" },
		{ "[notifier]\n\nemail = a@b@poliisi.example\n",
		    "x.ini:3: [notifier] email: invalid" },
		{ "[notifier]\nemail = unit@localhost\n",
		    "x.ini:2: [notifier] email: invalid" },
		{ "[notifier]\nemail = unit@-poliisi.example\n",
		    "x.ini:2: [notifier] email: invalid" },
		{ "[notifier]\nemail = unit name@poliisi.example\n",
		    "x.ini:2: [notifier] email: invalid" },
		{ "[notifier]\nemail = unit@poliisi..example\n",
		    "x.ini:2: [notifier] email: invalid" },
		{ "[notifier]\nname = Poliisi\tyksikkö\n",
		    "x.ini:2: [notifier] name: control character" },
		{ "[notifier]\nname = Poliisi \xff\n",
		    "x.ini:2: [notifier] name: not UTF-8" },
	};
	struct cfg cfg;
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    cfg_parse(cases[i].text, "x.ini", &cfg, err, sizeof(err)),
		    -1);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err,
			    cases[i].want);
	}
}

/* files_per_tip goes up to the size of the intake's arrays, no further. */
static void
test_files_per_tip_limit(void **state)
{
	struct cfg cfg;
	char text[64], want[128], err[512];

	(void)state;
	snprintf(text, sizeof(text), "[limits]\nfiles_per_tip = %d\n",
	    CFG_MAX_FILES_PER_TIP);
	assert_int_equal(cfg_parse(text, "x.ini", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.files_per_tip, CFG_MAX_FILES_PER_TIP);
	cfg_free(&cfg);

	snprintf(text, sizeof(text), "[limits]\n\nfiles_per_tip = %d\n",
	    CFG_MAX_FILES_PER_TIP + 1);
	assert_int_equal(cfg_parse(text, "x.ini", &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
	    "x.ini:3: [limits] files_per_tip: too large (allowed 0 to %d)",
	    CFG_MAX_FILES_PER_TIP);
	if (strstr(err, want) == NULL)
		fail_msg("got \"%s\", want \"%s\"", err, want);
}

/* The key table is sorted, and the shipped file documents every key. */
static void
test_table_and_shipped_file(void **state)
{
	char *text, section[64] = "", want[160], *line, *save;
	size_t i, len;
	FILE *f;
	struct cfg cfg;
	char err[512];

	(void)state;
	for (i = 1; i < cfg_nkeys(); i++) {
		int c = strcmp(cfg_key_section(i - 1), cfg_key_section(i));

		if (c > 0 || (c == 0 && strcmp(cfg_key_name(i - 1),
		                            cfg_key_name(i)) >= 0))
			fail_msg("key table not sorted at %s.%s",
			    cfg_key_section(i), cfg_key_name(i));
	}
	f = fopen(TIPLINE_SRC "/conf/tipline.ini", "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	rewind(f);
	text = calloc(1, len + 1);
	assert_int_equal(fread(text, 1, len, f), len);
	fclose(f);
	assert_int_equal(cfg_parse(text, "tipline.ini", &cfg, err, sizeof(err)),
	    0);
	cfg_free(&cfg);
	for (i = 0; i < cfg_nkeys(); i++) {
		int found = 0;
		char *copy = strdup(text);

		for (line = strtok_r(copy, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save)) {
			if (line[0] == '[') {
				snprintf(section, sizeof(section), "%.*s",
				    (int)strcspn(line + 1, "]"), line + 1);
				continue;
			}
			snprintf(want, sizeof(want), "%s =", cfg_key_name(i));
			if (strcmp(section, cfg_key_section(i)) == 0 &&
			    strncmp(line, want, strlen(want)) == 0)
				found = 1;
		}
		free(copy);
		if (!found)
			fail_msg("conf/tipline.ini does not document %s.%s",
			    cfg_key_section(i), cfg_key_name(i));
	}
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_files_per_tip_limit),
		cmocka_unit_test(test_table_and_shipped_file),
	};

	return cmocka_run_group_tests_name("cfg", tests, NULL, NULL);
}
