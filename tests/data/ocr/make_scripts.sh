#!/bin/sh
# Makes the Cyrillic- and Arabic-script screenshots under tests/data/ocr/
# that test_ocr.c reads, drawn by Chromium (tests/e2e/browser/render.mjs,
# with Debian's fonts-noto-core and fonts-dejavu-core; nothing is
# downloaded).  The posts are made up: no real post, person or account.
# The outputs are committed, so this runs only when the images change:
#   sh tests/data/ocr/make_scripts.sh
set -eu
cd "$(dirname "$0")"
render=../../e2e/browser/render.mjs

RU_A='Это придуманное сообщение, в котором соседей оскорбляют из-за их происхождения. Не пускайте их в нашу общую сауну, им здесь не место!'
RU_OTHER='Другое придуманное сообщение: новый городской бассейн слишком дорогой, и часы работы у него неудобные. Голосуйте на следующих выборах иначе.'
AR_A='هذه رسالة مختلقة يتم فيها إهانة الجيران بسبب أصلهم. لا تسمحوا لهم بدخول الساونا المشتركة، فهم لا ينتمون إلى هنا!'
AR_OTHER='رسالة مختلقة أخرى: المسبح الجديد في المدينة غالي الثمن جدا، وساعات عمله غير مناسبة. صوتوا بشكل مختلف في الانتخابات القادمة.'
FA_A='این یک پیام ساختگی است که در آن همسایه‌ها به خاطر اصل و نسبشان تحقیر می‌شوند. نگذارید وارد سونای مشترک ما شوند!'

# post LANG DIR NAME HANDLE BODY FOOT WIDTH HEIGHT SCALE FONT OUT
post() {
	printf '{"lang":"%s","dir":"%s","name":"%s","handle":"%s","body":"%s","foot":"%s"}' \
	    "$1" "$2" "$3" "$4" "$5" "$6" |
	    node "$render" "$7" "$8" "$9" "${10}" "${11}"
}

post ru ltr 'Пример Пользователь' '@primer_77 · 2 ч' "$RU_A" \
    'Нравится   Комментировать   Поделиться' 412 330 2 'Noto Sans' post_ru_a.png
post ru ltr 'Пример Пользователь' '@primer_77 · 3 ч' "$RU_A" \
    'Нравится   Комментировать   Поделиться' 360 380 2 'DejaVu Sans' post_ru_b.png
post ru ltr 'Пример Пользователь' '@primer_77 · 1 ч' "$RU_OTHER" \
    'Нравится   Комментировать   Поделиться' 412 330 2 'Noto Sans' post_ru_other.png
post ar rtl 'مستخدم مثال' '@mithal_12 · 2 س' "$AR_A" \
    'إعجاب   تعليق   مشاركة' 412 300 2 'Noto Sans Arabic' post_ar_a.png
post ar rtl 'مستخدم مثال' '@mithal_12 · 3 س' "$AR_A" \
    'إعجاب   تعليق   مشاركة' 360 340 2 'DejaVu Sans' post_ar_b.png
post ar rtl 'مستخدم مثال' '@mithal_12 · 1 س' "$AR_OTHER" \
    'إعجاب   تعليق   مشاركة' 412 300 2 'Noto Sans Arabic' post_ar_other.png
post fa rtl 'کاربر نمونه' '@nemune_5 · 2 ساعت' "$FA_A" \
    'پسندیدن   نظر   اشتراک' 412 300 2 'Noto Sans Arabic' post_fa_a.png
