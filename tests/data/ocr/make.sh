#!/bin/sh
# Makes the synthetic screenshots under tests/data/ocr/ that test_ocr.c
# reads.  Needs Debian's imagemagick, fonts-dejavu-core and fonts-liberation;
# nothing is downloaded.  The posts are made up: no real post, person or
# account.  Run from anywhere; the outputs are committed, so this runs only
# when the images change:  sh tests/data/ocr/make.sh
set -eu
cd "$(dirname "$0")"

FI_A='Tämä on keksitty esimerkkiviesti, jossa solvataan naapureita heidän alkuperänsä vuoksi. Älkää päästäkö heitä yhteiseen saunaan Åbolandissa!'
FI_OTHER='Toinen keksitty viesti: kaupungin uusi uimahalli on liian kallis, ja sen aukioloajat ovat huonot. Äänestäkää ensi vaaleissa toisin.'
SV='Det här är ett påhittat exempelinlägg där grannar hånas för sitt ursprung. Släpp inte in dem på gården, de hör inte hemma här!'
NAME='Esimerkki Käyttäjä'
HANDLE='@esimerkki_99 · 2 t'
FOOT='Tykkää     Kommentoi     Jaa'

# post W H FONT SIZE STATUS-FG STATUS-BG CLOCK ICONS NAME HANDLE BODY FOOT OUT
post() {
	w=$1 h=$2 font=$3 pt=$4 sfg=$5 sbg=$6 clock=$7 icons=$8
	name=$9 handle=${10} body=${11} foot=${12} out=${13}
	bar=$((pt * 2))
	av=$((pt * 2))
	convert -size "${w}x${h}" xc:white \
	    -fill "$sbg" -draw "rectangle 0,0 $w,$bar" \
	    -font "$font" -pointsize $((pt * 4 / 5)) -fill "$sfg" \
	    -gravity NorthWest -annotate +$((pt))+$((pt / 2)) "$clock" \
	    -gravity NorthEast -annotate +$((pt))+$((pt / 2)) "$icons" \
	    -gravity NorthWest -fill '#8fa3b8' \
	    -draw "circle $((pt + av / 2)),$((bar + pt + av / 2)) $((pt + av / 2)),$((bar + pt))" \
	    -font "$font-Bold" -pointsize $((pt * 9 / 10)) -fill '#111111' \
	    -annotate +$((pt * 2 + av))+$((bar + pt)) "$name" \
	    -font "$font" -pointsize $((pt * 3 / 4)) -fill '#657786' \
	    -annotate +$((pt * 2 + av))+$((bar + pt + pt * 5 / 4)) "$handle" \
	    \( -size $((w - 2 * pt))x -background white -fill '#111111' \
	       -font "$font" -pointsize "$pt" -interline-spacing $((pt / 3)) \
	       caption:"$body" \) \
	    -geometry +$((pt))+$((bar + 2 * pt + av)) -composite \
	    -font "$font" -pointsize $((pt * 3 / 4)) -fill '#657786' \
	    -gravity SouthWest -annotate +$((pt))+$((pt * 2)) "$foot" \
	    -fill '#e1e8ed' -draw "rectangle 0,$((h - pt * 4)) $w,$((h - pt * 4 + 2))" \
	    -colorspace Gray -depth 8 -strip "$out"
}

# One post as shot on two phones: other width, font, wrapping, status bar.
post 1080 780 DejaVu-Sans 44 '#222222' '#f2f2f2' '12:34' '5G  87 %' \
    "$NAME" "$HANDLE" "$FI_A" "$FOOT" post_fi_a.png
post 720 520 Liberation-Sans 30 '#ffffff' '#000000' '09.41' '4G  54%' \
    "$NAME" "$HANDLE" "$FI_A" "$FOOT" tmp_fi_b.png
convert tmp_fi_b.png -quality 90 post_fi_b.webp
# A different Finnish post from the same account, and a Swedish one (JPEG).
post 1080 780 DejaVu-Sans 44 '#222222' '#f2f2f2' '12:35' '5G  86 %' \
    "$NAME" "$HANDLE" "$FI_OTHER" "$FOOT" post_fi_other.png
post 1080 780 Liberation-Sans 42 '#222222' '#f2f2f2' '18:02' '4G  40 %' \
    'Exempel Användare' '@exempel_12 · 5 h' "$SV" \
    'Gilla     Kommentera     Dela' tmp_sv.png
convert tmp_sv.png -quality 85 post_sv.jpg
# No text: a status bar, an avatar, a photo-like gradient and rules.
convert -size 1080x780 xc:white \
    -fill '#f2f2f2' -draw 'rectangle 0,0 1080,88' \
    -fill '#8fa3b8' -draw 'circle 110,200 110,156' \
    \( -size 1000x360 gradient:'#3a6ea5-#f4d35e' \) \
    -geometry +40+290 -composite \
    -fill '#e1e8ed' -draw 'rectangle 0,700 1080,702' \
    -colorspace Gray -depth 8 -strip blank.png
# Black text on a transparent background whose hidden colour is black too:
# read only if alpha is blended onto white first.
convert -size 1000x160 xc:none -font DejaVu-Sans -pointsize 40 \
    -fill black -annotate +30+60 'Läpinäkyvä tausta, musta teksti' \
    -annotate +30+120 'Genomskinlig bakgrund, svart text' \
    -strip PNG32:alpha.png
# A full phone screen (1080x2340) of three posts, for timing and the time
# limit test.
convert -size 1080x2340 xc:white \
    post_fi_a.png -geometry +0+0 -composite \
    post_fi_other.png -geometry +0+780 -composite \
    tmp_sv.png -geometry +0+1560 -composite \
    -colorspace Gray -depth 4 -strip feed.png
rm -f tmp_fi_b.png tmp_sv.png
