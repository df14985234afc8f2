#!/usr/bin/env bash
# The whole test suite. Sets up what a fresh clone lacks (apt packages, npm install, addon build), then runs
# biome (format + lint), the type check and every test file of both packages with node's built-in runner (TypeScript through tsx).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-train
echo "lint: biome ci (format and lint rules of biome.jsonc)"
npx biome ci --error-on-warnings packages bench scripts examples
echo "typecheck: tsc -p tsconfig.check.json (sources, tests, benchmarks, examples)"
npx tsc -p tsconfig.check.json
files=$(ls packages/*/test/*.test.ts packages/*/test/parity/*.test.ts "$@" 2>/dev/null | sort)
exec node --conditions=source --import tsx --test --test-concurrency=1 --test-reporter=spec $files
