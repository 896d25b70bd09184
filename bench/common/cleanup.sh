# Sourced by the bench shell scripts (bench/studies/*.sh) after they cd to the
# repository root. Gives them HARNESS_JSON, a temporary file for the
# harness's --json report, and SERVER_PID, the server they start (empty
# while none runs). On exit, however it comes, the server is stopped and the
# file removed, and the script's own exit status is kept.
HARNESS_JSON=$(mktemp)
SERVER_PID=
cleanup() {
  local status=$?
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -f "$HARNESS_JSON"
  exit "$status"
}
trap cleanup EXIT
