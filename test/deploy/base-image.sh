#!/usr/bin/env bash
# TEST SCAFFOLDING, not part of the product: makes a local stand-in for the
# Dockerfile's base image, docker.io/oven/bun:<version>-slim, on machines
# where no registry can be reached, so that the project's Dockerfile can be
# built unchanged by the container tests (test/deploy/image.test.ts). Users
# pull the real base; this script never runs in a user's build.
#
# The stand-in is what the real slim image is in the ways echod depends on:
# a Debian bookworm root filesystem (debootstrap --variant=minbase), the Bun
# binary of the pinned npm `bun` package at /usr/local/bin/bun (and bunx), a
# `bun` user and group with id 1000 and its home, WORKDIR /home/bun/app and
# CMD ["bun"]. One addition that the real image lacks: this machine's CA
# bundle at /etc/ssl/certs/ca-certificates.crt with NODE_EXTRA_CA_CERTS
# pointing at it, because the npm registry's TLS on these machines is signed
# by a CA that only that bundle knows (the deps stage's `bun install` fails
# with SELF_SIGNED_CERT_IN_CHAIN without it). It is never put in the
# project's Dockerfile.
#
# Cached once per machine in podman's image storage (/var/lib/containers),
# keyed by the Bun version (it is in the tag) and by the hash of this
# script's commands (a label): a second run with both unchanged returns at
# once. An image of that name that is not a stand-in (the real one, pulled)
# is left alone.
# Needs root, podman and debootstrap. Prints the image name on stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."

bun_binary=node_modules/bun/bin/bun.exe
[ -x "$bun_binary" ] || { echo "base-image: $bun_binary missing (npm ci first)" >&2; exit 1; }
version=$("$bun_binary" --version)
image="docker.io/oven/bun:${version}-slim"
key="$(grep -v '^ *#' "$0" | sha256sum | cut -c1-16)" # comments do not count
ca_bundle=/etc/ssl/certs/ca-certificates.crt

# One builder at a time per machine; the others wait and then find it cached.
exec 9>"${TMPDIR:-/tmp}/echod-base-image.lock"
flock 9

old=""
if podman image exists "$image"; then
  old=$(podman image inspect --format '{{.Id}}' "$image")
  found=$(podman image inspect --format '{{index .Labels "org.echod.stand-in"}}' "$image")
  case "$found" in
    "$key" | "" | "<no value>") echo "$image"; exit 0 ;; # cached, or the real base
  esac
  echo "base-image: $image is an older stand-in ($found); rebuilding" >&2
fi

mirror=${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
mirror=${mirror:-http://deb.debian.org/debian}
root=$(mktemp -d "${TMPDIR:-/tmp}/echod-base-XXXXXX")
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"

started=$(date +%s)
echo "base-image: debootstrap bookworm minbase from $mirror" >&2
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
  tail -20 "$root.log" >&2
  rm -f "$root.log"
  exit 1
}
rm -f "$root.log"
# What Debian's own slim images drop: package caches and lists.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

install -m 755 "$bun_binary" "$root/usr/local/bin/bun"
ln -s bun "$root/usr/local/bin/bunx"
chroot "$root" groupadd --gid 1000 bun
chroot "$root" useradd --uid 1000 --gid bun --shell /bin/sh --create-home bun
install -d -o 1000 -g 1000 "$root/home/bun/app"
install -D -m 644 "$ca_bundle" "$root$ca_bundle"

tar -C "$root" -c . | podman import --quiet \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV NODE_EXTRA_CA_CERTS=$ca_bundle" \
  --change "WORKDIR /home/bun/app" \
  --change 'CMD ["/usr/local/bin/bun"]' \
  --change "LABEL org.echod.stand-in=$key" \
  --message "echod test stand-in for $image (test/deploy/base-image.sh)" \
  - "$image" >/dev/null
# The older stand-in, now untagged; kept if something still uses it.
[ -z "$old" ] || podman rmi "$old" >/dev/null 2>&1 || true
echo "base-image: built $image in $(($(date +%s) - started)) s" >&2
echo "$image"
