#!/usr/bin/env bash
# Logs the release jobs in to ghcr.io once for every tool that pushes or signs there: one
# docker-format auth file at ~/.docker/config.json, the one place actions/attest reads (it
# ignores DOCKER_CONFIG), which cosign and buildah read too; helm is pointed at it. Runs on an
# ephemeral GitHub-hosted runner, with ACTOR and TOKEN (github.token) from the step's env.
set -euo pipefail

: "${ACTOR:?}" "${TOKEN:?}" "${GITHUB_ENV:?}"
config="$HOME/.docker/config.json"
umask 077
mkdir -p "$(dirname "$config")"
auth=$(printf '%s:%s' "$ACTOR" "$TOKEN" | base64 | tr -d '\n')
# The token is masked in logs; its base64 form would not be.
echo "::add-mask::$auth"
printf '{"auths":{"ghcr.io":{"auth":"%s"}}}\n' "$auth" >"$config"
{
  echo "REGISTRY_AUTH_FILE=$config"
  echo "HELM_REGISTRY_CONFIG=$config"
} >>"$GITHUB_ENV"
