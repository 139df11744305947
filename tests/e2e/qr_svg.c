/*
 * Prints totp_qr_svg() of its argument, for test_qr.py, which renders the
 * SVG in Chromium and reads the picture back with zbarimg.
 */
#include <stdio.h>
#include <stdlib.h>

#include "totp.h"

int
main(int argc, char *argv[])
{
	char *svg;

	if (argc != 2) {
		fprintf(stderr, "usage: qr_svg TEXT\n");
		return 2;
	}
	if ((svg = totp_qr_svg(argv[1], "QR code")) == NULL)
		return 1;
	printf("%s\n", svg);
	free(svg);
	return 0;
}
