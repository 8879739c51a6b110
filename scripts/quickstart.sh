#!/usr/bin/env bash
# Quick start: install everything, build, and run the demo of DBDB's main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
node scripts/demo.mjs
