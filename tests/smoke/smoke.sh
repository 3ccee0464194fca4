#!/usr/bin/env bash
# Smoke test of a handoff program, run from a directory outside the source tree:
#   tests/smoke/smoke.sh ./dist/handoff-linux-x64               (a release binary)
#   tests/smoke/smoke.sh deno run -A --quiet --unstable-lazy-dynamic-imports "$PWD/main.ts"   (from source)
# It checks --version, init into a temporary home, env --json, plugin list, a gate `list`
# for a device paired on the spot, and one run against the fake Anthropic server of the
# tests with the real claude CLI. Needs: node, and `npm ci` done in this checkout (for
# deno, which runs the fake server, and claude). Ends with "smoke: ok" or exits non-zero.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 <handoff program and arguments>" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin_dir="$repo/node_modules/.bin"
[ -x "$bin_dir/claude" ] && [ -x "$bin_dir/deno" ] || {
  echo "smoke: run npm ci in $repo first (claude and deno come from it)" >&2
  exit 2
}
handoff=("$@")
case "${handoff[0]}" in /*) ;; */*) handoff[0]="$PWD/${handoff[0]}" ;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/handoff-smoke-XXXXXX")
fake_pid=""
cleanup() {
  [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
export HOME="$work/home" HANDOFF_HOME="$work/handoff-home" NO_COLOR=1
export PATH="$bin_dir:$PATH"
mkdir -p "$HOME"
step() { echo "smoke: $*" >&2; }
fail() { echo "smoke: FAILED: $*" >&2; exit 1; }
json() { node -e "const j=JSON.parse(require('fs').readFileSync(0,'utf8')); console.log($1)"; }

step "--version"
version=$("${handoff[@]}" --version)
[[ "$version" =~ ^handoff\ [0-9]+\.[0-9]+\.[0-9]+ ]] || fail "--version printed: $version"

step "init"
"${handoff[@]}" init --no-skills 2>/dev/null
[ -f "$HANDOFF_HOME/config.yaml" ] || fail "init wrote no config.yaml"

step "the fake model server"
FAKE_IDLE_EXIT_MS=120000 "$bin_dir/deno" run -A "$repo/tests/fakes/fake_anthropic.ts" \
  >"$work/fake.out" 2>"$work/fake.err" &
fake_pid=$!
for _ in $(seq 100); do grep -q PORT= "$work/fake.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/^FAKE_ANTHROPIC_PORT=//p' "$work/fake.out")
[ -n "$port" ] || fail "the fake server did not start: $(cat "$work/fake.err")"
cat >"$HANDOFF_HOME/config.yaml" <<YAML
backends:
  smoke:
    type: claude
    model: fake-model
    env:
      ANTHROPIC_BASE_URL: http://127.0.0.1:$port
      ANTHROPIC_AUTH_TOKEN: dummy
      ANTHROPIC_SMALL_FAST_MODEL: fake-model
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1"
      DISABLE_AUTOUPDATER: "1"
      CLAUDE_CODE_MAX_RETRIES: "0"
      CLAUDE_CONFIG_DIR: $HOME/.claude
      IS_SANDBOX: "1"
YAML

step "env --json"
backend=$("${handoff[@]}" env --json | json 'j.backends.map((b) => b.name).join(",")')
[ "$backend" = smoke ] || fail "env --json lists backends: $backend"

step "plugin list"
"${handoff[@]}" plugin list | grep -q '^gate ' || fail "plugin list has no gate"

step "gate list for a device paired here"
pair=$("${handoff[@]}" pair --no-wait --json --host 127.0.0.1 --name Smoke \
  --authorized-keys "$work/authorized_keys" --sessions '*' 2>/dev/null)
fp=$(printf '%s' "$pair" | json 'j.fingerprint')
code=$(SSH_ORIGINAL_COMMAND="pair Smoke" "${handoff[@]}" gate "$fp" | sed -n 's/^verify://p')
[ -n "$code" ] || fail "the gate gave no verification code"
"${handoff[@]}" devices approve Smoke --code "$code" 2>/dev/null
listed=$(SSH_ORIGINAL_COMMAND=list "${handoff[@]}" gate "$fp")
[[ "$listed" == "#permissions:read_only=false,sessions=*"* ]] || fail "gate list: $listed"

step "run against the fake server with the real claude CLI"
out=$("${handoff[@]}" run -b smoke "FAKE_REPLY: smoke run answered" </dev/null 2>"$work/run.err") ||
  fail "run exited $?: $(tail -5 "$work/run.err")"
[[ "$out" == *"smoke run answered"* ]] || fail "run printed: $out"

echo "smoke: ok ($version)"
