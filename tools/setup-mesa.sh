# shellcheck shell=bash
# Mesa's software Vulkan driver (lavapipe) for the WebGPU backend's tests.
#
# Dawn (the `webgpu` npm package) needs Vulkan features that bookworm's own
# Mesa 22 lacks: it finds no adapter there. Mesa 25 from bookworm-backports
# gives a full adapter on the CPU, so @fathom/webgpu is tested for real on a
# machine without a GPU (ARCHITECTURE.md, "Devices and how they start").
#
# Sourced by .ci/run, which then calls install_mesa_vulkan. It can also be run
# directly:
#   bash tools/setup-mesa.sh install_mesa_vulkan
#   bash tools/setup-mesa.sh lavapipe_version     # prints the installed Mesa version, or nothing
#
# Like setup-system.sh, nothing here names a mirror: the backports entry is
# derived from the machine's own apt sources by add_backports_source.

# The oldest Mesa whose lavapipe Dawn accepts (tried: 25.0.7 with webgpu 0.6.2).
MESA_VULKAN_MIN_MAJOR="${MESA_VULKAN_MIN_MAJOR:-25}"

# shellcheck source=SCRIPTDIR/setup-system.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup-system.sh"

# lavapipe_version: prints the version of the Mesa that provides an installed
# lavapipe ICD (e.g. "25.0.7-2~bpo12+1"), or nothing when there is none.
lavapipe_version() {
  local icd found=""
  for icd in /usr/share/vulkan/icd.d/lvp_icd*.json /etc/vulkan/icd.d/lvp_icd*.json; do
    [[ -f "$icd" ]] && found="$icd" && break
  done
  [[ -n "$found" ]] || return 0
  command -v dpkg-query >/dev/null 2>&1 || return 0
  dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true
}

# install_mesa_vulkan: installs mesa-vulkan-drivers (lavapipe) and the Vulkan
# loader from <codename>-backports, unless a lavapipe of Mesa ≥ 25 is there.
install_mesa_vulkan() {
  local version major
  version="$(lavapipe_version)"
  # Debian versions may carry an epoch ("1:25.0.7-2"); the major is after it.
  major="${version#*:}"
  major="${major%%.*}"
  if [[ -n "$version" && "$major" =~ ^[0-9]+$ && "$major" -ge "$MESA_VULKAN_MIN_MAJOR" ]] && [[ -n "$(_vulkan_loader_path)" ]]; then
    echo "install_mesa_vulkan: lavapipe from Mesa $version is installed; nothing to do"
    return 0
  fi
  if [[ -n "$version" ]]; then
    echo "install_mesa_vulkan: lavapipe from Mesa $version is too old for Dawn (needs $MESA_VULKAN_MIN_MAJOR or later); upgrading"
  fi

  local as_root=()
  if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
      as_root=(sudo)
    else
      echo "install_mesa_vulkan: needs root (or sudo) to install Debian packages" >&2
      return 1
    fi
  fi

  local codename
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  if [[ -z "$codename" ]]; then
    echo "install_mesa_vulkan: cannot tell the Debian codename from /etc/os-release" >&2
    return 1
  fi

  if [[ ${#as_root[@]} -eq 0 ]]; then
    add_backports_source
  else
    # The function writes under /etc/apt; run it as root through a child shell.
    "${as_root[@]}" bash "$(dirname "${BASH_SOURCE[0]}")/setup-system.sh" add_backports_source
  fi
  "${as_root[@]}" apt-get update -q
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -t "${codename}-backports" mesa-vulkan-drivers libvulkan1

  version="$(lavapipe_version)"
  if [[ -z "$version" ]]; then
    echo "install_mesa_vulkan: mesa-vulkan-drivers installed, yet no lavapipe ICD (lvp_icd*.json) was found" >&2
    return 1
  fi
  echo "install_mesa_vulkan: lavapipe from Mesa $version installed"
}

# The Vulkan loader's shared library, if any (Dawn opens libvulkan.so.1).
_vulkan_loader_path() {
  local candidate
  for candidate in /usr/lib/*-linux-gnu/libvulkan.so.1 /usr/lib/libvulkan.so.1 /usr/lib64/libvulkan.so.1; do
    if [[ -e "$candidate" ]]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 0
}

# Run directly: call the named function with the remaining arguments.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  "${1:?usage: bash tools/setup-mesa.sh FUNCTION [ARGS...]}" "${@:2}"
fi
