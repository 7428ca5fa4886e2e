// SPDX-License-Identifier: GPL-2.0
/*
 * kwikctl: configure Kwik paths, listeners and services over the "kwik"
 * generic netlink family, and show their state.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kwikctl.h"

bool kc_json;
bool kc_numeric;
bool kc_details;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: kwikctl [OPTIONS] OBJECT COMMAND [ARGS...]\n"
		"\n"
		"Objects and commands:\n"
		"  path     add | del ID | show [ID]\n"
		"  listener add | del ID | show [ID]\n"
		"  service  add ID | del ID | show [ID]\n"
		"  session  show\n"
		"  monitor\n"
		"\n"
		"Options:\n"
		"  -j, --json      JSON output\n"
		"  -n, --numeric   exact byte counts instead of K/M/G units\n"
		"  -d, --details   session show: sequence state and each path\n"
		"  -h, --help      this help; \"kwikctl OBJECT help\" for an object\n"
		"  -V, --version   print the version\n");
}

void kc_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry \"kwikctl --help\".\n", stderr);
	exit(KC_EXIT_USAGE);
}

void kc_error(const char *fmt, ...)
{
	va_list ap;

	fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Does @arg abbreviate @word ("sh" for "show"), like ip(8)? */
bool kc_matches(const char *arg, const char *word)
{
	size_t len = strlen(arg);

	return len && len <= strlen(word) && !strncmp(arg, word, len);
}

bool kc_is_help(const char *arg)
{
	return !strcmp(arg, "help") || !strcmp(arg, "-h") ||
	       !strcmp(arg, "--help");
}

uint32_t kc_parse_u32(const char *what, const char *s, uint32_t min,
		      uint32_t max)
{
	unsigned long long v;
	char *end;

	if (!s)
		kc_usage_error("%s needs a value", what);
	errno = 0;
	/* Digits only: strtoull() would accept "-1" and leading blanks. */
	if (s[0] < '0' || s[0] > '9')
		kc_usage_error("invalid %s \"%s\"", what, s);
	v = strtoull(s, &end, 0);
	if (errno || *end || v < min || v > max)
		kc_usage_error("invalid %s \"%s\" (%u..%u)", what, s, min, max);
	return (uint32_t)v;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} objects[] = {
	{ "path",	kc_cmd_path },
	{ "listener",	kc_cmd_listener },
	{ "service",	kc_cmd_service },
	{ "session",	kc_cmd_session },
	{ "monitor",	kc_cmd_monitor },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json",	no_argument, NULL, 'j' },
		{ "numeric",	no_argument, NULL, 'n' },
		{ "details",	no_argument, NULL, 'd' },
		{ "help",	no_argument, NULL, 'h' },
		{ "version",	no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int i;
	int c, ret;

	/* "+": stop at the object, its arguments are ours to parse. */
	while ((c = getopt_long(argc, argv, "+jndhV", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			kc_json = true;
			break;
		case 'n':
			kc_numeric = true;
			break;
		case 'd':
			kc_details = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("kwikctl %s (genl family %s v%d)\n",
			       KWIKCTL_VERSION, KWIK_GENL_NAME,
			       KWIK_GENL_VERSION);
			return 0;
		default:
			usage(stderr);
			return KC_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;

	if (argc < 1) {
		usage(stderr);
		return KC_EXIT_USAGE;
	}
	if (kc_is_help(argv[0])) {
		usage(stdout);
		return 0;
	}

	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
		if (!kc_matches(argv[0], objects[i].name))
			continue;
		ret = objects[i].fn(argc - 1, argv + 1);
		kc_nl_close();
		if (fflush(stdout) == EOF) {
			kc_error("writing output: %s", strerror(errno));
			return KC_EXIT_FAIL;
		}
		return ret;
	}
	kc_usage_error("unknown object \"%s\"", argv[0]);
}
