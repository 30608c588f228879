#!/usr/bin/env bash
# Validates the deployment files with the real tools, offline:
#   promtool check config / check rules / test rules   (Debian package: prometheus)
#   nginx -t on nginx/nginx-ssl.conf with a throwaway self-signed certificate (nginx, openssl)
#   docker-compose config on both compose files (Debian package: docker-compose)
#   the Kubernetes manifests against the Kubernetes schemas (kubernetes-models, via tsx)
# Exits non-zero on the first failure. `npm run test:tools` (run by npm test's global setup and by
# .ci/run) installs the missing tools as root through apt-get.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# nginx lives in /usr/sbin, which is not on an ordinary user's PATH.
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

need() { command -v "$1" >/dev/null 2>&1 || { echo "validate.sh: $1 is missing (apt-get install $2, or npm run test:tools as root)"; exit 1; }; }
need promtool prometheus
need nginx nginx
need openssl openssl
need docker-compose docker-compose

echo "== promtool: Prometheus configuration and alert rules"
promtool check config "$here/monitoring/prometheus.yml"
promtool check rules "$here"/monitoring/alerts/*.yml
(cd "$here/monitoring" && promtool test rules tests/*.yml)

echo "== nginx -t: TLS configuration with a throwaway self-signed certificate"
mkdir -p "$work/nginx/certs" "$work/nginx/logs"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=plinto.test" \
  -keyout "$work/nginx/certs/privkey.pem" -out "$work/nginx/certs/fullchain.pem" 2>/dev/null
cp "$work/nginx/certs/fullchain.pem" "$work/nginx/certs/chain.pem"
# Only what cannot exist here is rewritten: certificate paths, the pid file, the access log (the
# container's stdout; a test runner's stdout may be a socket nginx cannot open) and the upstream
# host name (nginx resolves it while loading; "app" exists only on the compose network).
sed -e "s|/etc/nginx/certs/|$work/nginx/certs/|g" \
    -e "s|^pid .*|pid $work/nginx/nginx.pid;|" \
    -e "s|access_log /dev/stdout|access_log $work/nginx/logs/access.log|" \
    -e "s|server app:4000|server 127.0.0.1:4000|" \
    "$here/nginx/nginx-ssl.conf" > "$work/nginx/nginx.conf"
if ! grep -q "$work/nginx/certs/fullchain.pem" "$work/nginx/nginx.conf"; then
  echo "nginx-ssl.conf no longer names /etc/nginx/certs/fullchain.pem"; exit 1
fi
nginx -t -p "$work/nginx" -c "$work/nginx/nginx.conf"

echo "== docker-compose config: both compose files"
docker-compose -f "$here/docker-compose.yml" config -q
# The production file reads env files that are never committed: validate with the examples.
mkdir -p "$work/production"
cp "$here/production/docker-compose.production.yml" "$work/production/"
for example in "$here"/production/*.env.example; do
  name="$(basename "$example" .example)"
  cp "$example" "$work/production/$name"
done
docker-compose -f "$work/production/docker-compose.production.yml" config -q
# The Sentinel option is an override of the production file: validate the two together.
cp "$here/production/docker-compose.sentinel.yml" "$work/production/"
docker-compose -f "$work/production/docker-compose.production.yml" \
  -f "$work/production/docker-compose.sentinel.yml" config -q

echo "== Kubernetes manifests against the Kubernetes schemas (kustomization included)"
(cd "$root" && node --import tsx deployment/validate-kubernetes.ts deployment/kubernetes)

if command -v kubectl >/dev/null 2>&1; then
  echo "== kubectl kustomize: the real kustomize builds the directory too"
  kubectl kustomize "$here/kubernetes" > /dev/null
fi

echo "deployment files: all valid"
