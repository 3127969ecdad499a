#!/usr/bin/env bash
# Download the GeoLite2 City and ASN databases into geoip/ (what guardpost:logs.geoipDatabasePath points
# at). Needs a free MaxMind account: MAXMIND_ACCOUNT_ID and MAXMIND_LICENSE_KEY in the environment.
set -euo pipefail
: "${MAXMIND_ACCOUNT_ID:?set MAXMIND_ACCOUNT_ID (your MaxMind account id)}"
: "${MAXMIND_LICENSE_KEY:?set MAXMIND_LICENSE_KEY (a GeoLite2 licence key)}"
cd "$(dirname "$0")/.."
mkdir -p geoip
for edition in GeoLite2-City GeoLite2-ASN; do
    tmp=$(mktemp -d)
    curl -fsSL -u "${MAXMIND_ACCOUNT_ID}:${MAXMIND_LICENSE_KEY}" \
        "https://download.maxmind.com/geoip/databases/${edition}/download?suffix=tar.gz" -o "$tmp/db.tar.gz"
    tar -xzf "$tmp/db.tar.gz" -C "$tmp"
    find "$tmp" -name "${edition}.mmdb" -exec mv {} "geoip/${edition}.mmdb" \;
    rm -rf "$tmp"
    echo "geoip/${edition}.mmdb"
done
