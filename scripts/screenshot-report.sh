#!/usr/bin/env bash
# Renders the HTML report in headless Chromium and writes a full-page PNG, to look at it as a
# person would. Installs Debian's chromium when it is missing (root, Debian).
#   scripts/screenshot-report.sh [report.html] [out.png]
set -euo pipefail
html=$(realpath "${1:-bench/out/report.html}")
png=$(realpath -m "${2:-${html%.html}.png}")
if ! command -v chromium >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
profile=$(mktemp -d)
# Flags: no sandbox as root; no background networking (this machine has no network).
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$profile" --hide-scrollbars \
  --window-size=1200,"${HEIGHT:-4200}" --screenshot="$png" "file://$html" 2>/dev/null
rm -rf "$profile"
echo "wrote $png"
