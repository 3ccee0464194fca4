#!/usr/bin/env bash
# The whole test suite (README: `npm test`). Installs what the tests need first: the
# npm packages (Deno, and the real agent CLIs the tests drive: claude, codex, gemini,
# qwen, opencode, the Claude and Codex ACP adapters) and, as root on Debian/Ubuntu,
# tmux, OpenSSH, zbar, procps, zsh and fish. Ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

need=()
command -v tmux >/dev/null 2>&1 || need+=(tmux)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)
command -v pgrep >/dev/null 2>&1 || need+=(procps)
# The completion scripts are checked by the shells that read them.
command -v zsh >/dev/null 2>&1 || need+=(zsh)
command -v fish >/dev/null 2>&1 || need+=(fish)
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "tests: installing ${need[*]}" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "tests: missing ${need[*]}; install them (e.g. sudo apt-get install ${need[*]})" >&2
    echo "0 passed, 1 failed"
    exit 2
  fi
fi

missing_bin=0
for bin in deno claude codex gemini qwen opencode claude-agent-acp codex-acp; do
  [ -x "node_modules/.bin/$bin" ] || missing_bin=1
done
if [ "$missing_bin" = 1 ]; then
  echo "tests: installing npm packages" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2 || { echo "0 passed, 1 failed"; exit 2; }
fi

export PATH="$PWD/node_modules/.bin:$PATH" NO_COLOR=1 RUST_BACKTRACE=0
log=$(mktemp)
# One file at a time: side by side (deno test --parallel) halves the wall time on two
# cores, but the timing of the live gate and dispatch tests then depends on the load.
deno test -A "$@" tests/ 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

summary=$(grep -E '^(ok|FAILED) \| ' "$log" | tail -n 1)
rm -f "$log"
passed=$(sed -nE 's/.*\| ([0-9]+) passed.*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.*\| ([0-9]+) failed.*/\1/p' <<<"$summary")
if [ -z "$passed" ]; then passed=0; failed=${failed:-1}; fi
echo "${passed} passed, ${failed:-0} failed"
exit "$status"
