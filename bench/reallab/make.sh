#!/usr/bin/env bash
# Labelled captures from real TLS stacks (see README.md).
# Usage: bench/reallab/make.sh OUTDIR [RUNS] [N]
#   RUNS  benign runs (default 2): runs 1..RUNS-1 -> benign-train.pcap, run RUNS -> benign.pcap
#   N     connections per benign stack and run (default 16; 11 stacks)
# Environment: ANOM connections per anomaly kind (default 3*N), SEED (1),
# REISSUE=1 to give the servers new leaf certificates (same CA, same
# names) in every benign run instead of keeping them.
# Writes OUTDIR/{benign-train,benign,KIND}.pcap, OUTDIR/labels.tsv, and
# the parts, logs and keys under OUTDIR/work. Needs root (network namespace).
set -euo pipefail
[ $# -ge 1 ] || {
	sed -n '2,11p' "$0" >&2
	exit 2
}
OUT=$1 RUNS=${2:-2} N=${3:-16}
ANOM=${ANOM:-$((3 * N))} SEED=${SEED:-1} REISSUE=${REISSUE:-0}
((RUNS >= 2)) || {
	echo "make.sh: RUNS must be at least 2 (training and test runs)" >&2
	exit 2
}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
[ "$(id -u)" = 0 ] || {
	echo "make.sh: needs root for a network namespace" >&2
	exit 1
}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
W=$OUT/work
T0=$SECONDS

# ---- tools -----------------------------------------------------------------
need=()
for t in openssl:openssl curl:curl wget:wget gnutls-cli:gnutls-bin python3:python3 node:nodejs \
	dumpcap:wireshark-common mergecap:wireshark-common ssh:openssh-client ssh-keyscan:openssh-client \
	/usr/sbin/sshd:openssh-server ip:iproute2 ss:iproute2 timeout:coreutils; do
	command -v "${t%%:*}" >/dev/null || need+=("${t##*:}")
