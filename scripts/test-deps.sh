#!/usr/bin/env bash
# Installs the services the integration tests run against: nats-server, redis-server and
# PostgreSQL (test/support/global-setup.ts starts and stops them; nothing is left running).
# Idempotent: installs only what is missing, runs `apt-get update` at most once, and prints
# what it did. Meant for root on Debian 12; elsewhere it says what is missing, and with CI set
# that is an error (locally the suites that need a missing service skip and say why).
set -euo pipefail
# Debian puts nats-server in /usr/sbin; the harness looks there too (test/support/process.ts).
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

log() { printf 'test-deps: %s\n' "$*"; }

have_postgres() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] && return 0
  done
  return 1
}

missing=()
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
have_postgres || missing+=(postgresql)

fail_or_warn() {
  if [[ -n "${CI:-}" ]]; then
    log "error: $*"
    exit 1
  fi
  log "warning: $* (the integration suites that need them will skip)"
  exit 0
}

if ((${#missing[@]} == 0)); then
  log "nats-server, redis-server and PostgreSQL are present: nothing to install"
else
  log "missing: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    fail_or_warn "not root, cannot install ${missing[*]}"
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    fail_or_warn "no apt-get, cannot install ${missing[*]}"
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Keep the packages' init scripts from starting daemons on the default ports: the tests start
  # their own instances. Only add the policy if the image has none, and remove it afterwards.
  policy=/usr/sbin/policy-rc.d
  added_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    added_policy=1
    trap 'rm -f "$policy"' EXIT
  fi
  log "apt-get update"
  apt-get update -qq
  log "apt-get install ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if ((added_policy)); then
    rm -f "$policy"
    trap - EXIT
  fi
  log "installed ${missing[*]}"
fi

# initdb refuses to run as root, so the harness runs PostgreSQL as this user.
if ! id -u postgres >/dev/null 2>&1; then
  if [[ $(id -u) -ne 0 ]]; then
    log "no postgres user (only needed when the tests run as root)"
  else
    useradd --system --user-group --no-create-home --shell /usr/sbin/nologin postgres
    log "created the postgres system user"
  fi
fi

pg_bin=$(command -v initdb 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -n1)
log "ready: $(nats-server --version 2>&1 | head -n1), redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), $("$pg_bin" --version)"
