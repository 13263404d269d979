#!/usr/bin/env bash
# Installs the services the integration tests run against: nats-server, redis-server and
# PostgreSQL (test/support/global-setup.ts starts and stops them; nothing is left running), and
# the independent SMPP peers of the acceptance tests: Kannel's bearerbox/smsbox (package kannel;
# test/support/kannel.ts runs its own instances, never the system service) and Net::SMPP
# (package libnet-smpp-perl, driven by test/support/net-smpp-client.pl).
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
command -v bearerbox >/dev/null 2>&1 && command -v smsbox >/dev/null 2>&1 || missing+=(kannel)
perl -MNet::SMPP -e1 >/dev/null 2>&1 || missing+=(libnet-smpp-perl)

# Media (issue 6): fluent-ffmpeg drives Debian's ffmpeg and ffprobe for MMS video and audio
# transcoding (internal/media/av.ts); the transcode tests and `npm run bench:mms` need them.
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)

fail_or_warn() {
  if [[ -n "${CI:-}" ]]; then
    log "error: $*"
    exit 1
  fi
  log "warning: $* (the integration suites that need them will skip)"
  exit 0
}

if ((${#missing[@]} == 0)); then
  log "nats-server, redis-server, PostgreSQL, Kannel and Net::SMPP are present: nothing to install"
else
  log "missing: ${missing[*]}"
  # As root (CI) install directly; otherwise only through a sudo that needs no password.
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      fail_or_warn "not root and no passwordless sudo, cannot install ${missing[*]}"
    fi
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
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    added_policy=1
    trap '"${sudo[@]}" rm -f "$policy"' EXIT
  fi
  # apt's chatter (debconf notes included) goes to a file, shown only when a step fails.
  apt_log=$(mktemp)
  quietly() {
    if ! "$@" >>"$apt_log" 2>&1; then
      tail -n 40 "$apt_log" >&2
      log "error: $* failed"
      exit 1
    fi
  }
  log "apt-get update"
  quietly "${sudo[@]}" apt-get update -qq
  log "apt-get install ${missing[*]}"
  quietly "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  rm -f "$apt_log"
  if ((added_policy)); then
    "${sudo[@]}" rm -f "$policy"
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
log "peers: kannel $(dpkg-query -W -f='${Version}' kannel 2>/dev/null || echo '?'), Net::SMPP $(perl -MNet::SMPP -e 'print $Net::SMPP::VERSION')"

# MM4: swaks, the independent SMTP client that sends MMS to the MM4 listener in
# test/integration/mm4.test.ts (a Perl script; no daemon, so no policy-rc.d needed).
if command -v swaks >/dev/null 2>&1; then
  log "swaks $(swaks --version 2>/dev/null | head -n1 | awk '{print $NF}') is present"
else
  swaks_sudo=()
  if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then swaks_sudo=(sudo -n); fi
  if [[ $(id -u) -ne 0 && ${#swaks_sudo[@]} -eq 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    [[ -n "${CI:-}" ]] && { log "error: cannot install swaks"; exit 1; }
    log "warning: cannot install swaks (the MM4 swaks tests will skip)"
  else
    log "apt-get install swaks"
    if ! "${swaks_sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends swaks >/dev/null 2>&1; then
      "${swaks_sudo[@]}" apt-get update -qq >/dev/null
      "${swaks_sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends swaks >/dev/null
    fi
    log "installed swaks"
  fi
fi
log "media: $(ffmpeg -version 2>/dev/null | head -n1 | cut -d' ' -f1-3 || echo 'ffmpeg ?')"
