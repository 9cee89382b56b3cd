# shellcheck shell=bash
# System (apt) setup for CI and fresh Debian bookworm machines.
#
# Sourced by .ci/run, which then calls install_system_packages. It can also be
# run directly to try one function:
#   bash tools/setup-system.sh add_backports_source --dry-run
#
# Nothing here names a mirror: apt sources are derived from the ones the
# machine already has, so CI uses whatever mirror (or snapshot) it is given.

# Where apt's configuration lives; overridable so the functions can be tried
# against a copy.
APT_ETC="${APT_ETC:-/etc/apt}"

# ---------------------------------------------------------------------------
# install_system_packages: the one place CI installs Debian packages.
#
# - clang and lld: @fathom/wasm compiles its kernels (packages/wasm/csrc) to
#   WebAssembly with `clang --target=wasm32` and links them with wasm-ld;
#   bookworm's clang 14 targets wasm32 with 128-bit SIMD. Skipped when a clang
#   that can link for wasm32 is already there.
#
# - python3-torch, python3-torchvision and libopenblas0-pthread: PyTorch
#   cross-checks. Tests load weights that PyTorch wrote and check that PyTorch
#   reads what Fathom writes (packages/models/test/torch-python.ts). Never a
#   runtime dependency. Skipped when Debian's python3 already imports both.
#
# - chromium: the browser check of @fathom/train's report.html
#   (packages/train/test/report-browser.test.ts) opens it in headless
#   Chromium through puppeteer-core, which downloads no browser of its own.
#   Skipped when a `chromium` is already on PATH.
#
# - openmpi-bin and libopenmpi-dev: @fathom/distributed calls Open MPI's
#   libmpi.so.40 through koffi (no compiler involved) and its tests start 2
#   ranks with mpirun (packages/distributed/test). openmpi-bin brings mpirun,
#   libopenmpi-dev the library's unversioned name and headers for whoever
#   builds against it. Skipped when mpirun runs and libmpi is already there.
#
# Mesa's software Vulkan driver for the WebGPU tests comes from backports and
# has its own script, tools/setup-mesa.sh, which uses add_backports_source.
install_system_packages() {
  local packages=()
  if _clang_targets_wasm32; then
    echo "setup-system: clang already targets wasm32 ($(clang --version | head -n 1))"
  else
    packages+=(clang lld)
  fi
  if /usr/bin/python3 -c 'import torch, torchvision' >/dev/null 2>&1; then
    echo "setup-system: python3 already imports torch and torchvision"
  else
    packages+=(python3-torch python3-torchvision libopenblas0-pthread)
  fi
  if command -v chromium >/dev/null 2>&1; then
    echo "setup-system: chromium already installed ($(chromium --version 2>/dev/null | head -n 1))"
  else
    packages+=(chromium)
  fi
  if _open_mpi_present; then
    echo "setup-system: Open MPI already installed ($(mpirun --version 2>/dev/null | head -n 1))"
  else
    packages+=(openmpi-bin libopenmpi-dev)
  fi
  if [[ ${#packages[@]} -eq 0 ]]; then
    echo "setup-system: no system packages needed"
    return 0
  fi
  echo "setup-system: installing ${packages[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
  if ! _clang_targets_wasm32; then
    echo "setup-system: clang was installed but still cannot compile and link for wasm32" >&2
    return 1
  fi
}

# Whether mpirun runs and the dynamic loader knows Open MPI's libmpi.so.40.
# Always returns 0 or 1, so callers may use it under `set -e`.
_open_mpi_present() {
  command -v mpirun >/dev/null 2>&1 || return 1
  mpirun --version >/dev/null 2>&1 || return 1
  /sbin/ldconfig -p 2>/dev/null | grep -q 'libmpi\.so\.40 ' || return 1
  return 0
}

# Whether clang can compile and link (wasm-ld, from lld) a wasm32 module.
# Always returns 0 or 1, so callers may use it under `set -e`.
_clang_targets_wasm32() {
  command -v clang >/dev/null 2>&1 || return 1
  local dir ok=1
  dir="$(mktemp -d)" || return 1
  printf 'int answer(void) { return 42; }\n' >"$dir/probe.c"
  if clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export=answer \
    -o "$dir/probe.wasm" "$dir/probe.c" >/dev/null 2>&1; then
    ok=0
  fi
  rm -rf "$dir"
  return "$ok"
}

# ---------------------------------------------------------------------------
# add_backports_source [--dry-run]
#
# Adds <codename>-backports with the same mirror, components and signing key
# as the machine's main Debian entry, unless some enabled source already has
# it. Reads both formats apt accepts: one-line *.list and deb822 *.sources.
# With --dry-run (or DRY_RUN=1) it prints the file it would write instead.
add_backports_source() {
  local dry_run="${DRY_RUN:-0}"
  [[ "${1:-}" == "--dry-run" ]] && dry_run=1

  local codename
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  if [[ -z "$codename" ]]; then
    echo "add_backports_source: cannot tell the Debian codename from /etc/os-release" >&2
    return 1
  fi
  local suite="${codename}-backports"

  # apt reads only these names; files renamed to disable them are skipped too.
  local files=()
  [[ -f "$APT_ETC/sources.list" ]] && files+=("$APT_ETC/sources.list")
  local f
  for f in "$APT_ETC"/sources.list.d/*.list "$APT_ETC"/sources.list.d/*.sources; do
    [[ -f "$f" ]] && files+=("$f")
  done
  if [[ ${#files[@]} -eq 0 ]]; then
    echo "add_backports_source: no apt sources under $APT_ETC" >&2
    return 1
  fi

  # Already there? The suite as a whole word on a line that is not a comment.
  if grep -Eq "^[^#]*(^|[[:space:]])${suite}([[:space:]]|\$)" "${files[@]}"; then
    echo "add_backports_source: $suite is already configured"
    return 0
  fi

  local target content
  local main_sources
  main_sources="$(_deb822_stanza_for_suite "$codename" "${files[@]}")"
  if [[ -n "$main_sources" ]]; then
    target="$APT_ETC/sources.list.d/${suite}.sources"
    # Keep URIs, Components, Signed-By, Architectures…; binary packages only.
    content="$(printf '%s\n' "$main_sources" | sed -E -e "s/^[Ss]uites:.*/Suites: ${suite}/" -e "s/^[Tt]ypes:.*/Types: deb/")"
  else
    local main_line
    main_line="$(_one_line_entry_for_suite "$codename" "${files[@]}")"
    if [[ -z "$main_line" ]]; then
      echo "add_backports_source: found no 'deb' entry for suite $codename to copy the mirror from" >&2
      return 1
    fi
    target="$APT_ETC/sources.list.d/${suite}.list"
    content="$(awk -v old="$codename" -v new="$suite" '{ for (i = 1; i <= NF; i++) if ($i == old) { $i = new; break } print }' <<<"$main_line")"
  fi

  if [[ "$dry_run" == 1 ]]; then
    echo "add_backports_source: would write $target:"
    printf '%s\n' "$content" | sed 's/^/    /'
    return 0
  fi
  printf '%s\n' "$content" >"$target"
  echo "add_backports_source: wrote $target (run apt-get update next)"
}

# The first enabled deb822 stanza of Types "deb" whose Suites include exactly
# $1, without comment lines; prints nothing when there is none. Both helpers
# always succeed, because callers use them in $(...) under `set -e`.
_deb822_stanza_for_suite() {
  local suite="$1" f stanza
  shift
  for f in "$@"; do
    [[ "$f" == *.sources ]] || continue
    stanza="$(awk -v suite="$suite" '
      function flush() {
        if (stanza != "" && enabled && has(types, "deb") && has(suites, suite)) { printf "%s", stanza; found = 1; exit }
        stanza = ""; types = ""; suites = ""; enabled = 1
      }
      function has(list, word,   n, i, item) {
        n = split(list, item, /[ \t]+/)
        for (i = 1; i <= n; i++) if (item[i] == word) return 1
        return 0
      }
      function value(line) { sub(/^[^:]*:/, "", line); return line }
      BEGIN { enabled = 1 }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        stanza = stanza $0 "\n"
        key = tolower($1)
        if (key == "types:") types = value($0)
        if (key == "suites:") suites = value($0)
        if (key == "enabled:" && tolower($2) == "no") enabled = 0
      }
      END { if (!found) flush() }
    ' "$f")"
    if [[ -n "$stanza" ]]; then
      printf '%s\n' "$stanza"
      return 0
    fi
  done
  return 0
}

# The first one-line "deb [options] uri suite components" entry for suite $1.
_one_line_entry_for_suite() {
  local suite="$1" f line
  shift
  for f in "$@"; do
    [[ "$f" == *.sources ]] && continue
    # Drop the [options] block before counting fields, so the suite is field 3.
    line="$(awk -v suite="$suite" '
      $1 == "deb" { rest = $0; sub(/\[[^]]*\][ \t]*/, "", rest); split(rest, field, /[ \t]+/)
                    if (field[3] == suite) { print; exit } }
    ' "$f")"
    if [[ -n "$line" ]]; then
      printf '%s\n' "$line"
      return 0
    fi
  done
  return 0
}

# Run directly: call the named function with the remaining arguments.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  "${1:?usage: bash tools/setup-system.sh FUNCTION [ARGS...]}" "${@:2}"
fi
