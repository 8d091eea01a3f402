#!/usr/bin/env bash
# Run ansible-test from this checkout, offline and without containers.
# ansible-test needs the tree at .../ansible_collections/hostupcloud/cloud and refuses symlinked
# paths, so the tracked and untracked-but-not-ignored files are copied into a temporary tree
# (see ../shared/RECIPES.md b). Usage: tools/ansible-test.sh sanity|units [ansible-test args...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$root/.venv}

# ansible-test bootstraps pip in its venvs by downloading get-pip.py; give it a local stand-in.
cache=$HOME/.ansible/test/cache
mkdir -p "$cache"
# Written to a temporary name and renamed, since make test may run two ansible-tests at once.
for name in get_pip_24_2.py get_pip_25_2.py; do
  cat > "$cache/$name.$$" <<'PY'
import subprocess, sys
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], stdout=subprocess.DEVNULL)
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--upgrade"] + args))
PY
  mv -f "$cache/$name.$$" "$cache/$name"
done

# pyenv shims for python3.X fail inside ansible-test (it drops PYENV_VERSION): expose the real
# interpreters instead, so every Python the machine has can be tested.
pybin=$root/.cache/pybin
mkdir -p "$pybin"
if command -v pyenv >/dev/null 2>&1; then
  for dir in "$(pyenv root)"/versions/3.*; do
    [ -d "$dir" ] || continue
    v=$(basename "$dir"); short=${v%.*}
    if [ -x "$dir/bin/python$short" ]; then
      ln -sfn "$dir/bin/python$short" "$pybin/.python$short.$$" && mv -fT "$pybin/.python$short.$$" "$pybin/python$short"
    fi
  done
fi
export PATH="$pybin:$venv/bin:$PATH"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest=$work/ansible_collections/hostupcloud/cloud
mkdir -p "$dest"
# Not collections/ (a symlink to the checkout itself, for ansible.cfg) nor ansible.cfg: neither ships.
(cd "$root" && git ls-files -co --exclude-standard -z | grep -zv -e '^collections/' -e '^ansible\.cfg$' \
  | xargs -0 cp --parents -t "$dest" 2>/dev/null || true)
# git ls-files lists deleted-but-tracked files too; cp skips them above.
cd "$dest"
status=0
ansible-test "$@" || status=$?
if [ -d tests/output ]; then
  mkdir -p "$root/tests/output"
  cp -r tests/output/. "$root/tests/output/"
fi
exit $status
