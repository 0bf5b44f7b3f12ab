#!/usr/bin/env bash
# Regenerates detector/evidence/webpki_roots.tsv: the public Web PKI root
# subjects, past and present (a capture from 2014 chains to roots that
# Mozilla has since removed), from Mozilla's root store as four sources
# publish it at different times. Needs the Go module proxy, npm and
# Debian's ca-certificates; vendor_roots.tsv adds the operating-system
# vendors' own roots.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
FALLBACK=golang.org/x/crypto/x509roots/fallback@v0.0.0-20261030153154-30a33513ff6d
DEBIAN=/usr/share/ca-certificates/mozilla
test -d "$DEBIAN" || { echo "fetch.sh needs Debian's ca-certificates (apt-get install ca-certificates)"; exit 1; }
dir=$(cd "$T" && GOFLAGS=-mod=mod go mod download -json "$FALLBACK" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
for v in 1.0.6 1.3.1; do
	mkdir -p "$T/npm-$v"
	(cd "$T" && npm pack --silent "ssl-root-cas@$v" >/dev/null)
	tar xzf "$T/ssl-root-cas-$v.tgz" -C "$T/npm-$v"
done
cd "$ROOT"
go run ./detector/evidence/webpkigen -o detector/evidence/webpki_roots.tsv \
	-names detector/evidence/webpkigen/vendor_roots.tsv \
	-source "Debian ca-certificates $(dpkg-query -W -f '${Version}' ca-certificates) ($DEBIAN)" \
	-source "$FALLBACK (bundle/bundle.der, NSS)" \
	-source "npm ssl-root-cas@1.0.6 and @1.3.1 (pems/: Mozilla's certdata as those releases bundled it)" \
	-source "webpkigen/vendor_roots.tsv: Microsoft's and Apple's own roots, which Mozilla's store lacks" \
	"$DEBIAN"/*.crt "$dir/bundle/bundle.der" "$T"/npm-1.0.6/package/pems/*.pem "$T"/npm-1.3.1/package/pems/*.pem
