#!/usr/bin/env bash
# Starts a real SMTP server (aiosmtpd, in a virtual environment this script makes) on loopback
# for the classmates-api e-mail tests, and waits until it answers. Messages land in a spool
# folder, one sub-folder per envelope sender (see smtp_server.py beside this script).
#
#   functions/scripts/smtp.sh [start] [PORT]   start (default port 2525) and print the export lines
#   functions/scripts/smtp.sh stop [PORT]      stop the server this script started
#
# Then: SMTP_TEST_PORT=2525 SMTP_TEST_SPOOL=… cargo test -p classmates-api --test mail
set -euo pipefail

ACTION=start
case "${1:-}" in
  start | stop) ACTION="$1"; shift ;;
esac
PORT="${1:-${SMTP_TEST_PORT:-2525}}"
HOST=127.0.0.1
STATE_DIR="${TMPDIR:-/tmp}"
PID_FILE="$STATE_DIR/classmates-smtp-$PORT.pid"
LOG_FILE="$STATE_DIR/classmates-smtp-$PORT.log"
SPOOL="$STATE_DIR/classmates-smtp-$PORT-spool"
VENV="${CLASSMATES_SMTP_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/classmates/aiosmtpd-venv}"

answers() {
  python3 - "$HOST" "$PORT" <<'PY'
import socket, sys
try:
    with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1) as s:
        s.settimeout(2)
        sys.exit(0 if s.recv(64).startswith(b"220") else 1)
except Exception:
    sys.exit(1)
PY
}

exports() {
  echo "export SMTP_TEST_PORT=$PORT"
  echo "export SMTP_TEST_SPOOL=$SPOOL"
}

if [ "$ACTION" = stop ]; then
  if [ -f "$PID_FILE" ]; then
    kill "$(cat "$PID_FILE")" 2>/dev/null || true
    rm -f "$PID_FILE"
    echo "aiosmtpd on $HOST:$PORT stopped"
  else
    echo "no aiosmtpd started by this script on port $PORT"
  fi
  exit 0
fi

if answers; then
  echo "an SMTP server already answers on $HOST:$PORT"
  exports
  exit 0
fi

if ! "$VENV/bin/python" -c 'import aiosmtpd' >/dev/null 2>&1; then
  echo "installing aiosmtpd in $VENV..."
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet aiosmtpd
fi

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$SPOOL"
nohup "$VENV/bin/python" "$SCRIPT_DIR/smtp_server.py" "$HOST" "$PORT" "$SPOOL" >"$LOG_FILE" 2>&1 &
echo $! >"$PID_FILE"

for _ in $(seq 1 100); do
  if answers; then
    echo "aiosmtpd answers on $HOST:$PORT (pid $(cat "$PID_FILE"), log $LOG_FILE)"
    exports
    exit 0
  fi
  if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    break
  fi
  sleep 0.2
done
echo "aiosmtpd did not start on $HOST:$PORT; its log ($LOG_FILE):" >&2
cat "$LOG_FILE" >&2 || true
exit 1
