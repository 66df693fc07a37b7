#!/usr/bin/env bash
# Make sure PostgreSQL, Redis and Chromium are here and running on loopback, installing
# them from Debian's packages when they are missing (a user's fresh machine).
set -euo pipefail
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
updated=0
apt_install() {
  if [ $updated -eq 0 ]; then $SUDO apt-get update -qq; updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# PostgreSQL on 127.0.0.1:5432 with trust auth for local tests.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql postgresql-client
  ver=$(ls /etc/postgresql | sort -V | tail -n1)
  hba=/etc/postgresql/$ver/main/pg_hba.conf
  if ! grep -q "hub-tests" "$hba"; then
    $SUDO sed -i "1i host all all 127.0.0.1/32 trust # hub-tests\nlocal all all trust # hub-tests" "$hba"
  fi
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start || $SUDO pg_ctlcluster "$ver" main restart
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL did not start on 127.0.0.1:5432" >&2; exit 1; }

# Redis on 127.0.0.1:6379, nothing on disk.
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 20); do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 0.5; done
fi

# Headless Chromium for the browser tests.
if [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi
# A CJK font, so pages render Chinese text in screenshots and browser tests.
if ! fc-list 2>/dev/null | grep -qi "wqy\|noto.*cjk"; then
  apt_install fonts-wqy-microhei || true
fi
echo "services: PostgreSQL, Redis and Chromium ready"
