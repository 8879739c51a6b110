#!/usr/bin/env bash
# Checks that DBDB installs, builds and passes its tests on a machine with Node and
# npm alone: clones this repository's HEAD (committed work only) into a temporary
# folder and runs the quick start and `pnpm test` there with a PATH on which no C/C++
# compiler, make or python can be found, pnpm installed fresh by npm into a private
# prefix, and a fresh pnpm store (so no package already built on the machine is
# reused). Benchmark peers that must compile (better-sqlite3 without a prebuilt
# binary) are optional: they are skipped, and their tests say so.
#
#   bash scripts/check-no-toolchain.sh [--keep]    (--keep: leave the folder for a look)
#
# Needs the package registry (as any install does). Takes a few minutes.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
keep=${1:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/dbdb-no-toolchain.XXXXXX")
if [ "$keep" = "--keep" ]; then
  echo "check-no-toolchain: keeping $work" >&2
else
  trap 'rm -rf "$work"' EXIT
fi

# Every tool on the current PATH (the first of each name, as PATH finds it) except
# compilers, assemblers' drivers, build tools, python and node-gyp: symlinked into
# one folder that becomes the whole PATH. pnpm is left out too: the quick start must
# install it with npm, as it would on a new machine.
hidden='^(cc|c89|c99|cpp|c\+\+|gcc|g\+\+|clang|clang\+\+|clang-cpp|tcc|icc|icx|make|gmake|bmake|cmake|ninja|scons|node-gyp|pnpm|pnpx|corepack|python|pip)'
hidden_anywhere='(-gcc|-g\+\+|-c\+\+|-cpp|gcc-|g\+\+-|clang|python)'
shim="$work/bin"
mkdir -p "$shim"
IFS=: read -r -a dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  [ -d "$d" ] || continue
  for f in "$d"/*; do
    name=$(basename "$f")
    [ -x "$f" ] && [ ! -d "$f" ] || continue
    [ -e "$shim/$name" ] && continue
    if [[ "$name" =~ $hidden ]] || [[ "$name" =~ $hidden_anywhere ]]; then continue; fi
    ln -s "$f" "$shim/$name"
  done
done

prefix="$work/npm-global"
mkdir -p "$prefix/bin"
export PATH="$prefix/bin:$shim"
export npm_config_prefix="$prefix"
unset PYTHON npm_config_python CC CXX npm_config_nodedir
for tool in cc gcc g++ c++ clang make python python3 node-gyp pnpm; do
  if command -v "$tool" >/dev/null 2>&1; then
    echo "check-no-toolchain: $tool is still on PATH ($(command -v "$tool")); the check would prove nothing" >&2
    exit 1
  fi
done
for tool in node npm git bash; do
  command -v "$tool" >/dev/null 2>&1 || { echo "check-no-toolchain: $tool is needed and missing" >&2; exit 1; }
done

start=$(date +%s)
git clone --quiet --no-local "$repo" "$work/repo"
cd "$work/repo"
echo "check-no-toolchain: $(git log -1 --format='%h %s') in $work/repo, node $(node --version), npm $(npm --version)" >&2
# A private store: nothing comes from packages installed (or built) earlier here.
printf '\nstoreDir: %s\n' "$work/store" >>pnpm-workspace.yaml

t0=$(date +%s)
bash scripts/quickstart.sh
t1=$(date +%s)
pnpm test
t2=$(date +%s)

echo
echo "check-no-toolchain: passed with no compiler, make or python on PATH"
for peer in better-sqlite3 lmdb classic-level; do
  if (cd packages/bench && node -e "const m = require('$peer'); if (m.prototype?.prepare) new m(':memory:').close()") >/dev/null 2>&1; then
    echo "check-no-toolchain: benchmark peer $peer: installed"
  else
    echo "check-no-toolchain: benchmark peer $peer: not installed (optional; pnpm bench reports it unavailable)"
  fi
done
echo "check-no-toolchain: quick start $((t1 - t0)) s, pnpm test $((t2 - t1)) s, total $((t2 - start)) s"
