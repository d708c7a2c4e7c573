#!/bin/sh
# Installs what the polyglot scenarios need, and says what is missing when it cannot:
#   - node/: @grpc/grpc-js and @grpc/proto-loader at the versions package-lock.json pins (npm ci),
#     skipped when that lockfile is already installed;
#   - python/: Debian's python3-grpcio for /usr/bin/python3 (apt-get; there is no PyPI here), when
#     /usr/bin/python3 cannot import grpc. The python3 first on the PATH may be another one (pyenv).
# Usage: samples/polyglot/install.sh        (exit 0: everything is there)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "install.sh: $*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || fail "node is not on the PATH: install Node.js 18 or newer (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null 2>&1 || fail "npm is not on the PATH (Debian: apt-get install npm)"
stamp="$here/node/node_modules/.reqctx-installed-lock"
if cmp -s "$here/node/package-lock.json" "$stamp" 2>/dev/null; then
  echo "install.sh: node modules already installed in $here/node"
else
  (cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in $here/node failed: the npm registry must be reachable"
  cp "$here/node/package-lock.json" "$stamp"
fi

if /usr/bin/python3 -c 'import grpc, google.protobuf' 2>/dev/null; then
  echo "install.sh: /usr/bin/python3 has grpcio $(/usr/bin/python3 -c 'import grpc; print(grpc.__version__)')"
else
  command -v apt-get >/dev/null 2>&1 || fail "/usr/bin/python3 cannot import grpc and there is no apt-get: install python3-grpcio for /usr/bin/python3"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y --no-install-recommends python3-grpcio python3-protobuf \
    || { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends python3-grpcio python3-protobuf; } \
    || fail "apt-get install python3-grpcio failed"
  /usr/bin/python3 -c 'import grpc' || fail "/usr/bin/python3 still cannot import grpc"
fi
