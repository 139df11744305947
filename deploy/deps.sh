#!/usr/bin/env bash
# Installs the Debian 12 packages Tipline needs: "deploy/deps.sh" for
# building and running, "deploy/deps.sh test" adds what the tests use,
# "deploy/deps.sh demo" what the demo adds (a mail catcher).
# Runs apt-get only when something is missing.
set -euo pipefail

pkgs=(build-essential meson ninja-build pkg-config python3 openssl curl
      libevent-dev libhttp-parser-dev libpq-dev libssl-dev libinih-dev libsodium-dev
      libjansson-dev libmagic-dev libsystemd-dev postgresql
      libtesseract-dev libleptonica-dev tesseract-ocr-script-latn
      tesseract-ocr-script-cyrl tesseract-ocr-script-arab tesseract-ocr-osd
      libpng-dev libjpeg62-turbo-dev libwebp-dev libisal-dev oathtool
      liboath-dev libqrencode-dev libcurl4-openssl-dev)
# The demo catches its e-mail notices with a local SMTP server.
if [ "${1:-}" = demo ]; then
	pkgs+=(python3-aiosmtpd)
fi
if [ "${1:-}" = test ]; then
	pkgs+=(libcmocka-dev python3-pytest python3-psycopg clang tidy
	       libclang-rt-14-dev clang-format python3-nacl
	       libimage-exiftool-perl libjpeg-turbo-progs webp chromium
	       zbar-tools python3-aiosmtpd fonts-noto-core fonts-dejavu-core)
fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	sudo_cmd=()
	[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
	"${sudo_cmd[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
fi
