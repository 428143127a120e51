#!/usr/bin/env bash
# Start a small production topology of its own on this machine, on free loopback ports:
#
#   client ──> nginx (load balancer) ──┬──> quillpress instance 1 ──┬──> PostgreSQL primary
#                                      ├──> quillpress instance 2 ──┤      │ streaming
#                                      └──> …  instance N           │      v
#                                                                   ├──> PostgreSQL replica
#                                                                   └──> Redis
#
# Usage: deploy/local/up.sh [--instances N] [--seed]
#   --instances N   Quillpress instances behind nginx, 1 to 99 (default 2)
#   --seed          fill the database with the demo data (`quillpress seed`: 50 users,
#                   500 articles, every password "password123") before the instances
#                   start, so the entry URL shows it from the first request
#   -h, --help      print this help
# State (data, logs, configuration, topology.env) lives in $QUILLPRESS_LOCAL_DIR, by default
# deploy/local/.run/ (git-ignored). deploy/local/down.sh stops it all again, by PID.
# Other QUILLPRESS_* variables in the environment reach the instances (e.g.
# QUILLPRESS_RATE_LIMITS=off); the ones the topology needs are set here and win.
# The last line printed is the entry URL (nginx). Exit 0 means every part answers.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PGBIN="${QUILLPRESS_PGBIN:-/usr/lib/postgresql/15/bin}"
NGINX="${QUILLPRESS_NGINX:-/usr/sbin/nginx}"
QUILLPRESS="${QUILLPRESS_BIN:-$REPO/.venv/bin/quillpress}"
STATE="${QUILLPRESS_LOCAL_DIR:-$HERE/.run}"
READY_TIMEOUT="${QUILLPRESS_LOCAL_TIMEOUT:-90}"  # seconds, per wait
INSTANCES=2
SEED=0
# Ports this script never takes: the machine's shared services and the usual app ports.
RESERVED_PORTS=" 80 443 5432 6379 8000 8080 "

die() { echo "up.sh: $*" >&2; exit 1; }
usage() {  # the comment block at the top of this file, without its '# '
    sed -n '2,/^[^#]/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
        --instances) [ $# -ge 2 ] || die "--instances needs a number"; INSTANCES="$2"; shift 2 ;;
        --instances=*) INSTANCES="${1#*=}"; shift ;;
        --seed) SEED=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument '$1' (usage: up.sh [--instances N] [--seed]; up.sh --help)" ;;
    esac
done
[[ "$INSTANCES" =~ ^[1-9][0-9]?$ ]] || die "--instances must be 1 to 99, not '$INSTANCES'"

# --- what must be installed ------------------------------------------------------------
[ -x "$PGBIN/initdb" ] || die "PostgreSQL 15 binaries not found in $PGBIN (sudo apt-get install -y postgresql-15, or set QUILLPRESS_PGBIN)"
[ -x "$NGINX" ] || die "nginx not found at $NGINX (sudo apt-get install -y nginx, or set QUILLPRESS_NGINX)"
command -v redis-server >/dev/null || die "redis-server not found (sudo apt-get install -y redis-server)"
command -v curl >/dev/null || die "curl not found (sudo apt-get install -y curl)"
[ -x "$QUILLPRESS" ] || die "$QUILLPRESS not found (run 'make install' in $REPO first)"
[ "$(id -u)" -eq 0 ] || die "must run as root: PostgreSQL is initialised as the postgres user through runuser"
id postgres >/dev/null 2>&1 || die "no 'postgres' system user (it comes with the postgresql package)"

