#!/usr/bin/env bash
# Installs Node.js <major> (22 or 24: Lambda's nodejs22.x and nodejs24.x) into
# $KAFKA_LAMBDA_CACHE/node/<version>, once, and prints that prefix. The build is the official one, as
# the npm registry ships it in the package node-linux-<arch>: bin/node and the headers include/node
# that the native addon is compiled against (see scripts/addon/build.mjs). Needs a working `npm`.
#
#   PATH="$(bash scripts/runtimes/install-node.sh 24)/bin:$PATH"
#
# Versions are pinned: CI tests exactly these. A patch release keeps the ABI (NODE_MODULE_VERSION).
set -euo pipefail
major=${1:-}
case "$major" in
  22) version=22.23.5 ;;
  24) version=24.22.3 ;;
  *) echo "usage: install-node.sh 22|24 (Lambda's Node.js runtimes)" >&2; exit 2 ;;
esac
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "install-node.sh: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac
prefix="${KAFKA_LAMBDA_CACHE:-$HOME/.cache/kafka-lambda}/node/$version"
if [ ! -x "$prefix/bin/node" ] || [ ! -f "$prefix/include/node/node_version.h" ]; then
  command -v npm >/dev/null || { echo "install-node.sh: npm is needed to fetch node-linux-$arch@$version" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "node-linux-$arch@$version" >/dev/null)
  mkdir "$work/node"
  tar -xzf "$work/node-linux-$arch-$version.tgz" -C "$work/node" --strip-components=1
  if [ ! -x "$work/node/bin/node" ] || [ ! -f "$work/node/include/node/node_version.h" ]; then
    echo "install-node.sh: node-linux-$arch@$version lacks bin/node or include/node" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$prefix")"
  rm -rf "$prefix"
  mv "$work/node" "$prefix"
fi
installed=$("$prefix/bin/node" --version)
[ "$installed" = "v$version" ] || { echo "install-node.sh: $prefix/bin/node is $installed, expected v$version" >&2; exit 1; }
echo "$prefix"