done
if ((${#need[@]})); then
	echo "make.sh: installing ${need[*]}" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The interpreter itself: a version manager's shim costs a start-up each call.
PY=$(python3 -c 'import sys; print(sys.executable)')
rm -rf "$W"
mkdir -p "$W/pki/base" "$W/bin"
echo "building labtls and tlsentry" >&2
(cd "$ROOT" && go build -o "$W/bin/labtls" ./internal/reallab/labtls && go build -o "$W/bin/tlsentry" ./cmd/tlsentry)

# ---- certificates ------------------------------------------------------------
# newkey FILE rsa|p256|p384
newkey() {
	case $2 in
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null ;;
	p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" ;;
	p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$1" ;;
	esac
}
# ca_pair DIR: a root and an issuing CA, as a small company runs them.
ca_pair() {
	local d=$1
	newkey "$d/root.key" rsa
	openssl req -x509 -new -key "$d/root.key" -out "$d/root.crt" -days 3650 -subj "/O=Corp Lab/CN=Corp Lab Root CA" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
	newkey "$d/inter.key" rsa
	openssl req -new -key "$d/inter.key" -subj "/O=Corp Lab/CN=Corp Lab Issuing CA 1" -out "$d/inter.csr"
	openssl x509 -req -in "$d/inter.csr" -CA "$d/root.crt" -CAkey "$d/root.key" -set_serial "0x$(openssl rand -hex 8)" \
		-days 1825 -out "$d/inter.crt" -extfile <(printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n') 2>/dev/null
}
# leaf DIR NAME KEYTYPE DNS...: NAME.key, NAME.crt (issued by DIR's CA),
# NAME.chain (leaf and issuing CA).
leaf() {
	local d=$1 name=$2 kt=$3 ca=$W/pki/base
	shift 3
	local san
	san=$(printf 'DNS:%s,' "$@")
	newkey "$d/$name.key" "$kt"
	openssl req -new -key "$d/$name.key" -subj "/O=Corp Lab/CN=$1" -out "$d/$name.csr"
	openssl x509 -req -in "$d/$name.csr" -CA "$ca/inter.crt" -CAkey "$ca/inter.key" -set_serial "0x$(openssl rand -hex 12)" \
		-days 397 -out "$d/$name.crt" -extfile <(printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' "${san%,}") 2>/dev/null
	cat "$d/$name.crt" "$ca/inter.crt" >"$d/$name.chain"
}
benign_leaves() {
	leaf "$1" www rsa www.corp.lab intranet.corp.lab
	leaf "$1" api p256 api.corp.lab auth.corp.lab grpc.corp.lab
	leaf "$1" cdn rsa cdn.corp.lab static.corp.lab
	leaf "$1" files p384 files.corp.lab backup.corp.lab
}
randname() {
	local tlds=(xyz top info net online)
	echo "$(openssl rand -hex $((4 + RANDOM % 4))).${tlds[RANDOM % 5]}"
}
echo "certificates" >&2
RANDOM=$SEED
P=$W/pki/base
ca_pair "$P"
benign_leaves "$P"
leaf "$P" nas rsa nas.corp.lab
leaf "$P" printer rsa printer.corp.lab
if [ "$REISSUE" = 1 ]; then
	for ((r = 1; r <= RUNS; r++)); do
		mkdir -p "$W/pki/run$r"
		cp "$P/root.crt" "$P/inter.crt" "$W/pki/run$r/"
		benign_leaves "$W/pki/run$r"
	done
fi
# Self-signed servers with random names: RSA capped at TLS 1.2, ECDSA with
# TLS 1.3, RSA (python, 1.2) and ECDSA (Go, 1.2).
: >"$W/selfsigned-hosts"
ss_types=(rsa p256 rsa p256)
for i in 1 2 3 4; do
	name=$(randname)
	newkey "$P/ss$i.key" "${ss_types[i - 1]}"
	openssl req -x509 -new -key "$P/ss$i.key" -out "$P/ss$i.crt" -days $((30 + RANDOM % 700)) -subj "/CN=$name" \
		-addext "subjectAltName=DNS:$name"
	echo "$name 127.0.3.$i" >>"$W/selfsigned-addrs"
	echo "$name:443" >>"$W/selfsigned-hosts"
done
for t in ed25519 rsa ecdsa; do ssh-keygen -q -t $t -N '' -f "$W/ssh_host_${t}_key"; done
cat >"$W/sshd_config" <<EOF
ListenAddress 127.0.6.1:443
HostKey $W/ssh_host_ed25519_key
HostKey $W/ssh_host_rsa_key
HostKey $W/ssh_host_ecdsa_key
PidFile none
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
LogLevel ERROR
EOF

# ---- the namespace -------------------------------------------------------------
NS=reallab-$$
cleanup() {
	local p
	for p in $(ip netns pids "$NS" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
	sleep 0.2
	for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "/etc/netns/$NS"
}
trap cleanup EXIT
ip netns add "$NS"
mkdir -p "/etc/netns/$NS"
{
	echo "127.0.0.1 localhost"
	echo "127.0.1.1 www.corp.lab intranet.corp.lab"
	echo "127.0.1.2 api.corp.lab auth.corp.lab grpc.corp.lab"
	echo "127.0.1.3 cdn.corp.lab static.corp.lab"
	echo "127.0.1.4 files.corp.lab backup.corp.lab"
	echo "127.0.4.1 nas.corp.lab"
	echo "127.0.4.2 printer.corp.lab"
	echo "127.0.6.1 git.corp.lab"
	echo "127.0.7.1 wiki.corp.lab"
	echo "127.0.9.1 proxy.corp.lab"
	echo "127.0.9.3 mtls.corp.lab"
	while read -r name addr; do echo "$addr $name"; done <"$W/selfsigned-addrs"
} >"/etc/netns/$NS/hosts" # ip netns exec mounts it over /etc/hosts

echo "lab in namespace $NS: $RUNS benign runs of 11 stacks x $N, $ANOM a kind ($(($SECONDS - T0))s so far)" >&2
ip netns exec "$NS" env W="$W" HERE="$HERE" LABTLS="$W/bin/labtls" PY="$PY" RUNS="$RUNS" N="$N" ANOM="$ANOM" SEED="$SEED" \
	bash "$HERE/inside.sh"
cleanup
trap - EXIT

# ---- the labelled files ------------------------------------------------------
PARTS=$W/parts
mkdir -p "$W/flows"
for set in $(cut -f1 "$PARTS/attempts.tsv" | uniq); do
	mergecap -F pcap -w "$OUT/$set.pcap" "$PARTS/$set"/*.pcap
	"$W/bin/tlsentry" flows -r "$OUT/$set.pcap" >"$W/flows/$set.json" 2>>"$W/logs/tlsentry-flows.log"
done
echo "== per file: TCP flows, with payload (what eval scores), ClientHellos, distinct JA4" >&2
"$PY" "$HERE/lab.py" labels --attempts "$PARTS/attempts.tsv" --flows "$W/flows" --out "$OUT/labels.tsv"
echo "labels (per stack, with JA4): $OUT/labels.tsv; done in $((SECONDS - T0))s" >&2
