#!/usr/bin/env bash
# What `npm test` runs: service binaries, dependencies, type check, then every vitest project
# (unit and integration; the integration globalSetup starts and stops nats-server, redis-server
# and PostgreSQL). Ends with exactly one summary line:
#   tests: N passed, M failed, K skipped
# and exits non-zero if anything failed (a type error, eslint problems, unformatted files, a
# failed build and a failed deploy check each count as one failure) or nothing passed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/test-deps.sh

if [[ ! -d node_modules ]]; then
  npm ci
fi

# Each step before vitest that fails counts as one failure in the summary line.
step_failures=0
if ! npx tsc --noEmit; then
  step_failures=$((step_failures + 1))
  echo "test.sh: tsc --noEmit reported errors (counted as 1 failure below)" >&2
fi

# Guardrails (eslint.config.js, .prettierrc.json).
if ! npm run lint --silent; then
  step_failures=$((step_failures + 1))
  echo "test.sh: eslint reported problems (counted as 1 failure below)" >&2
fi
if ! npm run format:check --silent; then
  step_failures=$((step_failures + 1))
  echo "test.sh: prettier found unformatted files (counted as 1 failure below)" >&2
fi

# The compiled build production runs (dist/): test/cluster/compiled-build.test.ts starts it.
if ! npm run build --silent; then
  step_failures=$((step_failures + 1))
  echo "test.sh: npm run build failed (counted as 1 failure below)" >&2
fi

# The deployment files (Helm chart, compose, HAProxy, Prometheus rules, Grafana): offline checks.
if ! bash scripts/check-deploy.sh; then
  step_failures=$((step_failures + 1))
  echo "test.sh: scripts/check-deploy.sh reported failures (counted as 1 failure below)" >&2
fi

report=$(mktemp -t msggw-vitest-XXXXXX.json)
trap 'rm -f "$report"' EXIT

vitest_rc=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || vitest_rc=$?

# Counts from the JSON report. A file that failed outside any test (import error, hook failure)
# counts as one failure, so a broken file can never read as "0 failed".
read -r passed failed skipped < <(node -e '
  const fs = require("node:fs");
  let r;
  try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch { console.log("0 1 0"); process.exit(0); }
  const fileErrors = (r.testResults ?? []).filter((f) => f.status === "failed" &&
    !(f.assertionResults ?? []).some((a) => a.status === "failed")).length;
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`${r.numPassedTests ?? 0} ${(r.numFailedTests ?? 0) + fileErrors} ${skipped}`);
' "$report")

if ((vitest_rc != 0 && failed == 0)); then
  echo "test.sh: vitest exited with $vitest_rc without a failed test (counted as 1 failure)" >&2
  failed=1
fi
failed=$((failed + step_failures))

echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if ((failed > 0 || passed == 0)); then
  exit 1
fi
