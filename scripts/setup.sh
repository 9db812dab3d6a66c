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
# browser. liburing-dev: the io_uring fixtures of the integration tests. git, rsync: tools the fixture recorder runs
# (git clean, rsync --delete); strace: the recorder's ground truth for tools that fork or pick their own names.
# sudo: Watch Deletions starts its helper through it, and its tests type a real sudo password as an unprivileged
# user. python3 also sends the helper's io_uring audit rules (auditctl cannot).
packages=(auditd libkrb5-dev ripgrep chromium build-essential python3 liburing-dev git rsync strace sudo)
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

# auditd must be live. `auditctl -s` names the pid the kernel last registered, and the kernel notices a killed
# auditd only when it next fails to send a record: the pid must also be a running auditd process.
# Only root can ask; other users see auditd's state in Audit Lens: Show auditd Status.
auditd_live() {
  local pid stat
  pid=$(auditctl -s 2>/dev/null | awk '$1 == "pid" { print $2 }')
  [ -n "$pid" ] && [ "$pid" != 0 ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = auditd ] || return 1
  # A killed process waiting to be reaped keeps its /proc entry in state Z.
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  case ${stat%% *} in Z | X) return 1 ;; esac
}
[ $root -eq 1 ] && mkdir -p /var/log/audit
if [ $root -eq 1 ] && ! auditd_live; then
  say "starting auditd"
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    systemctl start auditd
  else
    auditd
  fi
  for _ in $(seq 50); do
    auditd_live && break
    sleep 0.1
  done
  auditd_live || { echo "setup: auditd did not start (see journalctl or /var/log/audit)" >&2; exit 1; }
fi

# npm ci when node_modules is missing, older than the lock file, or lacks node-pty's compiled binary.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] ||
  [ ! -f node_modules/node-pty/build/Release/pty.node ]; then
  say "npm ci"
  npm ci --no-audit --no-fund
fi
