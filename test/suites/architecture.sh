#!/usr/bin/env bash
# test/suites/architecture.sh: the layering rules of README's Architecture
# section (test/check_layers.py), so that a change that breaks them fails.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
/usr/bin/python3 "$HERE/../check_layers.py" "$HERE/../../src"
