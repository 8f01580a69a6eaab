#!/bin/sh
# Installs the Debian packages the tests and benchmarks need, if missing, and makes sure the
# PostgreSQL server the suite uses is running. Usage: system-deps.sh [package...]
set -eu

packages="${*:-dovecot-imapd openssl chromium}"
missing=""
for pkg in $packages; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "system-deps: please install:$missing (needs root)" >&2
        exit 1
    fi
    echo "system-deps: installing$missing"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

# PostgreSQL at 127.0.0.1:5432: started before the session on this machine kind; start it if
# it is installed but stopped.
if [ $# -eq 0 ] && command -v pg_isready >/dev/null 2>&1; then
    if ! pg_isready -q -h 127.0.0.1 -p 5432 && command -v pg_ctlcluster >/dev/null 2>&1; then
        version=$(ls /etc/postgresql 2>/dev/null | head -n 1)
        [ -n "$version" ] && pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    fi
fi
