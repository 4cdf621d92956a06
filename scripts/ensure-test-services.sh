#!/usr/bin/env bash
# Make sure the real services the tests use are there: a PostgreSQL server on 127.0.0.1:5432
# and Debian's Chromium for the browser tests. Uses what is running; installs and starts
# Debian's packages otherwise (needs root; without it, the dependent tests are skipped
# unless TAMIZ_REQUIRE_POSTGRES / TAMIZ_REQUIRE_BROWSER are set, as .ci/run does).
set -u
pg_up() { python3 - <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(2)
try:
    s.connect(("127.0.0.1", 5432)); sys.exit(0)
except OSError:
    sys.exit(1)
PY
}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }

if ! pg_up; then
    echo "PostgreSQL is not answering on 127.0.0.1:5432; trying to start it" >&2
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
        as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    if command -v pg_ctlcluster >/dev/null 2>&1; then
        version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
        conf=/etc/postgresql/$version/main
        if [ -n "$version" ] && [ -f "$conf/pg_hba.conf" ]; then
            # trust auth on loopback, as on our development machines
            grep -q "tamiz-ci" "$conf/pg_hba.conf" || as_root sh -c "printf 'host all all 127.0.0.1/32 trust # tamiz-ci\nhost all all ::1/128 trust # tamiz-ci\n' | cat - '$conf/pg_hba.conf' > '$conf/pg_hba.tmp' && mv '$conf/pg_hba.tmp' '$conf/pg_hba.conf'"
            as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        fi
    fi
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
    pg_up || echo "PostgreSQL still not reachable; PostgreSQL tests will be skipped or fail" >&2
fi

if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
    echo "installing Debian's chromium for the browser tests" >&2
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
        || echo "could not install chromium; browser tests will be skipped or fail" >&2
fi
exit 0
