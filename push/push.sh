#!/usr/bin/env bash
# The push action's second step: validates the document (the findings become annotations), then
# writes it with `statusctl push`, and describes both in the job summary. Its inputs arrive as
# PUSH_* environment variables; the exit code is the validation's when the document is refused,
# else statusctl push's (docs/ci.md lists them), and is also the step's `exit-code` output.
# Without a file there is nothing to do: the action was used to set up statusctl only.
set -uo pipefail

summary=${GITHUB_STEP_SUMMARY:-/dev/null}
output=${GITHUB_OUTPUT:-/dev/null}

# Text for a workflow command's message: the runner reads %, CR and LF as escapes. (awk and
# sed, not ${s//...}: bash 3.2, macOS's, quotes replacement strings differently.)
escape() {
  printf '%s' "$1" | awk 'BEGIN { ORS = "" } { gsub(/%/, "%25"); gsub(/\r/, "%0D"); if (NR > 1) print "%0A"; print }'
}

# Text for a Markdown table cell: no pipes, no backticks, one line.
cell() {
  printf '%s' "$1" | tr '\n' ' ' | sed -e 's/|/\\|/g' -e "s/\`/'/g"
}

# Text inside <pre>: HTML-escaped.
pre() {
  sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'
}

finish() {
  echo "exit-code=$1" >>"$output"
  exit "$1"
}

if [ -z "${PUSH_FILE:-}" ]; then
  echo "No file given: statusctl is on PATH for the next steps; nothing is pushed."
  finish 0
fi

strict=()
case ${PUSH_STRICT:-false} in
  true) strict=(--strict) ;;
  false | '') ;;
  *)
    echo "::error title=gitops-status push::$(escape "the strict input is \"$PUSH_STRICT\": use true or false")"
    finish 2
    ;;
esac

{
  echo "### gitops-status push"
  echo
  echo "| | |"
  echo "| --- | --- |"
  echo "| document | \`$(cell "$PUSH_FILE")\` |"
  echo "| ConfigMap | \`$(cell "${PUSH_NAMESPACE:-(context namespace)}/${PUSH_CONFIGMAP:-gitops-status-server-live}")\`, key \`$(cell "${PUSH_KEY:-status.json}")\` |"
} >>"$summary"

# Annotations: `--format github` prints one workflow command per finding on stdout.
statusctl validate --format github ${strict[@]+"${strict[@]}"} -- "$PUSH_FILE"
validated=$?
human=$(statusctl validate ${strict[@]+"${strict[@]}"} -- "$PUSH_FILE" 2>&1)
if [ "$validated" -ne 0 ]; then
  {
    echo "| result | **not pushed**: the document is $([ "$validated" -eq 1 ] && echo invalid || echo unreadable) |"
    echo
    echo "<pre>"
    printf '%s\n' "$human" | pre
    echo "</pre>"
  } >>"$summary"
  finish "$validated"
fi

args=(push "$PUSH_FILE")
[ -n "${PUSH_KEY:-}" ] && args+=(--key "$PUSH_KEY")
[ -n "${PUSH_CONFIGMAP:-}" ] && args+=(--configmap "$PUSH_CONFIGMAP")
[ -n "${PUSH_NAMESPACE:-}" ] && args+=(--namespace "$PUSH_NAMESPACE")
[ -n "${PUSH_WAIT_URL:-}" ] && args+=(--wait-url "$PUSH_WAIT_URL")

log=$(mktemp)
trap 'rm -f "$log"' EXIT
statusctl "${args[@]}" 2>&1 | tee "$log"
code=${PIPESTATUS[0]}

case $code in
  0) result="pushed" ;;
  3) result="**refused**: the stored document is newer (a later pipeline already pushed)" ;;
  4) result="**conflict**: another field manager owns the key" ;;
  5) result="**not allowed**: 401/403 (credentials or RBAC)" ;;
  6) result="**rejected** by the API server" ;;
  7) result="**failed**: the API server is unreachable, or TLS verification failed, or it timed out" ;;
  *) result="**failed** (exit $code)" ;;
esac
{
  echo "| result | $result |"
  if [ -n "${PUSH_WAIT_URL:-}" ]; then
    echo "| served at | $(cell "$PUSH_WAIT_URL") |"
  fi
  echo
  echo "<pre>"
  pre <"$log"
  if [ -n "$human" ]; then
    printf '%s\n' "$human" | pre
  fi
  echo "</pre>"
} >>"$summary"
if [ "$code" -ne 0 ]; then
  echo "::error title=gitops-status push::$(escape "statusctl push failed (exit $code): $(grep -m1 'error:' "$log" || tail -n1 "$log")")"
fi
finish "$code"
