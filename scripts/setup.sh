#!/usr/bin/env bash
# Prepares this machine for `npm start` and `npm test` (Debian/Ubuntu, as root). Idempotent and quiet when
# everything is there: apt-get runs only for missing packages, auditd is started only when it is not running,
# `npm ci` only when node_modules is missing or older than package-lock.json.
# As another user it installs nothing system-wide: it says what is missing and runs `npm ci` if needed.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*"; }

root=0
[ "$(id -u)" -eq 0 ] && root=1

# auditd: the daemon and auditctl/ausearch. libkrb5-dev, build-essential, python3: code-server's native modules
# (kerberos, node-pty) compile at install. ripgrep: seeds code-server's offline ripgrep download. chromium: the e2e
# browser. liburing-dev: the io_uring fixtures of the integration tests.
packages=(auditd libkrb5-dev ripgrep chromium build-essential python3 liburing-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ] && [ $root -eq 0 ]; then
  echo "setup: missing Debian packages: ${missing[*]}; run \`sudo bash scripts/setup.sh\` once" >&2
  exit 1
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# `auditctl -s` says `pid 0` when no daemon receives the records (also when it runs without systemd, as here).
# Only root can ask; other users see auditd's state in Audit Lens: Show auditd Status.
[ $root -eq 1 ] && mkdir -p /var/log/audit
if [ $root -eq 1 ] && ! auditctl -s 2>/dev/null | grep -Eq '^pid [1-9]'; then
  say "starting auditd"
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    systemctl start auditd
  else
    auditd
  fi
  for _ in $(seq 50); do
    auditctl -s 2>/dev/null | grep -Eq '^pid [1-9]' && break
    sleep 0.1
  done
  auditctl -s | grep -Eq '^pid [1-9]' || { echo "setup: auditd did not start (see journalctl or /var/log/audit)" >&2; exit 1; }
fi

# npm ci when node_modules is missing, older than the lock file, or lacks node-pty's compiled binary.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] ||
  [ ! -f node_modules/node-pty/build/Release/pty.node ]; then
  say "npm ci"
  npm ci --no-audit --no-fund
fi
