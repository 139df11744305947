#!/usr/bin/env bash
# Runs a complete Tipline on this machine, all of it under ./var/:
# a private PostgreSQL, a self-signed certificate, fresh keys and the
# daemons.  Run it again and it reuses what exists.  As root, in a
# checkout the postgres user cannot enter (such as one in /root), the
# cluster's files are kept in /var/lib/tipline-pg/ and var/pg links
# there (see deploy/pg.sh).  As root, the daemons run as their own system
# users, as under systemd (deploy/systemd/): tipline-intake,
# tipline-worker and tipline-console, each with its own configuration
# and copies of the secret keys it needs in var/conf/NAME/ (or, in a
# checkout they cannot enter, /var/lib/tipline-demo/), so that the
# intake can read neither the private sealing key nor the dedup or
# search key.  Run as another user, they run as that user.
#   deploy/demo.sh          build, set up and start; prints the URL
#   deploy/demo.sh stop     stop everything it started
# TIPLINE_DEMO_VAR names another directory for var/ (the tests use one
# of their own).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
var=${TIPLINE_DEMO_VAR:-$top/var}
env_file=$var/demo.env
cd "$top"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# SIGTERM, then up to 60 s for the jobs in flight to finish (the worker's
# shutdown_grace is 30 s), then SIGKILL: a killed worker's jobs come back
# to the next one when their lease runs out.
stop_pid() {
	local f=$1 pid deadline
	if [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then
		pid=$(cat "$f")
		kill -TERM "$pid"
		deadline=$((SECONDS + 60))
		while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
			sleep 0.2
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "$f: process $pid still running after 60 s, killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$f"
}

if [ "${1:-}" = stop ]; then
	stop_pid "$var/run/console.pid"
	stop_pid "$var/run/intake.pid"
	stop_pid "$var/run/worker.pid"
	stop_pid "$var/run/mail.pid"
	deploy/pg.sh stop "$var/pg"
	echo "stopped"
	exit 0
fi

deploy/deps.sh demo
if [ ! -f build/build.ninja ]; then
	meson setup build >/dev/null
fi
ninja -C build >/dev/null

mkdir -p "$var/conf" "$var/run" "$var/log"
chmod 700 "$var/conf"
# Ports are chosen once and kept, so a second run finds what the first
# one started.
if [ ! -f "$var/ports" ]; then
	echo "PGPORT=$(free_port) INTAKE_PORT=$(free_port) METRICS_PORT=$(free_port)" >"$var/ports"
fi
# shellcheck disable=SC1091
. "$var/ports"
if [ -z "${METRICS_PORT:-}" ]; then
	METRICS_PORT=$(free_port)
	echo "METRICS_PORT=$METRICS_PORT" >>"$var/ports"
fi
if [ -z "${CONSOLE_PORT:-}" ]; then
	CONSOLE_PORT=$(free_port)
	echo "CONSOLE_PORT=$CONSOLE_PORT" >>"$var/ports"
fi
if [ -z "${SMTP_PORT:-}" ]; then
	SMTP_PORT=$(free_port)
	echo "SMTP_PORT=$SMTP_PORT" >>"$var/ports"
fi
conf=$var/conf/tipline.ini
# The police unit that notices to platforms come from (a made-up address).
demo_notifier="Poliisihallitus, verkkovihan tutkintayksikkö (demo)"
demo_notifier_email=verkkoviha@poliisi.example

# The daemons' users, made once: system users without a login or a home,
# each in a group of its own and in tipline-db, which may reach the
# database's socket.
daemon_users=false
pg_group=()
if [ "$(id -u)" -eq 0 ]; then
	daemon_users=true
	pg_group=(tipline-db)
	getent group tipline-db >/dev/null || groupadd --system tipline-db
	for u in tipline-intake tipline-worker tipline-console; do
		if ! getent passwd "$u" >/dev/null; then
			useradd --system --user-group --no-create-home \
				--home-dir /nonexistent --shell /usr/sbin/nologin "$u"
		fi
		usermod -a -G tipline-db "$u"
	done
fi
# Where the daemons find their binaries and files: build/ and var/conf/,
# or, when their users cannot enter those (a checkout in /root), copies
# in /var/lib/tipline-demo/, named after a hash of var/'s path so that
# two demos never share them.  No permissions change outside var/.
bin_dir=$top/build
share=$var/conf
if $daemon_users && ! setpriv --reuid=tipline-intake --regid=tipline-intake \
	--init-groups test -x "$top/build/server/tipline-intake" -a -x "$var"; then
	share=/var/lib/tipline-demo/$(printf '%s' "$var" | sha256sum | cut -c 1-16)
	bin_dir=$share/build
	install -d -m 755 /var/lib/tipline-demo "$share" "$bin_dir/server" \
		"$bin_dir/worker"
	printf '%s\n' "$var" >"$share/var"
	for b in server/tipline-intake server/tipline-console worker/tipline-worker; do
		install -m 755 "build/$b" "$bin_dir/$b"
	done
	echo "the daemons' users cannot enter $top: their files are in $share"
fi

deploy/pg.sh start "$var/pg" "$PGPORT" "${pg_group[@]}"
PGHOST=$(deploy/pg.sh host "$var/pg")
export PGHOST PGPORT PGUSER=postgres
if ! psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'tipline'" | grep -q 1; then
	createdb -O postgres tipline
fi

if [ ! -f "$conf" ]; then
	sed -e "s|^conninfo = .*|conninfo = host=$PGHOST port=$PGPORT dbname=tipline|" \
	    -e "s|^admin_user =.*|admin_user = postgres|" \
	    -e "s|^listen = 127.0.0.1:8443|listen = 127.0.0.1:$INTAKE_PORT|" \
	    -e "s|^metrics =.*|metrics = 127.0.0.1:$METRICS_PORT|" \
	    -e "s|^listen = 127.0.0.1:8444|listen = 127.0.0.1:$CONSOLE_PORT|" \
	    -e "/^\[notifier\]/,/^\[/ s|^name = .*|name = $demo_notifier|" \
	    -e "/^\[notifier\]/,/^\[/ s|^email =.*|email = $demo_notifier_email|" \
	    conf/tipline.ini >"$conf"
fi
# A config from before notices to platforms: the demo unit as notifier.
if ! grep -q '^\[notifier\]' "$conf"; then
	printf '\n[notifier]\nname = %s\nemail = %s\n' "$demo_notifier" \
		"$demo_notifier_email" >>"$conf"
fi
# A config from before the console existed: give it the console's part.
if ! grep -q '^\[console\]' "$conf"; then
	printf '\n[console]\nlisten = 127.0.0.1:%s\n' "$CONSOLE_PORT" >>"$conf"
fi
if [ ! -f "$var/conf/intake.crt" ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-days 825 -subj "/CN=localhost" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-keyout "$var/conf/intake.key" -out "$var/conf/intake.crt" 2>/dev/null
	chmod 600 "$var/conf/intake.key"
fi
# The console has a certificate of its own.
if [ ! -f "$var/conf/console.crt" ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-days 825 -subj "/CN=localhost" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-keyout "$var/conf/console.key" -out "$var/conf/console.crt" 2>/dev/null
	chmod 600 "$var/conf/console.key"
fi
# E-mail notices go to a mail catcher on this machine (var/log/mail.log),
# over STARTTLS with the intake's certificate; the notice links to this
# intake's /status.  Set once, in a config that has no mail server yet
# (one from before e-mail notices existed gets the sections).
if ! grep -q '^\[smtp\]' "$conf"; then
	printf '\n[smtp]\nhost =\nport = 587\nfrom =\nca_file =\n' >>"$conf"
fi
if ! grep -q '^\[feedback\]' "$conf"; then
	printf '\n[feedback]\nstatus_url =\n' >>"$conf"
fi
if grep -q '^host =$' "$conf"; then
	sed -i -e "s|^host =$|host = 127.0.0.1|" \
	    -e "s|^port = 587$|port = $SMTP_PORT|" \
	    -e "s|^from =$|from = vihjepalvelu@demo.invalid|" \
	    -e "s|^ca_file =$|ca_file = $var/conf/intake.crt|" \
	    -e "s|^status_url =$|status_url = https://127.0.0.1:$INTAKE_PORT/status|" \
	    "$conf"
fi
build/server/tiplinectl -c "$conf" keygen >/dev/null
build/server/tiplinectl -c "$conf" migrate

# Each daemon's configuration: var/conf/tipline.ini (tiplinectl's) with
# its own secret files, copied into var/conf/NAME/ (mode 0700, its
# user's) from the originals, which only root reads.  var/conf/ itself
# may only be entered, for the public key and the certificates.
daemon_conf() { # name user secret-file...: writes var/conf/NAME/NAME.ini
	local name=$1 user=$2 dir=$share/$1 f
	shift 2
	install -d -m 700 "$dir"
	for f in "$@"; do
		install -m 600 "$var/conf/$f" "$dir/$f"
	done
	sed -e "/^\[keys\]/,/^\[/ s|^dedup = .*|dedup = $dir/dedup.key|" \
	    -e "/^\[keys\]/,/^\[/ s|^pepper = .*|pepper = $dir/receipt.pepper|" \
	    -e "/^\[keys\]/,/^\[/ s|^public = .*|public = $share/seal.pub|" \
	    -e "/^\[keys\]/,/^\[/ s|^search = .*|search = $dir/search.key|" \
	    -e "/^\[keys\]/,/^\[/ s|^secret = .*|secret = $dir/seal.key|" \
	    -e "/^\[intake\]/,/^\[/ s|^cert = .*|cert = $share/intake.crt|" \
	    -e "/^\[intake\]/,/^\[/ s|^key = .*|key = $dir/intake.key|" \
	    -e "/^\[console\]/,/^\[/ s|^cert = .*|cert = $share/console.crt|" \
	    -e "/^\[console\]/,/^\[/ s|^key = .*|key = $dir/console.key|" \
	    -e "/^\[smtp\]/,/^\[/ s|^ca_file = $var/conf/intake.crt$|ca_file = $share/intake.crt|" \
	    "$conf" >"$dir/$name.ini.new"
	chmod 600 "$dir/$name.ini.new"
	mv "$dir/$name.ini.new" "$dir/$name.ini"
	if $daemon_users; then
		chown -R "$user:$user" "$dir"
	fi
}
chmod 711 "$var/conf"
chmod 600 "$conf"
if [ "$share" != "$var/conf" ]; then
	install -m 644 "$var/conf/seal.pub" "$var/conf/intake.crt" \
		"$var/conf/console.crt" "$share/"
fi
daemon_conf intake tipline-intake intake.key receipt.pepper
daemon_conf worker tipline-worker seal.key dedup.key search.key
daemon_conf console tipline-console seal.key search.key console.key

# In the background, unless running; as its user, which has no home
# (setpriv and env exec, so $! is the daemon).
start_daemon() { # name binary
	local name=$1 bin=$2 as=()
	if [ -f "$var/run/$name.pid" ] && kill -0 "$(cat "$var/run/$name.pid")" 2>/dev/null; then
		echo "tipline-$name is already running"
		return
	fi
	if $daemon_users; then
		as=(setpriv --reuid="tipline-$name" --regid="tipline-$name"
			--init-groups --no-new-privs -- env HOME=/nonexistent
			USER="tipline-$name" LOGNAME="tipline-$name")
	fi
	nohup "${as[@]}" "$bin_dir/$bin" \
		-c "$share/$name/$name.ini" >>"$var/log/$name.log" 2>&1 </dev/null &
	echo $! >"$var/run/$name.pid"
}
if [ -f "$var/run/mail.pid" ] && kill -0 "$(cat "$var/run/mail.pid")" 2>/dev/null; then
	echo "the mail catcher is already running"
else
	nohup /usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" \
		--tlscert "$var/conf/intake.crt" --tlskey "$var/conf/intake.key" \
		>>"$var/log/mail.log" 2>&1 </dev/null &
	echo $! >"$var/run/mail.pid"
fi
start_daemon intake server/tipline-intake
start_daemon worker worker/tipline-worker
start_daemon console server/tipline-console

wait_healthy() { # name url: up to 60 s, while the daemon runs
	local name=$1 base=$2 deadline=$((SECONDS + 60))
	while [ $SECONDS -lt $deadline ] && kill -0 "$(cat "$var/run/$name.pid")" 2>/dev/null; do
		curl -fsk "${base}healthz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	curl -fsk "${base}healthz" >/dev/null 2>&1 || {
		echo "tipline-$name did not come up; see $var/log/$name.log" >&2
		exit 1
	}
}
url=https://127.0.0.1:$INTAKE_PORT/
console_url=https://127.0.0.1:$CONSOLE_PORT/
wait_healthy intake "$url"
wait_healthy console "$console_url"

# Demo accounts, made once; their passwords and TOTP secrets are kept in
# var/conf/demo-accounts.env (0600), since only their hashes and sealed
# secrets are in the database.
accounts=$var/conf/demo-accounts.env
add_account() { # PREFIX USERNAME NAME ROLE [DEPARTMENT]
	local prefix=$1 user=$2 name=$3 role=$4 dept=${5:-} out
	local args=(reviewer add "$user" --name "$name" --role "$role" --enrolled)
	[ -n "$dept" ] && args+=(--department "$dept")
	out=$(build/server/tiplinectl -c "$conf" "${args[@]}")
	{
		echo "${prefix}_USER=$user"
		echo "${prefix}_PASSWORD=$(sed -n 's/^password: //p' <<<"$out")"
		echo "${prefix}_TOTP=$(sed -n 's/^totp: //p' <<<"$out")"
	} >>"$accounts"
}
if [ ! -f "$accounts" ]; then
	(umask 077 && : >"$accounts")
	add_account DEMO_OFFICER demo.officer "Demo Officer (Helsinki)" officer helsinki
	add_account DEMO_NATIONAL demo.national "Demo Officer (national unit)" national
	add_account DEMO_ADMIN demo.admin "Demo Admin" admin
fi

# A handful of sample tips, sent once through the public form like a
# tipster's, so that the queue has something in it.
seed_tip() { # lang description channel platform url municipality motive [screenshot]
	local args=(-fsk -o /dev/null -F "lang=$1" -F "description=$2"
		-F "channel=$3" -F "platform=$4" -F "url=$5" -F "municipality=$6"
		-F "motive=$7" -F "feedback=receipt" -F "website=")
	[ -n "${8:-}" ] && args+=(-F "screenshot=@$8;type=image/png")
	curl "${args[@]}" "${url}tip"
}
if [ ! -f "$var/demo-seeded" ]; then
	seed_tip fi "Facebookin paikallisryhmässä julkaistiin viesti, jossa kehotetaan näyttämään maahanmuuttajille, ettei heitä haluta kaupunkiin. Kommenteissa moni yhtyy kehotukseen." both facebook "https://www.facebook.com/groups/demo/posts/1234567890" 091 ethnic deploy/demo/post-fi.png
	seed_tip fi "Sama julkaisu kuin aiemmin: ryhmässä vaaditaan ulkomaalaisia pois kaupungista. Lisäsin kuvakaappauksen." both facebook "https://m.facebook.com/groups/demo/posts/1234567890?ref=share" 091 ethnic deploy/demo/post-fi.png
	seed_tip sv "Ett inlägg på X uppmanar folk att inte låta muslimer gå på gatorna och nämner var moskén ligger. Det delas mycket." both x "https://x.com/pahittad_demo/status/1790000000000000001" 091 religion deploy/demo/post-sv.png
	seed_tip en "Someone painted racist slurs about black people on the wall of the metro station entrance this morning." place "" "" 091 skin
	seed_tip fi "Suomi24-keskustelussa kirjoittaja uhkailee vammaisia ja toivoo heille väkivaltaa." online suomi24 "https://keskustelu.suomi24.fi/t/1234567/demo" "" disability
	seed_tip sv "På busshållplatsen i centrum skrek en man hotelser mot ett par av samma kön." place "" "" 905 orientation
	seed_tip ar "في مجموعة على تيليغرام نُشرت رسالة تدعو إلى طرد العائلات العربية من الحي وتذكر عنوان المسجد." online telegram "https://t.me/demo_channel/4321" "" ethnic
	seed_tip so "Nin ayaa bas gudihiis ku caayay haweeney Soomaali ah oo carruurteeda la socotay, wuxuuna ku yiri dalkeeda ku noqo." place "" "" 091 ethnic
	touch "$var/demo-seeded"
fi

# One more sample tip asks for a reply and has one waiting: the national
# unit's demo officer (online tips are theirs) logs in to the console and writes it, through the same forms a
# person uses, and the worker delivers it.  Its receipt code goes to
# demo.env as DEMO_RECEIPT_WITH_FEEDBACK: open /status with it.  It asked
# for e-mail too: the notice lands in the mail catcher's log.
feedback_env=$var/conf/demo-feedback.env
seed_feedback() {
	local jar code hash case_id csrf totp page n deadline
	# shellcheck disable=SC1090
	. "$accounts"
	code=$(curl -fsk -F lang=fi -F channel=online -F platform=instagram \
		-F "url=https://www.instagram.com/p/DEMOpost123/" -F motive=ethnic \
		-F feedback=email -F email=demo.tipster@example.org -F website= \
		-F "description=Instagram-julkaisussa pilkataan somalitaustaisia ja kehotetaan heitä lähtemään maasta. Julkaisulla on satoja tykkäyksiä." \
		"${url}tip" | sed -n 's/.*id="receipt-code"[^>]*>\([^<]*\)<.*/\1/p')
	[ -n "$code" ] || { echo "demo: the sample tip was not accepted" >&2; return 1; }
	# HMAC-SHA256(pepper, digits), the pepper read from its file (not
	# put on a command line, where other users could read it).
	hash=$(printf '%s' "${code//-/}" | /usr/bin/python3 -c '
import hashlib, hmac, sys
pepper = bytes.fromhex(open(sys.argv[1]).read().strip())
print(hmac.new(pepper, sys.stdin.read().encode(), hashlib.sha256).hexdigest())
' "$var/conf/receipt.pepper")
	deadline=$((SECONDS + 60))
	case_id=
	while [ -z "$case_id" ] && [ $SECONDS -lt $deadline ]; do
		case_id=$(psql -d tipline -Atc "SELECT j.case_id FROM tip t JOIN case_join j ON j.tip_id = t.id WHERE t.receipt_hash = '\\x$hash'")
		[ -n "$case_id" ] || sleep 0.2
	done
	[ -n "$case_id" ] || { echo "demo: the worker did not file the sample tip" >&2; return 1; }
	jar=$(mktemp)
	page=$(curl -fsk -c "$jar" -b "$jar" "${console_url}login")
	csrf=$(sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' <<<"$page" | head -1)
	totp=$(oathtool --totp -b "$DEMO_NATIONAL_TOTP")
	curl -fsk -c "$jar" -b "$jar" -o /dev/null --data-urlencode "username=$DEMO_NATIONAL_USER" \
		--data-urlencode "password=$DEMO_NATIONAL_PASSWORD" -d "totp=$totp" -d "csrf=$csrf" \
		"${console_url}login"
	page=$(curl -fsk -b "$jar" "${console_url}case/$case_id")
	csrf=$(sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' <<<"$page" | head -1)
	curl -fsk -b "$jar" -o /dev/null -d template=received -d lang=fi -d tip= -d do=send \
		-d "csrf=$csrf" --data-urlencode "message=Kiitos vihjeestäsi. Valtakunnallinen verkkovihan selvitysyksikkö on vastaanottanut sen ja selvittää julkaisua. Kerromme tällä sivulla, kun asia etenee." \
		"${console_url}case/$case_id/feedback"
	curl -fsk -b "$jar" -o /dev/null -d "csrf=$csrf" "${console_url}logout" || true
	rm -f "$jar"
	deadline=$((SECONDS + 60))
	n=0
	while [ "$n" = 0 ] && [ $SECONDS -lt $deadline ]; do
		n=$(psql -d tipline -Atc "SELECT count(*) FROM tip_message d JOIN tip t ON t.id = d.tip_id WHERE t.receipt_hash = '\\x$hash'")
		[ "$n" != 0 ] || sleep 0.2
	done
	[ "$n" != 0 ] || { echo "demo: the sample reply was not delivered" >&2; return 1; }
	{
		echo "DEMO_RECEIPT_WITH_FEEDBACK=$code"
		echo "DEMO_SMTP_HOST=127.0.0.1"
		echo "DEMO_SMTP_PORT=$SMTP_PORT"
		echo "DEMO_MAIL_LOG=$var/log/mail.log"
	} >"$feedback_env"
}
if [ ! -f "$feedback_env" ]; then
	seed_feedback
fi

# Twelve weeks of made-up figures for the Statistics page (counts only:
# no tips behind them), once.
if [ "$(psql -d tipline -Atc "SELECT count(*) FROM stats_day WHERE dim = 'demo'" )" = 0 ] &&
	[ "$(psql -d tipline -Atc "SELECT count(*) FROM stats_delta WHERE dim = 'demo'")" = 0 ]; then
	psql -d tipline -q -v ON_ERROR_STOP=1 -f deploy/demo/stats.sql >/dev/null
fi

cat >"$env_file" <<ENV
# Written by deploy/demo.sh; source it to reach the demo.
INTAKE_URL=$url
INTAKE_PORT=$INTAKE_PORT
METRICS_URL=http://127.0.0.1:$METRICS_PORT/metrics
PGHOST=$PGHOST
PGPORT=$PGPORT
PGDATABASE=tipline
PGUSER=postgres
TIPLINE_CONF=$conf
TIPLINE_PUBLIC_KEY=$var/conf/seal.pub
TIPLINE_SECRET_KEY=$var/conf/seal.key
TIPLINE_PEPPER=$var/conf/receipt.pepper
TIPLINE_DEDUP_KEY=$var/conf/dedup.key
CONSOLE_URL=$console_url
CONSOLE_PORT=$CONSOLE_PORT
ENV
cat "$accounts" >>"$env_file"
cat "$feedback_env" >>"$env_file"
chmod 600 "$env_file"
# shellcheck disable=SC1090
. "$accounts"
echo "Tipline is running."
echo "  The public form:      $url"
echo "  The reviewers' console: $console_url"
echo "    log in as $DEMO_OFFICER_USER (Helsinki police), $DEMO_NATIONAL_USER (national unit)"
echo "    or $DEMO_ADMIN_USER (accounts only); passwords and TOTP secrets are in $env_file."
echo "    A one-time code: oathtool --totp -b \"\$DEMO_OFFICER_TOTP\" (after . $env_file)"
echo "  A tip with a reply waiting: open ${url}status with the code in DEMO_RECEIPT_WITH_FEEDBACK"
echo "  Statistics: ${console_url}stats as $DEMO_NATIONAL_USER (twelve weeks of made-up figures)"
echo "  E-mail notices: $var/log/mail.log"
echo "(self-signed certificates; stop with deploy/demo.sh stop)"
