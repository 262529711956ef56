#!/usr/bin/env bash
# Regenerates libs/protocol/src/rpc/gen from the .proto files (committed; CI checks for drift).
set -euo pipefail
cd "$(dirname "$0")"
rm -rf ../src/rpc/gen
../../../node_modules/.bin/buf generate
