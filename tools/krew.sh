#!/usr/bin/env bash
# make krew: packs the release archive (npm pack) and writes its sha256 into plugin/netcheck.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
archive=$(npm pack --silent 2>/dev/null | tail -1)
sum=$(sha256sum "$archive" | cut -d' ' -f1)
sed -i "s/sha256: \"[0-9a-f]*\"/sha256: \"$sum\"/" plugin/netcheck.yaml
echo "$archive sha256 $sum"
