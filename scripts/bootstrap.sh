#!/usr/bin/env bash
# Installs the pinned toolchain and the workspace's dependencies from the lockfile.
# Used by the quick start and by CI; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")

# Nothing DBDB needs compiles at install (its writer lock ships prebuilt binaries).
# better-sqlite3, an optional peer of the benchmark, compiles where a toolchain is
# present (and is skipped where none is): node-gyp builds it against Node's headers.
# Where the machine ships them (Debian's nodejs puts them in /usr/include/node) use
# those instead of downloading; pnpm ignores `nodedir` in .npmrc, so it goes in the env.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "installing pnpm@$PNPM_VERSION" >&2
  npm install --global "pnpm@$PNPM_VERSION" >&2
fi
pnpm install --frozen-lockfile
pnpm run build
