#!/usr/bin/env bash
# The lab itself, run by make.sh inside its network namespace (names come
# from the namespace's /etc/hosts): starts the servers, then captures each
# labelled set with dumpcap on lo ($W/parts/SET/CHUNK.pcap) while its
# stacks run one after the other; $W/parts/attempts.tsv gets a line a
# stack with its time window, by which make.sh labels the flows.
# Environment from make.sh: W HERE LABTLS PY RUNS N ANOM SEED.
set -euo pipefail
: "${W:?}" "${HERE:?}" "${LABTLS:?}" "${PY:?}" "${RUNS:?}" "${N:?}" "${ANOM:?}" "${SEED:?}"
LOGS=$W/logs PARTS=$W/parts
mkdir -p "$LOGS" "$PARTS"
: >"$PARTS/attempts.tsv"
FILTER='tcp port 443 or tcp port 8443'
RANDOM=$SEED
LAB_PY=$HERE/lab.py LAB_JS=$HERE/lab.js
CA=$W/pki/base/root.crt

PIDS=()
stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	PIDS=()
}
trap 'stop_all; [ -z "$CAP" ] || kill -INT "$CAP"' EXIT

# start NAME CMD...: a server in the background, its output in the logs.
start() {
	local name=$1
	shift
	"$@" </dev/null >>"$LOGS/$name.log" 2>&1 &
	PIDS+=($!)
}

# listening ADDR:PORT...: wait until each address listens.
listening() {
	local a i
	for a in "$@"; do
		for i in $(seq 100); do
			ss -Hltn "src $a" | grep -q LISTEN && continue 2
			sleep 0.1
		done
		echo "inside.sh: nothing listens on $a" >&2
		return 1
	done
}

# begin SET CHUNK [FILTER]: dumpcap on lo into $PARTS/SET/CHUNK.pcap
# until end.
CAP=
begin() {
	local i f=${3:-$FILTER}
	CUR_SET=$1
	mkdir -p "$PARTS/$1"
	local log=$LOGS/dumpcap-$1-$2.log
	dumpcap -i lo -P -f "$f" -w "$PARTS/$1/$2.pcap" >"$log" 2>&1 &
	CAP=$!
	for i in $(seq 100); do
		grep -qs "Capturing on" "$log" && return
		sleep 0.05
	done
	echo "inside.sh: dumpcap did not start, see $log" >&2
	return 1
}
end() {
	sleep 0.3 # the last FIN and ACK
	kill -INT "$CAP"
	wait "$CAP" || true
	CAP=
}

# stack NAME COUNT CMD...: one stack's clients (COUNT connections), one
# after the other; attempts.tsv gets its time window, which labels the
# flows that start in it.
stack() {
	local name=$1 count=$2 t0=$EPOCHREALTIME s0=$SECONDS
	shift 2
	echo "== $CUR_SET $name ($count)" >>"$LOGS/clients.log"
	"$@" >>"$LOGS/clients.log" 2>&1 || echo "inside.sh: $CUR_SET $name: $1 ended with $?" >>"$LOGS/clients.log"
	sleep 0.1 # so that no late packet starts a flow in the next window
	printf '%s\t%s\t%d\t%s\t%s\n' "$CUR_SET" "$name" "$count" "$t0" "$EPOCHREALTIME" >>"$PARTS/attempts.tsv"
	printf '  %-20s %-30s %4d connections, %3ds\n' "$CUR_SET" "$name" "$count" $((SECONDS - s0)) >&2
}

# urls COUNT FILE HOST:PORT...: COUNT random URLs over the hosts.
PATHS=(/ /index.html /api/v1/status "/api/v1/items?page=2" /static/app.js /static/style.css /login /files/report.pdf /health /news/2026/05/)
urls() {
	local n=$1 file=$2 i
	shift 2
	local hosts=("$@")
	: >"$file"
	for ((i = 0; i < n; i++)); do
		printf 'https://%s%s\n' "${hosts[RANDOM % ${#hosts[@]}]}" "${PATHS[RANDOM % ${#PATHS[@]}]}" >>"$file"
	done
}

