#!/usr/bin/env bash
# Starts moto's DynamoDB server on loopback for the classmates-api DynamoDB tests, installing
# moto[server] with pip if it is missing, and waits until it answers. The server is moto's own
# application run by moto_server.py beside this script, which applies requests one at a time
# (plain `moto_server` is not thread-safe under concurrent transactions; see moto_server.py).
#
#   functions/scripts/moto.sh [start] [PORT]   start (default port 8000) and print the export line
#   functions/scripts/moto.sh stop [PORT]      stop the server this script started
#
# Then: DYNAMODB_ENDPOINT=http://127.0.0.1:8000 cargo test -p classmates-api --features dynamodb
set -euo pipefail

ACTION=start
case "${1:-}" in
  start | stop) ACTION="$1"; shift ;;
esac
PORT="${1:-${MOTO_PORT:-8000}}"
HOST=127.0.0.1
ENDPOINT="http://$HOST:$PORT"
STATE_DIR="${TMPDIR:-/tmp}"
PID_FILE="$STATE_DIR/classmates-moto-$PORT.pid"
LOG_FILE="$STATE_DIR/classmates-moto-$PORT.log"

answers() {
  python3 - "$ENDPOINT" <<'PY'
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=1)
except urllib.error.HTTPError:
    pass  # any HTTP answer means the server is up
except Exception:
    sys.exit(1)
PY
}

if [ "$ACTION" = stop ]; then
  if [ -f "$PID_FILE" ]; then
    kill "$(cat "$PID_FILE")" 2>/dev/null || true
    rm -f "$PID_FILE"
    echo "moto on $ENDPOINT stopped"
  else
    echo "no moto started by this script on port $PORT"
  fi
  exit 0
fi

if answers; then
  echo "moto already answers on $ENDPOINT"
  echo "export DYNAMODB_ENDPOINT=$ENDPOINT"
  exit 0
fi

if ! python3 -c 'import moto.server, werkzeug, flask' >/dev/null 2>&1; then
  echo "installing moto[server] with pip..."
  python3 -m pip install --quiet 'moto[server]'
fi

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
nohup python3 "$SCRIPT_DIR/moto_server.py" -H "$HOST" -p "$PORT" >"$LOG_FILE" 2>&1 &
echo $! >"$PID_FILE"

for _ in $(seq 1 150); do
  if answers; then
    echo "moto answers on $ENDPOINT (pid $(cat "$PID_FILE"), log $LOG_FILE)"
    echo "export DYNAMODB_ENDPOINT=$ENDPOINT"
    exit 0
  fi
  if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    break
  fi
  sleep 0.2
done
echo "moto did not start on $ENDPOINT; its log ($LOG_FILE):" >&2
cat "$LOG_FILE" >&2 || true
exit 1
