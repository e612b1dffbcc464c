#!/usr/bin/env bash
# Makes sure the system programs the test suite drives are present:
# redis-server (scale-out tests), chromium (dashboard tests) and
# python3-socketio (the non-JavaScript protocol client test).
# Installs them with apt when running as root on Debian; otherwise stops with
# one line saying what to install.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
/usr/bin/python3 -c 'import socketio' >/dev/null 2>&1 || missing+=(python3-socketio)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing missing test dependencies: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

echo "npm test needs: ${missing[*]} (Debian: sudo apt-get install -y ${missing[*]})" >&2
exit 1