# Per-connection tools: each reads a URL file and runs the tool once a URL.
# Failures are expected in anomaly sets and do not stop the lab.
curl_each() {
	local f=$1 u
	shift
	while IFS= read -r u; do curl -s -o /dev/null --max-time 8 "$@" "$u" || true; done <"$f"
}
wget_each() {
	local f=$1 u
	shift
	while IFS= read -r u; do wget -q -O /dev/null --tries=1 --timeout=8 "$@" "$u" || true; done <"$f"
}
# split_url URL: sets HOST PORT URLPATH.
split_url() {
	local rest=${1#*://}
	local hp=${rest%%/*}
	URLPATH=/${rest#*/}
	HOST=${hp%:*} PORT=${hp##*:}
	[ "$hp" != "$rest" ] || URLPATH=/
}
request() { printf 'GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\nConnection: close\r\n\r\n' "$URLPATH" "$HOST" "$1"; }
openssl_each() {
	local f=$1 u
	shift
	while IFS= read -r u; do
		split_url "$u"
		request openssl | timeout 8 openssl s_client -connect "$HOST:$PORT" -quiet "$@" >/dev/null 2>&1 || true
	done <"$f"
}
gnutls_each() {
	local f=$1 u
	shift
	while IFS= read -r u; do
		split_url "$u"
		request gnutls-cli | timeout 8 gnutls-cli -p "$PORT" "$@" "$HOST" >/dev/null 2>&1 || true
	done <"$f"
}
py() { "$PY" "$LAB_PY" "$@"; }
node_client() { node "$LAB_JS" client "$@"; }
go_client() { "$LABTLS" client -timeout 8s "$@"; }
ssh_each() {
	local f=$1 u
	shift
	while IFS= read -r u; do
		split_url "$u"
		timeout 8 ssh -F /dev/null -p "$PORT" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
			-o PubkeyAuthentication=no -o PasswordAuthentication=no -o ConnectTimeout=5 -o LogLevel=QUIET "$@" "lab@$HOST" true || true
	done <"$f"
}
keyscan_each() {
	local f=$1 u types=(ed25519 rsa ecdsa "ed25519,rsa") i=0
	while IFS= read -r u; do
		split_url "$u"
		timeout 8 ssh-keyscan -T 3 -p "$PORT" -t "${types[i++ % 4]}" "$HOST" >/dev/null 2>&1 || true
	done <"$f"
}

# ---- servers ---------------------------------------------------------------
TLS13_SUITES='TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_SHA256'
BENIGN_LISTEN=(127.0.1.1:443 127.0.1.2:443 127.0.1.2:8443 127.0.1.3:443 127.0.1.4:443 127.0.1.4:8443)
# start_benign_servers PKI: openssl, Go, node and python with CA-signed leaves.
start_benign_servers() {
	local p=$1
	start s_server openssl s_server -accept 127.0.1.1:443 -cert "$p/www.crt" -key "$p/www.key" -cert_chain "$p/inter.crt" \
		-www -quiet -alpn http/1.1 -ciphersuites "$TLS13_SUITES"
	start labtls "$LABTLS" serve -addr 127.0.1.2:443 -addr 127.0.1.2:8443 -cert "$p/api.chain" -key "$p/api.key"
	start node-server node "$LAB_JS" serve --listen 127.0.1.3:443 --cert "$p/cdn.chain" --key "$p/cdn.key"
	start py-server "$PY" "$LAB_PY" serve-https --listen 127.0.1.4:443 --listen 127.0.1.4:8443 --cert "$p/files.chain" --key "$p/files.key"
	listening "${BENIGN_LISTEN[@]}"
}

start_anomaly_servers() {
	local p=$W/pki/base
	mkdir -p /run/sshd # sshd's privilege separation directory
	start sshd /usr/sbin/sshd -D -e -f "$W/sshd_config"
	start py-http "$PY" "$LAB_PY" serve-http --listen 127.0.7.1:443
	start py-random "$PY" "$LAB_PY" serve-random --listen 127.0.8.1:443
	start legacy-s_server openssl s_server -accept 127.0.4.1:443 -cert "$p/nas.crt" -key "$p/nas.key" -cert_chain "$p/inter.crt" \
		-www -quiet -cipher 'ALL:@SECLEVEL=0' -min_protocol TLSv1
	start legacy-py "$PY" "$LAB_PY" serve-https --listen 127.0.4.2:443 --cert "$p/printer.chain" --key "$p/printer.key" --tls-min 1.0
	start ss1 openssl s_server -accept 127.0.3.1:443 -cert "$p/ss1.crt" -key "$p/ss1.key" -www -quiet -no_tls1_3
	start ss2 openssl s_server -accept 127.0.3.2:443 -cert "$p/ss2.crt" -key "$p/ss2.key" -www -quiet
	start ss3 "$PY" "$LAB_PY" serve-https --listen 127.0.3.3:443 --cert "$p/ss3.crt" --key "$p/ss3.key" --tls-max 1.2
	start ss4 "$LABTLS" serve -addr 127.0.3.4:443 -cert "$p/ss4.crt" -key "$p/ss4.key" -max-tls12
	local maps_t=() maps_m=() maps_d=() maps_s=() a
	for a in 127.0.1.1 127.0.1.2 127.0.1.3 127.0.1.4; do
		maps_t+=(--map "$a:9443=$a:443")
		maps_m+=(--map "$a:9444=$a:443")
		maps_d+=(--map "$a:9445=$a:443")
		maps_s+=(--map "$a:9446=$a:443")
	done
	start proxy-truncate "$PY" "$LAB_PY" proxy --mode truncate --seed "$SEED" "${maps_t[@]}"
	start proxy-malformed "$PY" "$LAB_PY" proxy --mode malformed --seed "$SEED" "${maps_m[@]}"
	start proxy-decoy "$PY" "$LAB_PY" proxy --mode decoy --seed "$SEED" "${maps_d[@]}"
	start proxy-split "$PY" "$LAB_PY" proxy --mode split --seed "$SEED" "${maps_s[@]}"
	# Issue 12's families: a CONNECT proxy on 443, a banner-then-TLS
	# listener, a server that asks for client certificates (TLS 1.2, so
	# the request and the client's certificate travel in clear), and a
	# FakeTLS responder.
	start proxy-connect "$PY" "$LAB_PY" proxy-connect --listen 127.0.9.1:443
	start serve-banner "$PY" "$LAB_PY" serve-banner --listen 127.0.9.2:443 --cert "$p/www.chain" --key "$p/www.key"
	start mtls-s_server openssl s_server -accept 127.0.9.3:443 -cert "$p/www.crt" -key "$p/www.key" -cert_chain "$p/inter.crt" \
		-Verify 1 -CAfile "$CA" -no_tls1_3 -www -quiet
	start serve-faketls "$PY" "$LAB_PY" serve-faketls --listen 127.0.9.4:443
	listening 127.0.9.1:443 127.0.9.2:443 127.0.9.3:443 127.0.9.4:443
	listening 127.0.6.1:443 127.0.7.1:443 127.0.8.1:443 127.0.4.1:443 127.0.4.2:443 \
		127.0.3.1:443 127.0.3.2:443 127.0.3.3:443 127.0.3.4:443 127.0.1.1:9443 127.0.1.1:9444 127.0.1.1:9445 127.0.1.1:9446
}

# ---- benign ----------------------------------------------------------------
BENIGN_HOSTS=(www.corp.lab:443 intranet.corp.lab:443 api.corp.lab:443 auth.corp.lab:443 grpc.corp.lab:8443
	cdn.corp.lab:443 static.corp.lab:443 files.corp.lab:443 backup.corp.lab:8443)

# benign_run: every benign stack, N connections each.
benign_run() {
	local u=$W/urls
	mkdir -p "$u"
	urls "$N" "$u/curl-h1" "${BENIGN_HOSTS[@]}"
	stack "curl-http1.1" "$N" curl_each "$u/curl-h1" --http1.1 --cacert "$CA"
	urls "$N" "$u/curl-h2" "${BENIGN_HOSTS[@]}"
	stack "curl-h2" "$N" curl_each "$u/curl-h2" --cacert "$CA"
	urls "$N" "$u/wget" "${BENIGN_HOSTS[@]}"
	stack "wget" "$N" wget_each "$u/wget" --ca-certificate="$CA"
	urls "$N" "$u/gnutls" "${BENIGN_HOSTS[@]}"
	stack "gnutls-cli" "$N" gnutls_each "$u/gnutls" --x509cafile "$CA"
	urls "$N" "$u/openssl" "${BENIGN_HOSTS[@]}"
	stack "openssl-s_client" "$N" openssl_each "$u/openssl" -CAfile "$CA" -verify_return_error -alpn http/1.1
	urls "$N" "$u/python" "${BENIGN_HOSTS[@]}"
	stack "python-urllib" "$N" py client-https --urls "$u/python" --ca "$CA"
	urls "$N" "$u/node" "${BENIGN_HOSTS[@]}"
	stack "node-https" "$N" node_client --urls "$u/node" --ca "$CA"
	local prof hosts
	for prof in default tls12 h2 curves; do
		hosts=("${BENIGN_HOSTS[@]}")
		# HTTP/2 only: the hosts whose servers speak it (Go, node).
		[ $prof != h2 ] || hosts=(api.corp.lab:443 auth.corp.lab:443 grpc.corp.lab:8443 cdn.corp.lab:443 static.corp.lab:443)
		urls "$N" "$u/go-$prof" "${hosts[@]}"
		stack "go-$prof" "$N" go_client -profile "$prof" -ca "$CA" -urls "$u/go-$prof"
	done
}

# ---- anomalies -------------------------------------------------------------
# share K: ANOM split over K stacks (rounded up).
share() { echo $(((ANOM + $1 - 1) / $1)); }

anomaly_ssh() {
	local k=non-tls-ssh u=$W/urls n
	n=$(share 4)
	urls "$n" "$u/ssh" git.corp.lab:443
	stack ssh "$n" ssh_each "$u/ssh"
	urls "$n" "$u/ssh-opts" git.corp.lab:443
	stack ssh-kex-options "$n" ssh_each "$u/ssh-opts" -o KexAlgorithms=curve25519-sha256,ecdh-sha2-nistp256 -c aes128-ctr -o MACs=hmac-sha2-256
	urls "$n" "$u/keyscan" git.corp.lab:443
	stack ssh-keyscan "$n" keyscan_each "$u/keyscan"
	urls "$n" "$u/ssh-tls" www.corp.lab:443 files.corp.lab:443
	stack ssh-to-tls-server "$n" ssh_each "$u/ssh-tls"
}

anomaly_http() {
	local k=non-tls-http u=$W/urls n
	n=$(share 5)
	urls "$n" "$u/http-curl" wiki.corp.lab:443
	stack curl-http "$n" curl_each <(sed 's/^https:/http:/' "$u/http-curl")
	urls "$n" "$u/http-wget" wiki.corp.lab:443
	stack wget-http "$n" wget_each <(sed 's/^https:/http:/' "$u/http-wget")
	urls "$n" "$u/http-py" wiki.corp.lab:443
	sed -i 's/^https:/http:/' "$u/http-py"
	stack python-http "$n" py client-https --urls "$u/http-py"
	urls "$n" "$u/http-node" wiki.corp.lab:443
	sed -i 's/^https:/http:/' "$u/http-node"
	stack node-http "$n" node_client --urls "$u/http-node"
	urls "$n" "$u/http-tls" www.corp.lab:443 api.corp.lab:443 cdn.corp.lab:443 files.corp.lab:443
	stack curl-http-to-tls-server "$n" curl_each <(sed 's/^https:/http:/' "$u/http-tls")
}

anomaly_random() {
	local k=non-tls-random n1 n2
	n1=$((ANOM * 3 / 4)) n2=$((ANOM - ANOM * 3 / 4))
	stack python-random "$n1" py client-random -n "$n1" --seed "$SEED" --target 127.0.8.1:443
	stack python-random-to-tls-server "$n2" py client-random -n "$n2" --seed "$((SEED + 1))" \
		--target 127.0.1.1:443 --target 127.0.1.2:443 --target 127.0.1.3:443 --target 127.0.1.4:443
}

# anomaly_hello KIND PORT: real clients through the cutting (9443) or
# breaking (9444) proxy towards the benign servers.
anomaly_hello() {
	local k=$1 port=$2 u=$W/urls/$1 n
	mkdir -p "$u"
	n=$(share 8)
	local hosts=(www.corp.lab:$port intranet.corp.lab:$port api.corp.lab:$port auth.corp.lab:$port
		cdn.corp.lab:$port static.corp.lab:$port files.corp.lab:$port)
	urls "$n" "$u/curl" "${hosts[@]}"
	stack curl "$n" curl_each "$u/curl" --cacert "$CA"
	urls "$n" "$u/wget" "${hosts[@]}"
	stack wget "$n" wget_each "$u/wget" --ca-certificate="$CA"
	urls "$n" "$u/gnutls" "${hosts[@]}"
	stack gnutls-cli "$n" gnutls_each "$u/gnutls" --x509cafile "$CA"
	urls "$n" "$u/openssl" "${hosts[@]}"
	stack openssl-s_client "$n" openssl_each "$u/openssl" -CAfile "$CA" -alpn http/1.1
	urls "$n" "$u/python" "${hosts[@]}"
	stack python-urllib "$n" py client-https --urls "$u/python" --ca "$CA"
	urls "$n" "$u/node" "${hosts[@]}"
	stack node-https "$n" node_client --urls "$u/node" --ca "$CA"
	urls "$n" "$u/go-default" "${hosts[@]}"
	stack go-default "$n" go_client -profile default -ca "$CA" -urls "$u/go-default"
	urls "$n" "$u/go-tls12" "${hosts[@]}"
	stack go-tls12 "$n" go_client -profile tls12 -ca "$CA" -urls "$u/go-tls12"
}

anomaly_legacy() {
	local k=legacy-tls10 u=$W/urls/legacy n
	mkdir -p "$u"
	n=$(share 6)
	local hosts=(nas.corp.lab:443 printer.corp.lab:443)
	urls "$n" "$u/o10" "${hosts[@]}"
	stack openssl-tls1.0 "$n" openssl_each "$u/o10" -tls1 -cipher 'DEFAULT:@SECLEVEL=0' -CAfile "$CA"
	urls "$n" "$u/o11" "${hosts[@]}"
	stack openssl-tls1.1-legacy-ciphers "$n" openssl_each "$u/o11" -tls1_1 -cipher 'AES128-SHA:AES256-SHA:ECDHE-RSA-AES128-SHA:CAMELLIA128-SHA:@SECLEVEL=0' -CAfile "$CA"
	urls "$n" "$u/curl" "${hosts[@]}"
	stack curl-tls1.0-1.1 "$n" curl_each "$u/curl" --tlsv1.0 --tls-max 1.1 --ciphers 'DEFAULT:@SECLEVEL=0' --cacert "$CA"
	urls "$n" "$u/python" "${hosts[@]}"
	stack python-tls1.0-1.1 "$n" py client-https --urls "$u/python" --ca "$CA" --tls-min 1.0 --tls-max 1.1 --ciphers 'ALL:@SECLEVEL=0'
	urls "$n" "$u/gnutls" "${hosts[@]}"
	stack gnutls-cli-tls1.0-1.1 "$n" gnutls_each "$u/gnutls" --x509cafile "$CA" --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.0:+VERS-TLS1.1'
	urls "$n" "$u/go" nas.corp.lab:443
	stack go-tls10 "$n" go_client -profile tls10 -ca "$CA" -urls "$u/go"
}

anomaly_odd() {
	local k=odd-ciphers-no-sni u=$W/urls/odd n
	mkdir -p "$u"
	n=$(share 6)
	# By address: no name to send. 127.0.1.1 openssl and .3 node hold RSA
	# keys, .4 python ECDSA P-384.
	urls "$n" "$u/o12" 127.0.1.1:443 127.0.1.3:443
	stack openssl-aes128-sha "$n" openssl_each "$u/o12" -noservername -no_tls1_3 -cipher AES128-SHA
	urls "$n" "$u/o13" 127.0.1.1:443
	stack openssl-tls13-ccm "$n" openssl_each "$u/o13" -noservername -tls1_3 -ciphersuites TLS_AES_128_CCM_SHA256
	urls "$n" "$u/curl" 127.0.1.1:443 127.0.1.3:443
	stack curl-aes256-sha "$n" curl_each "$u/curl" -k --tls-max 1.2 --ciphers AES256-SHA
	urls "$n" "$u/python" 127.0.1.4:443
	stack python-ecdsa-sha384 "$n" py client-https --urls "$u/python" --no-sni --tls-max 1.2 --ciphers ECDHE-ECDSA-AES256-SHA384
	urls "$n" "$u/gnutls" 127.0.1.1:443 127.0.1.3:443
	stack gnutls-cli-rsa-kx "$n" gnutls_each "$u/gnutls" --insecure --disable-sni --priority 'NORMAL:-VERS-TLS1.3:-CIPHER-ALL:+AES-128-CBC:-KX-ALL:+RSA'
	urls "$n" "$u/go" 127.0.1.1:443 127.0.1.3:443
	stack go-odd-nosni "$n" go_client -profile odd-nosni -urls "$u/go"
}

anomaly_selfsigned() {
	local k=self-signed-server u=$W/urls/ss n
	mkdir -p "$u"
	n=$(share 7)
	mapfile -t hosts <"$W/selfsigned-hosts"
	urls "$n" "$u/curl" "${hosts[@]}"
	stack curl-k "$n" curl_each "$u/curl" -k
	urls "$n" "$u/wget" "${hosts[@]}"
	stack wget-no-check "$n" wget_each "$u/wget" --no-check-certificate
	urls "$n" "$u/openssl" "${hosts[@]}"
	stack openssl-s_client "$n" openssl_each "$u/openssl"
	urls "$n" "$u/gnutls" "${hosts[@]}"
	stack gnutls-cli-insecure "$n" gnutls_each "$u/gnutls" --insecure
	urls "$n" "$u/python" "${hosts[@]}"
	stack python-insecure "$n" py client-https --urls "$u/python" --insecure
	urls "$n" "$u/node" "${hosts[@]}"
	stack node-insecure "$n" node_client --urls "$u/node" --insecure
	urls "$n" "$u/go" "${hosts[@]}"
	stack go-insecure "$n" go_client -profile insecure -urls "$u/go"
}

# Issue 12's families (what the features described only from then on).
anomaly_preamble_connect() {
	local u=$W/urls/connect n
	mkdir -p "$u"
	n=$(share 3)
	urls "$n" "$u/curl" "${BENIGN_HOSTS[@]}"
	stack curl-proxytunnel "$n" curl_each "$u/curl" --cacert "$CA" -p -x http://proxy.corp.lab:443
	urls "$n" "$u/wget" "${BENIGN_HOSTS[@]}"
	stack wget-https-proxy "$n" with_proxy wget_each "$u/wget" --ca-certificate="$CA"
	urls "$n" "$u/python" "${BENIGN_HOSTS[@]}"
	stack python-urllib-proxy "$n" with_proxy py client-https --urls "$u/python" --ca "$CA"
}
# with_proxy CMD...: CMD with the CONNECT proxy as its HTTPS proxy.
with_proxy() (
	export https_proxy=http://proxy.corp.lab:443
	"$@"
)

anomaly_preamble_banner() {
	local n
	n=$(share 2)
	stack python-banner-then-tls "$n" py client-banner -n "$n" --seed "$SEED" --target 127.0.9.2:443 --sni www.corp.lab --ca "$CA"
	stack python-banner-then-tls-nosni "$n" py client-banner -n "$n" --seed "$((SEED + 1))" --target 127.0.9.2:443 --no-sni --insecure
}

anomaly_client_cert() {
	local u=$W/urls/mtls n p=$W/pki/base
	mkdir -p "$u"
	n=$(share 3)
	urls "$n" "$u/curl" mtls.corp.lab:443
	stack curl-client-cert "$n" curl_each "$u/curl" -k --cert "$p/api.crt" --key "$p/api.key"
	urls "$n" "$u/openssl" mtls.corp.lab:443
	stack openssl-client-cert "$n" openssl_each "$u/openssl" -cert "$p/files.crt" -key "$p/files.key"
	urls "$n" "$u/curl2" mtls.corp.lab:443
	stack curl-client-cert-tls12 "$n" curl_each "$u/curl2" -k --cert "$p/cdn.crt" --key "$p/cdn.key" --tls-max 1.2
}

anomaly_faketls() {
	local n
	n=$(share 2)
	stack python-faketls "$n" py client-faketls -n "$n" --seed "$SEED" --target 127.0.9.4:443
	stack python-faketls-to-tls-server "$n" py client-faketls -n "$n" --seed "$((SEED + 1))" --target 127.0.1.1:443 --target 127.0.1.3:443
}

# A second handshake inside a TLS 1.2 session (TLS 1.3 has none), before
# the request: s_client's R command and gnutls-cli --rehandshake, to the
# benign servers; node accepts a client's renegotiation, the others
# refuse it with an alert (OpenSSL 3 and Go do by default). The same
# hosts and CA as benign traffic: only the second handshake differs.
openssl_renegotiate() {
	local f=$1 u
	shift
	while IFS= read -r u; do
		split_url "$u"
		# Without -quiet, s_client reads the line R as "renegotiate".
		{ sleep 0.3; echo R; sleep 0.3; request openssl; sleep 0.5; } | timeout 8 openssl s_client -connect "$HOST:$PORT" "$@" >/dev/null 2>&1 || true
	done <"$f"
}

anomaly_renegotiation() {
	local u=$W/urls/reneg n
	mkdir -p "$u"
	n=$(share 2)
	local hosts=(www.corp.lab:443 api.corp.lab:443 cdn.corp.lab:443 files.corp.lab:443)
	urls "$n" "$u/openssl" "${hosts[@]}"
	stack openssl-renegotiate "$n" openssl_renegotiate "$u/openssl" -tls1_2 -alpn http/1.1 -CAfile "$CA"
	urls "$n" "$u/gnutls" "${hosts[@]}"
	stack gnutls-cli-rehandshake "$n" gnutls_each "$u/gnutls" --x509cafile "$CA" --rehandshake --priority 'NORMAL:-VERS-TLS1.3'
}

# ---- the lab ---------------------------------------------------------------
ip link set lo up
for ((r = 1; r <= RUNS; r++)); do
	pki=$W/pki/base
	[ -d "$W/pki/run$r" ] && pki=$W/pki/run$r
	echo "run $r of $RUNS (certificates: $(basename "$pki"))" >&2
	start_benign_servers "$pki"
	if ((r < RUNS)); then
		begin benign-train "run$r"
	else
		begin benign "run$r"
	fi
	benign_run
	end
	stop_all
done
echo "anomalies, $ANOM connections a kind" >&2
start_benign_servers "$W/pki/base"
start_anomaly_servers
begin non-tls-ssh all
anomaly_ssh
end
begin non-tls-http all
anomaly_http
end
begin non-tls-random all
anomaly_random
end
begin truncated-hello all
anomaly_hello truncated-hello 9443
end
begin malformed-hello all
anomaly_hello malformed-hello 9444
end
begin decoy-hello all
anomaly_hello decoy-hello 9445
end
begin legacy-tls10 all
anomaly_legacy
end
begin odd-ciphers-no-sni all
anomaly_odd
end
begin self-signed-server all
anomaly_selfsigned
end
# Only the client's leg to the proxy: its leg to the server is plain TLS.
begin preamble-connect all 'tcp port 443 and host 127.0.9.1'
anomaly_preamble_connect
end
begin preamble-banner all
anomaly_preamble_banner
end
begin client-certificate all
anomaly_client_cert
end
begin fake-tls all
anomaly_faketls
end
begin renegotiation all
anomaly_renegotiation
end
begin hello-tcp-split all
anomaly_hello hello-tcp-split 9446
end
stop_all