case "$STATE" in
    *[\"\$\`\\]*) die "QUILLPRESS_LOCAL_DIR may not contain quotes, \$, \` or backslashes: $STATE" ;;
esac
if [ -e "$STATE/topology.env" ]; then
    die "a topology is already recorded in $STATE (stop it first: deploy/local/down.sh)"
fi
mkdir -p "$STATE"
STATE="$(cd "$STATE" && pwd)"  # nginx and pg_ctl need absolute paths
chmod 755 "$STATE"
touch "$STATE/.quillpress-local"  # down.sh removes only a directory carrying this mark
runuser -u postgres -- test -x "$STATE" \
    || die "the postgres user cannot enter $STATE (set QUILLPRESS_LOCAL_DIR to a directory whose parents are world-searchable)"

ENV_FILE="$STATE/topology.env"
: > "$ENV_FILE.partial"
record() {  # KEY VALUE: one shell-sourceable line, written as soon as it is known
    # A key recorded again (the instance PIDs, as each starts) replaces its line: every
    # key appears once in the file.
    local partial="$ENV_FILE.partial"
    grep -v "^$1=" "$partial" > "$partial.new" || true
    printf '%s="%s"\n' "$1" "$2" >> "$partial.new"
    mv "$partial.new" "$partial"
}
record STATE_DIR "$STATE"

# From here on, a failure stops whatever was started so far (down.sh reads the record).
started=0
cleanup_on_failure() {
    status=$?
    if [ "$started" -eq 1 ] && [ "$status" -ne 0 ]; then
        echo "up.sh: failed; the end of each log, then everything started is stopped:" >&2
        for log in "$STATE"/logs/*.log; do
            [ -s "$log" ] || continue
            echo "--- $log" >&2
            tail -n 15 "$log" >&2
        done
        [ -e "$ENV_FILE" ] || mv "$ENV_FILE.partial" "$ENV_FILE"
        QUILLPRESS_LOCAL_DIR="$STATE" "$HERE/down.sh" >&2 || true
    fi
}
trap cleanup_on_failure EXIT
started=1

# --- ports -------------------------------------------------------------------------------
# N+4 distinct free loopback ports, asked of the kernel (port 0) so none is in use now.
COUNT=$((INSTANCES + 4))
read -r -a PORTS <<< "$(python3 - "$COUNT" "$RESERVED_PORTS" <<'PY'
import socket, sys
count, reserved = int(sys.argv[1]), {int(p) for p in sys.argv[2].split()}
held, ports = [], []
while len(ports) < count:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
    port = s.getsockname()[1]
    if port not in reserved:
        ports.append(port)
print(" ".join(map(str, ports)))
PY
)"
PRIMARY_PORT=${PORTS[0]}; REPLICA_PORT=${PORTS[1]}; REDIS_PORT=${PORTS[2]}; NGINX_PORT=${PORTS[3]}
INSTANCE_PORTS=("${PORTS[@]:4}")

mkdir -p "$STATE/logs"
chmod 777 "$STATE/logs"  # the postgres user writes its server logs here
LOGS="$STATE/logs"

wait_until() {  # SECONDS DESCRIPTION COMMAND…: retry COMMAND until it succeeds
    local limit=$1 what=$2; shift 2
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || die "timed out after ${limit}s waiting for $what"
        sleep 0.2
    done
}

pg() { runuser -u postgres -- "$@"; }
psql_at() {  # PORT SQL: one value from a server of this topology
    "$PGBIN/psql" -X -h 127.0.0.1 -p "$1" -U postgres -d postgres -Atc "$2"
}
postmaster_pid() { head -n1 "$1/postmaster.pid"; }

# --- PostgreSQL primary --------------------------------------------------------------------
PRIMARY_DATA="$STATE/primary"
REPLICA_DATA="$STATE/replica"
record PRIMARY_DATA "$PRIMARY_DATA"
record REPLICA_DATA "$REPLICA_DATA"
install -d -o postgres -g postgres -m 700 "$PRIMARY_DATA" "$REPLICA_DATA"
# trust on loopback only: this cluster listens on 127.0.0.1 and belongs to this topology.
pg "$PGBIN/initdb" -D "$PRIMARY_DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    > "$LOGS/initdb.log" 2>&1 || die "initdb failed (see $LOGS/initdb.log)"
cat >> "$PRIMARY_DATA/postgresql.conf" <<EOF

# --- deploy/local/up.sh ---
listen_addresses = '127.0.0.1'
port = $PRIMARY_PORT
unix_socket_directories = ''
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
wal_keep_size = '64MB'
hot_standby = on
hot_standby_feedback = on
max_connections = 100
shared_buffers = '64MB'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
pg "$PGBIN/pg_ctl" -D "$PRIMARY_DATA" -l "$LOGS/primary.log" -w -t "$READY_TIMEOUT" start \
    > /dev/null || die "the primary did not start (see $LOGS/primary.log)"
record PRIMARY_PORT "$PRIMARY_PORT"
record PRIMARY_PID "$(postmaster_pid "$PRIMARY_DATA")"
wait_until "$READY_TIMEOUT" "the primary" "$PGBIN/pg_isready" -q -U postgres -h 127.0.0.1 -p "$PRIMARY_PORT"
psql_at "$PRIMARY_PORT" "CREATE DATABASE quillpress" > /dev/null
PRIMARY_URL="postgresql://postgres@127.0.0.1:$PRIMARY_PORT/quillpress"
record PRIMARY_URL "$PRIMARY_URL"

# --- streaming replica ---------------------------------------------------------------------
# -R writes standby.signal and primary_conninfo; the slot keeps the WAL the replica needs.
pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$REPLICA_DATA" \
    -R -X stream -C -S quillpress_replica --checkpoint=fast > "$LOGS/basebackup.log" 2>&1 \
    || die "pg_basebackup failed (see $LOGS/basebackup.log)"
cat >> "$REPLICA_DATA/postgresql.conf" <<EOF

# --- deploy/local/up.sh: the replica ---
port = $REPLICA_PORT
hot_standby = on
EOF
pg "$PGBIN/pg_ctl" -D "$REPLICA_DATA" -l "$LOGS/replica.log" -w -t "$READY_TIMEOUT" start \
    > /dev/null || die "the replica did not start (see $LOGS/replica.log)"
record REPLICA_PORT "$REPLICA_PORT"
record REPLICA_PID "$(postmaster_pid "$REPLICA_DATA")"
REPLICA_URL="postgresql://postgres@127.0.0.1:$REPLICA_PORT/quillpress"
record REPLICA_URL "$REPLICA_URL"

# --- Redis ---------------------------------------------------------------------------------
mkdir -p "$STATE/redis"
setsid redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$STATE/redis" --logfile "$LOGS/redis.log" --daemonize no \
    < /dev/null > /dev/null 2>&1 &
record REDIS_PID "$!"
record REDIS_PORT "$REDIS_PORT"
REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
record REDIS_URL "$REDIS_URL"

# --- waits for the data tier -----------------------------------------------------------------
wait_until "$READY_TIMEOUT" "the replica to accept connections" \
    "$PGBIN/pg_isready" -q -U postgres -h 127.0.0.1 -p "$REPLICA_PORT"
replica_in_recovery() { [ "$(psql_at "$REPLICA_PORT" 'SELECT pg_is_in_recovery()')" = t ]; }
wait_until "$READY_TIMEOUT" "the replica to be in recovery" replica_in_recovery
streaming() {
    [ "$(psql_at "$PRIMARY_PORT" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" -ge 1 ]
}
wait_until "$READY_TIMEOUT" "the replica to stream from the primary" streaming
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping)" = PONG ]; }
wait_until "$READY_TIMEOUT" "Redis" redis_up

# --- Quillpress instances ----------------------------------------------------------------------
SECRET_FILE="$STATE/secret-key"
(umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(48))' > "$SECRET_FILE")
record SECRET_KEY_FILE "$SECRET_FILE"
ENTRY_URL="http://127.0.0.1:$NGINX_PORT"

instance_env() {
    export QUILLPRESS_ENV=production
    QUILLPRESS_SECRET_KEY="$(cat "$SECRET_FILE")"
    export QUILLPRESS_SECRET_KEY
    export QUILLPRESS_DATABASE_URL="$PRIMARY_URL"
    export QUILLPRESS_DATABASE_REPLICA_URLS="$REPLICA_URL"
    export QUILLPRESS_REDIS_URL="$REDIS_URL"
    export QUILLPRESS_TRUSTED_PROXIES=127.0.0.1
    export QUILLPRESS_PUBLIC_URL="$ENTRY_URL"
    unset DATABASE_URL
}

# Once, before any instance: instances never race on the schema.
(instance_env && "$QUILLPRESS" db upgrade) > "$LOGS/migrate.log" 2>&1 \
    || die "quillpress db upgrade failed (see $LOGS/migrate.log)"
# The demo data, also before any instance: nothing is cached yet, and the commit positions
# the instances start from (the primary's, read by the first read) include every seeded
# row, so the first request through nginx shows it, on whichever instance and replica.
SEEDED=""
if [ "$SEED" -eq 1 ]; then
    (instance_env && "$QUILLPRESS" seed) > "$LOGS/seed.log" 2>&1 \
        || die "quillpress seed failed (see $LOGS/seed.log)"
    SEEDED="$(tail -n1 "$LOGS/seed.log")"
fi

INSTANCE_PIDS=()
INSTANCE_URLS=()
record INSTANCE_PORTS "${INSTANCE_PORTS[*]}"
for i in $(seq 1 "$INSTANCES"); do
    port=${INSTANCE_PORTS[$((i - 1))]}
    (
        instance_env
        exec setsid "$QUILLPRESS" serve --host 127.0.0.1 --port "$port" --workers 1
    ) < /dev/null > "$LOGS/instance-$i.log" 2>&1 &
    INSTANCE_PIDS+=("$!")
    INSTANCE_URLS+=("http://127.0.0.1:$port")
    record INSTANCE_PIDS "${INSTANCE_PIDS[*]}"  # at once, so a failure can stop it (last wins)
done
record INSTANCES "$INSTANCES"
record INSTANCE_URLS "${INSTANCE_URLS[*]}"

# --- nginx ---------------------------------------------------------------------------------------
NGINX_DIR="$STATE/nginx"
mkdir -p "$NGINX_DIR"/{client_body,proxy,fastcgi,uwsgi,scgi}
# Workers drop root for nobody (nginx's default user): they write proxy buffers here.
chown -R nobody "$NGINX_DIR" 2>/dev/null || true
{
    cat <<EOF
# Generated by deploy/local/up.sh; every path is inside $STATE.
worker_processes 1;
pid $NGINX_DIR/nginx.pid;
error_log $LOGS/nginx-error.log warn;
events { worker_connections 1024; }
http {
    log_format upstreams '\$remote_addr "\$request" \$status \$request_time '
                         'upstream=\$upstream_addr upstream_status=\$upstream_status';
    access_log $LOGS/nginx-access.log upstreams;
    client_body_temp_path $NGINX_DIR/client_body;
    proxy_temp_path $NGINX_DIR/proxy;
    fastcgi_temp_path $NGINX_DIR/fastcgi;
    uwsgi_temp_path $NGINX_DIR/uwsgi;
    scgi_temp_path $NGINX_DIR/scgi;
    client_max_body_size 2m;

    # Passive health checks: 3 failures within 5 s take an instance out for 5 s.
    upstream quillpress {
EOF
    for port in "${INSTANCE_PORTS[@]}"; do
        echo "        server 127.0.0.1:$port max_fails=3 fail_timeout=5s;"
    done
    cat <<EOF
        keepalive 32;
        # Idle connections are closed here before uvicorn closes them (its keep-alive is
        # 5 s): a request sent on a connection the instance is closing fails, and nginx
        # cannot retry it on another instance when it is a POST (the client would get 502).
        keepalive_timeout 2s;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://quillpress;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            # Retry on another instance when one fails. nginx never retries a non-idempotent
            # request (POST, PATCH…) once it reached an upstream: no "non_idempotent" here.
            proxy_next_upstream error timeout http_502 http_503 http_504;
            proxy_next_upstream_tries 3;
            proxy_connect_timeout 2s;
            proxy_read_timeout 30s;
        }
    }
}
EOF
} > "$NGINX_DIR/nginx.conf"
"$NGINX" -t -q -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" 2> "$LOGS/nginx-test.log" \
    || die "nginx rejected its configuration (see $LOGS/nginx-test.log)"
"$NGINX" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" 2>> "$LOGS/nginx-error.log" \
    || die "nginx did not start (see $LOGS/nginx-error.log)"
wait_until 10 "nginx's pid file" test -s "$NGINX_DIR/nginx.pid"
record NGINX_PID "$(cat "$NGINX_DIR/nginx.pid")"
record NGINX_PORT "$NGINX_PORT"
record ENTRY_URL "$ENTRY_URL"

# --- every instance answers ------------------------------------------------------------------------
# /readyz when the build has it (200 = ready; anything but 404 = not yet), else /api/tags.
instance_ready() {
    local url=$1 code
    code=$(curl -s -o /dev/null -m 3 -w '%{http_code}' "$url/readyz") || return 1
    [ "$code" = 200 ] && return 0
    [ "$code" = 404 ] || return 1
    [ "$(curl -s -o /dev/null -m 3 -w '%{http_code}' "$url/api/tags")" = 200 ]
}
for i in "${!INSTANCE_URLS[@]}"; do
    pid=${INSTANCE_PIDS[$i]}
    deadline=$((SECONDS + READY_TIMEOUT))
    until instance_ready "${INSTANCE_URLS[$i]}"; do
        kill -0 "$pid" 2>/dev/null || die "instance $((i + 1)) exited (see $LOGS/instance-$((i + 1)).log)"
        [ "$SECONDS" -lt "$deadline" ] || die "timed out waiting for instance $((i + 1)) (see $LOGS/instance-$((i + 1)).log)"
        sleep 0.3
    done
done
wait_until "$READY_TIMEOUT" "nginx at $ENTRY_URL" instance_ready "$ENTRY_URL"

mv "$ENV_FILE.partial" "$ENV_FILE"
started=0
echo "PostgreSQL primary  $PRIMARY_URL"
echo "PostgreSQL replica  $REPLICA_URL"
echo "Redis               $REDIS_URL"
echo "Instances           ${INSTANCE_URLS[*]}"
[ -z "$SEEDED" ] || echo "Demo data           ${SEEDED#Seeded }"
echo "State and logs      $STATE (stop with: deploy/local/down.sh)"
echo "$ENTRY_URL"
