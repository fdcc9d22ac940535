# Sourced by .ci/run: start a throwaway PostgreSQL server (Debian's) for the store's tests of
# `orbitdc serve`, and export ORBITDC_PG_URL and ORBITDC_REQUIRE_PG=1 (its tests then must
# run). The cluster lives in a temporary folder, owned by the `postgres` user when run as root
# (the server refuses to run as root), on a free loopback port; it is stopped on exit.
start_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "== installing Debian's PostgreSQL server for the store's tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q postgresql >/dev/null 2>&1 || {
      apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null
    }
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  PG_DIR=$(mktemp -d)
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  local as=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$PG_DIR"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bin/initdb" -D "$PG_DIR/data" -A trust -U postgres >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  "${as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-h 127.0.0.1 -p $port -k $PG_DIR -c fsync=off" start >/dev/null \
    || { cat "$PG_DIR/server.log" >&2; return 1; }
  PG_STOP=("${as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate stop)
  trap 'stop_postgres' EXIT
  "${as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres orbitdc
  export ORBITDC_PG_URL="postgresql://postgres@127.0.0.1:$port/orbitdc"
  export ORBITDC_REQUIRE_PG=1
  echo "== PostgreSQL on 127.0.0.1:$port ($("$bin/postgres" --version))"
}

stop_postgres() {
  if [ -n "${PG_DIR:-}" ]; then
    "${PG_STOP[@]}" >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}
