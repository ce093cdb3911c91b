#!/usr/bin/env bash
# Installs what Foley needs on a fresh machine, skipping whatever is already there: system packages
# (ffmpeg for the fal emulator, redis-server when no Redis answers, chromium for the browser test),
# the pinned pnpm, and the workspace's packages. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || need+=(ffmpeg)
command -v redis-server >/dev/null || need+=(redis-server)
[ "${FOLEY_SKIP_BROWSER:-}" = 1 ] || command -v chromium >/dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "setup: apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "setup: please install: ${need[*]} (e.g. sudo apt-get install ${need[*]}, or brew install ${need[*]})" >&2
    exit 1
  fi
fi

pnpm_version=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
  echo "setup: npm install -g pnpm@$pnpm_version"
  npm install -g "pnpm@$pnpm_version" --no-fund --no-audit >/dev/null
fi
pnpm install --frozen-lockfile --reporter=append-only | tail -n 3
