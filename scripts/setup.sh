#!/bin/sh
# Brings a fresh checkout to a runnable state; called by `npm start` and `npm test`.
#   sh scripts/setup.sh start   system programs for serving, npm packages, build
#   sh scripts/setup.sh test    the same plus the test peers (Chromium, GStreamer RTSP server)
# Idempotent and quick when nothing is missing.
set -eu
cd "$(dirname "$0")/.."
mode="${1:-start}"

log() { printf 'setup: %s\n' "$*"; }

# --- system programs, from Debian's packages --------------------------------
missing=""
need() { # need <command-or-check> <debian package>
	if ! sh -c "$1" >/dev/null 2>&1; then missing="$missing $2"; fi
}
need 'command -v ffmpeg && command -v ffprobe' ffmpeg
need 'command -v janus' janus
need 'test -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf' fonts-dejavu-core
if [ "$mode" = test ]; then
	need 'command -v chromium' chromium
	need '/usr/bin/python3 -c "import gi; gi.require_version(\"GstRtspServer\", \"1.0\"); from gi.repository import GstRtspServer"' \
		'python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly'
fi
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		log "installing Debian packages:$missing"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		# shellcheck disable=SC2086
		apt-get install -y -qq --no-install-recommends $missing >/dev/null
	else
		log "missing system packages:$missing"
		log "install them with: sudo apt-get install$missing"
		[ "$mode" = test ] && exit 1
	fi
fi

# --- npm packages ------------------------------------------------------------
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	log "installing npm packages (npm ci)"
	npm ci --no-audit --no-fund
fi

# --- build, when any input is newer than the last build ------------------------
stamp=build/handler.js
if [ ! -f "$stamp" ] || [ -n "$(find src static prisma svelte.config.js vite.config.ts package-lock.json -newer "$stamp" -print -quit 2>/dev/null)" ]; then
	log "building the app"
	npm run build --silent
fi
