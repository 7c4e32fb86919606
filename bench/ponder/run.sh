#!/usr/bin/env bash
# Ponder 1.0 side of the end-to-end benchmark (issue 11): one cold `ponder start` run,
# timed until <schema>.membership holds --expect-rows rows. All logic is in run.mjs;
# `run.sh --help` for the options. Prints one JSON line on stdout.
set -euo pipefail
exec node "$(dirname "$(readlink -f "$0")")/run.mjs" "$@"
