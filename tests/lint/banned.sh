#!/usr/bin/env bash
# Functions with safer replacements never appear in our C code.
cd "$(dirname "$0")/../.." || exit 1
pat='\b(sprintf|vsprintf|strcpy|strcat|strncpy|strtok|gets|atoi|atol|localtime|system)[[:space:]]*\('
if git grep -nE "$pat" -- '*.c' '*.h'; then
	echo "banned function used (see STYLE.md)"
	exit 1
fi
exit 0
