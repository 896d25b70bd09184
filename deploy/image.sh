#!/usr/bin/env bash
# `npm run image [-- NAME]`: builds echod's container image from the
# Dockerfile with whatever builder this machine has: docker when a Docker
# engine answers (`docker info`; a bare client is not enough), else podman,
# else buildah. The image is tagged NAME (default echod:<version>) and its
# version label is package.json's version. Prints the image's name and size,
# and how much it adds to its base image.
#
# podman and buildah build in the docker format (the OCI format drops the
# HEALTHCHECK) with chroot isolation (no cgroups needed; set BUILDAH_ISOLATION
# to choose another).
set -euo pipefail
cd "$(dirname "$0")/.."

version=${npm_package_version:-$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' package.json | head -1)}
[ -n "$version" ] || { echo "image: no version in package.json" >&2; exit 1; }
name=${1:-echod:$version}
build_flags=(--label "org.opencontainers.image.version=$version" -t "$name" .)

if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  tool=docker
  docker build "${build_flags[@]}" >&2
elif command -v podman >/dev/null; then
  tool=podman
  podman build --format docker --isolation "${BUILDAH_ISOLATION:-chroot}" "${build_flags[@]}" >&2
elif command -v buildah >/dev/null; then
  tool=buildah
  buildah bud --format docker --isolation "${BUILDAH_ISOLATION:-chroot}" "${build_flags[@]}" >&2
else
  echo "image: no docker engine, podman or buildah on this machine" >&2
  exit 1
fi

if [ "$tool" = buildah ]; then # buildah reports sizes rounded for humans only
  echo "$name $(buildah images --noheading --format '{{.Size}}' "$name"), built with buildah"
  exit 0
fi
size_of() { "$tool" image inspect --format '{{.Size}}' "$1"; }
size=$(size_of "$name")
base=$("$tool" image inspect --format '{{index .Config.Labels "org.opencontainers.image.base.name"}}' "$name")
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
if base_size=$(size_of "$base" 2>/dev/null); then
  echo "$name $(mb "$size") ($(mb $((size - base_size))) over $base), built with $tool"
else
  echo "$name $(mb "$size"), built with $tool"
fi
