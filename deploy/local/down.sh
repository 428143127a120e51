#!/usr/bin/env bash
# Stop everything deploy/local/up.sh started, by the PIDs it recorded in topology.env (never
# by process name: other topologies, and the machine's own services, may be running), wait
# for each to exit, then remove the state directory (data, logs, configuration).
# Idempotent: with nothing recorded it says so and exits 0.
# Usage: deploy/local/down.sh [-h|--help]
#   The state directory is $QUILLPRESS_LOCAL_DIR (default deploy/local/.run/), as for
#   up.sh; $QUILLPRESS_LOCAL_STOP_TIMEOUT is how long (seconds, default 20) a part may take
#   to exit before it is killed.
set -euo pipefail

usage() {  # the comment block at the top of this file, without its '# '
    sed -n '2,/^[^#]/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}
case "${1:-}" in
    "") ;;
    -h|--help) usage; exit 0 ;;
    *) echo "down.sh: unknown argument '$1' (usage: down.sh; down.sh --help)" >&2; exit 1 ;;
esac

HERE="$(cd "$(dirname "$0")" && pwd)"
STATE="${QUILLPRESS_LOCAL_DIR:-$HERE/.run}"
STOP_TIMEOUT="${QUILLPRESS_LOCAL_STOP_TIMEOUT:-20}"  # seconds before SIGKILL

if [ ! -d "$STATE" ]; then
    echo "down.sh: nothing to stop ($STATE does not exist)"
    exit 0
fi
if [ ! -e "$STATE/.quillpress-local" ]; then
    echo "down.sh: $STATE was not made by up.sh (no .quillpress-local mark); not touching it" >&2
    exit 1
fi

ENV_FILE="$STATE/topology.env"
[ -e "$ENV_FILE" ] || ENV_FILE="$STATE/topology.env.partial"  # up.sh stopped half-way
PRIMARY_PID="" REPLICA_PID="" REDIS_PID="" NGINX_PID="" INSTANCE_PIDS=""
PRIMARY_DATA="" REPLICA_DATA="" REDIS_PORT="" INSTANCE_PORTS=""
if [ -e "$ENV_FILE" ]; then
    # shellcheck disable=SC1090
    . "$ENV_FILE"
fi

alive() {  # PID: running (a zombie has exited: it only waits for its parent to reap it)
    local state
    [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
    state=$(sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f1) || return 1
    [ "$state" != Z ]
}

ours() {  # PID WORD: the process is still the one recorded (its command line names WORD)
    alive "$1" && tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

stop() {  # NAME PID WORD SIGNAL: signal the process, wait for it to exit, SIGKILL if it will not
    local name=$1 pid=$2 word=$3 signal=$4
    [ -n "$pid" ] || return 0
    if ! ours "$pid" "$word"; then
        return 0  # already gone (or the PID now belongs to someone else: leave it)
    fi
    kill "-$signal" "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while alive "$pid"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "down.sh: $name (pid $pid) ignored SIG$signal for ${STOP_TIMEOUT}s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
            deadline=$((SECONDS + STOP_TIMEOUT))
        fi
        sleep 0.1
    done
    echo "stopped $name (pid $pid)"
}

# Front to back: the balancer, the instances, then the data tier.
# Each process is recognised by what only it has on its command line (its data directory,
# port or configuration file), so a recycled PID is never signalled.
stop nginx "$NGINX_PID" "$STATE/nginx/nginx.conf" QUIT
read -r -a pids <<< "$INSTANCE_PIDS"
read -r -a ports <<< "$INSTANCE_PORTS"
for i in "${!pids[@]}"; do
    stop "instance $((i + 1))" "${pids[$i]}" "--port ${ports[$i]:-}" TERM
done
stop redis "$REDIS_PID" "127.0.0.1:$REDIS_PORT" TERM
# SIGINT is PostgreSQL's "fast" shutdown: it ends sessions and checkpoints.
stop "PostgreSQL replica" "$REPLICA_PID" "$REPLICA_DATA" INT
stop "PostgreSQL primary" "$PRIMARY_PID" "$PRIMARY_DATA" INT

# A PostgreSQL server started again by hand (pg_ctl) has a PID not in the record.
for data in "$REPLICA_DATA" "$PRIMARY_DATA"; do
    if [ -n "$data" ] && [ -s "$data/postmaster.pid" ]; then
        stop "PostgreSQL ($data)" "$(head -n1 "$data/postmaster.pid")" "$data" INT
    fi
done

rm -rf -- "$STATE"
echo "removed $STATE"
