/*
 * Key files: 64 hex digits and a newline.  Loading checks the length, the
 * digits and, for secrets, that the file is private to its owner.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"

int
keys_load(const char *path, int secret, uint8_t out[KEYS_BYTES], char *errbuf,
    size_t errlen)
{
	struct stat st;
	char *text;
	size_t len, bin_len;
	const char *end;

	if (stat(path, &st) == -1) {
		snprintf(errbuf, errlen, "%s: %s (run tiplinectl keygen)", path,
		    strerror(errno));
		return -1;
	}
	if (secret && (st.st_mode & 077) != 0) {
		snprintf(errbuf, errlen,
		    "%s: readable by others (chmod 600 it)", path);
		return -1;
	}
	if ((text = util_read_file(path, 256, &len)) == NULL) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	if (len != KEYS_BYTES * 2 ||
	    sodium_hex2bin(out, KEYS_BYTES, text, len, NULL, &bin_len, &end) !=
	        0 ||
	    bin_len != KEYS_BYTES) {
		util_free_secret(text, len);
		snprintf(errbuf, errlen,
		    "%s: not a key (expected %d hex digits)", path,
		    KEYS_BYTES * 2);
		return -1;
	}
	util_free_secret(text, len);
	return 0;
}

int
keys_write(const char *path, const uint8_t key[KEYS_BYTES], int mode,
    char *errbuf, size_t errlen)
{
	char hex[KEYS_BYTES * 2 + 2];
	size_t off = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd == -1) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	sodium_bin2hex(hex, sizeof(hex), key, KEYS_BYTES);
	hex[KEYS_BYTES * 2] = '\n';
	while (off < KEYS_BYTES * 2 + 1) {
		n = write(fd, hex + off, KEYS_BYTES * 2 + 1 - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(errbuf, errlen, "%s: %s", path,
			    strerror(errno));
			sodium_memzero(hex, sizeof(hex));
			close(fd);
			unlink(path);
			return -1;
		}
		off += (size_t)n;
	}
	sodium_memzero(hex, sizeof(hex));
	if (fsync(fd) == -1 || close(fd) == -1) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
