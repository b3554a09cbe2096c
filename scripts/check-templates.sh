#!/usr/bin/env bash
# Lints the example's SAM templates with cfn-lint (from PyPI, in a cached virtual environment).
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.58.0
venv="${KAFKA_LAMBDA_CACHE:-$HOME/.cache/kafka-lambda}/cfn-lint-$version"
if [ ! -x "$venv/bin/cfn-lint" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "cfn-lint==$version"
fi
"$venv/bin/cfn-lint" examples/trade-settlement/template.yaml examples/trade-settlement/template-msk.yaml
echo "cfn-lint $version: SAM templates OK"
