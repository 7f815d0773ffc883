#!/usr/bin/env bash
# Installs the Debian packages the test suite needs that are not installed yet.
# As root: one `apt-get update` + `apt-get install` for just the missing ones (nothing when all
# are present, so it is cheap to run every time). Not root: print the command and fail.
set -euo pipefail

missing=()
need() { missing+=("$@"); }

has() { command -v "$1" >/dev/null 2>&1; }
installed() {  # Debian package installed?
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# Used by `make` itself and by the virtualenv.
has make || need make
if ! has python3.11; then
    need python3.11 python3.11-venv
elif ! python3.11 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    need python3.11-venv  # Debian's python3.11 ships venv/ensurepip separately
fi

# Throw-away services for tests/services.sh.
has redis-server || need redis-server
has redis-cli || need redis-tools
pg_server=""
if has pg_config && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_server=yes
elif compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    pg_server=yes
fi
[ -n "$pg_server" ] || need postgresql

# Browser tests, PDF text checks, translations, compose file validation.
[ -x /usr/bin/chromium ] || need chromium
# npm installs axe-core for the accessibility tests (`make axe`).
has node || need nodejs
has npm || need npm
has pdftotext || need poppler-utils
has msgfmt || need gettext
has docker-compose || need docker-compose

# Chinese fonts for the PDFs and screenshots.
has fc-list || need fontconfig
# (grep without -q: with pipefail, -q's early exit would SIGPIPE fc-list and fail the check.)
if ! { has fc-list && fc-list | grep -i 'Noto Serif CJK' >/dev/null; }; then
    need fonts-noto-cjk
fi

# WeasyPrint's native libraries.
for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0; do
    installed "$pkg" || need "$pkg"
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "system-deps: all present"
    exit 0
fi

echo "system-deps: missing: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "system-deps: run as root, or:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi
if ! has apt-get; then
    echo "system-deps: no apt-get here; install the equivalents of: ${missing[*]}" >&2
    exit 1
fi
# No stdin in CI: noninteractive, and never wait on a prompt.
export DEBIAN_FRONTEND=noninteractive
apt-get update </dev/null
apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
