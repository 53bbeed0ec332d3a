#!/usr/bin/env bash
# The push action's first step: puts statusctl on PATH for the steps after it. A statusctl
# already on PATH is used as it is; otherwise the release STATUSCTL_VERSION of statusctl for this
# runner is downloaded from STATUSCTL_RELEASES and checked against the release's SHA256SUMS
# before it is unpacked.
set -euo pipefail

: "${STATUSCTL_VERSION:?}" "${STATUSCTL_RELEASES:?}"

if command -v statusctl >/dev/null 2>&1; then
  echo "Using statusctl from PATH: $(command -v statusctl) ($(statusctl --version))"
  exit 0
fi

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) target=x86_64-unknown-linux-gnu ;;
  Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-gnu ;;
  Darwin/arm64) target=aarch64-apple-darwin ;;
  Darwin/x86_64) target=x86_64-apple-darwin ;;
  *)
    echo "::error title=gitops-status push::statusctl is not released for $(uname -s)/$(uname -m); install it on PATH before this action"
    exit 1
    ;;
esac

archive="statusctl-${STATUSCTL_VERSION}-${target}.tar.gz"
dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/statusctl-${STATUSCTL_VERSION}-${target}"
if [ ! -x "$dir/statusctl" ]; then
  mkdir -p "$dir"
  url="${STATUSCTL_RELEASES}/v${STATUSCTL_VERSION}"
  echo "Downloading $url/$archive"
  for file in "$archive" SHA256SUMS; do
    curl --fail --silent --show-error --location --retry 3 --output "$dir/$file" "$url/$file"
  done
  expected=$(awk -v name="$archive" '$2 == name { print $1 }' "$dir/SHA256SUMS")
  if command -v sha256sum >/dev/null 2>&1; then
    actual=$(sha256sum "$dir/$archive" | awk '{ print $1 }')
  else
    actual=$(shasum -a 256 "$dir/$archive" | awk '{ print $1 }')
  fi
  if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
    echo "::error title=gitops-status push::$archive does not match the release's SHA256SUMS (expected ${expected:-no entry}, got $actual); not using it"
    rm -f "$dir/$archive"
    exit 1
  fi
  tar -xzf "$dir/$archive" -C "$dir" statusctl
  rm -f "$dir/$archive"
fi
echo "$dir" >>"${GITHUB_PATH:?}"
echo "Using statusctl $STATUSCTL_VERSION for $target, checksum verified ($("$dir/statusctl" --version))"
