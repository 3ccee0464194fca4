#!/usr/bin/env bash
# Builds the single binary: `scripts/compile.sh OUTPUT [deno compile flags, e.g. --target T]`.
#
# It compiles a staging copy of the tree whose node_modules holds only the runtime
# dependencies. `deno compile` embeds a manual node_modules folder whole, and the
# checkout's also holds the agent CLIs the tests drive (gigabytes, some of them native
# binaries for this platform only).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: scripts/compile.sh OUTPUT [deno compile flags]" >&2; exit 2; }
case "$1" in
  /*) out=$1 ;;
  *) out=$PWD/$1 ;;
esac
shift
deno="$root/node_modules/.bin/deno"
[ -x "$deno" ] || { echo "compile: $deno is missing: run npm ci first" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/handoff-compile-XXXXXX")
trap 'rm -rf "$stage"' EXIT
for part in main.ts deno.json package.json core plugins backends skills; do
  cp -R "$root/$part" "$stage/"
done
# The runtime dependencies as npm resolved them, nested ones included; not their .bin links.
(cd "$root" && npm ls --omit=dev --all --parseable) | tail -n +2 | sort -u | while read -r dir; do
  rel=${dir#"$root"/}
  mkdir -p "$stage/$rel"
  cp -R "$dir/." "$stage/$rel/"
done
rm -rf "$stage/node_modules/.bin"

cd "$stage"
# Type-checked in the checkout (`deno check .`): the type packages are dev dependencies.
# --v8-flags: the young generation core/self.ts V8_FLAGS explains, baked into the binary.
"$deno" compile -A --no-check --v8-flags=--min-semi-space-size=8 --include skills \
  --output "$out" "$@" main.ts
