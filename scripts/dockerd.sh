#!/usr/bin/env bash
# Make a Docker daemon available for the Docker isolation tests (idempotent, quick when it runs):
# installs docker.io + busybox-static when missing (root only), starts dockerd in the
# background when no daemon answers, and waits until it does.
set -euo pipefail

answers() { command -v docker >/dev/null 2>&1 && timeout 10 docker version >/dev/null 2>&1; }

if answers; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "dockerd.sh: no Docker daemon answers and this is not root; start Docker (e.g. sudo systemctl start docker)" >&2
  exit 1
fi
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1 || [ ! -x /bin/busybox ] \
  || ! command -v docker-registry >/dev/null 2>&1; then
  apt-get install -y -qq --no-install-recommends docker.io busybox-static docker-registry >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends docker.io busybox-static docker-registry >/dev/null; }
fi
log=/var/log/mcpproxy-dockerd.log
# A live (non-zombie) dockerd is left to come up; otherwise start one.
live_dockerd() {
  local pid state
  for pid in $(pgrep -x dockerd 2>/dev/null); do
    state=$(ps -o stat= -p "$pid" 2>/dev/null || true)
    case "$state" in Z* | "") ;; *) return 0 ;; esac
  done
  return 1
}
if ! live_dockerd; then
  nohup dockerd >"$log" 2>&1 </dev/null &
fi
for _ in $(seq 1 120); do
  if [ -S /var/run/docker.sock ] && answers; then
    exit 0
  fi
  sleep 0.5
done
echo "dockerd.sh: dockerd did not answer within 60 s; last lines of $log:" >&2
tail -n 20 "$log" >&2 || true
exit 1
