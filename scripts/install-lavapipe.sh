#!/usr/bin/env bash
# Installs Mesa's lavapipe (a software Vulkan driver) from Debian bookworm-backports,
# so that WebGPU (Dawn) finds an adapter on a machine without a GPU.
#
# The backports suite is derived from the machine's own apt sources: the first stanza
# of /etc/apt/sources.list.d/debian.sources (or the first `deb` line of
# /etc/apt/sources.list) is copied with the suite changed, so no mirror address is
# written into this repository. Idempotent: does nothing when lvp_icd.json exists.
set -euo pipefail

icd_present() {
  for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d; do
    ls "$d"/lvp_icd*.json >/dev/null 2>&1 && return 0
  done
  return 1
}

if icd_present && ldconfig -p 2>/dev/null | grep -q libvulkan.so.1; then
  echo "lavapipe: already installed"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    exec sudo -n bash "$0" "$@"
  fi
  cat >&2 <<MSG
lavapipe (software Vulkan) is needed because no GPU adapter was found, and installing
it needs root. Run this script as root:
  sudo bash scripts/install-lavapipe.sh
or install the Debian packages yourself (from bookworm-backports on Debian 12):
  mesa-vulkan-drivers libvulkan1
MSG
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
target=/etc/apt/sources.list.d/webgpu-alexnet-backports.sources
if ! grep -rqs "${codename}-backports" /etc/apt/sources.list /etc/apt/sources.list.d/ ; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    # first stanza (up to the first blank line), suite replaced
    awk 'BEGIN{RS="";FS="\n"} NR==1{print; exit}' /etc/apt/sources.list.d/debian.sources \
      | sed -E "s/^Suites:.*/Suites: ${codename}-backports/" > "$target"
  elif [ -f /etc/apt/sources.list ]; then
    line=$(grep -E '^deb ' /etc/apt/sources.list | head -1)
    echo "$line" | awk -v s="${codename}-backports" '{ $3=s; print }' \
      > /etc/apt/sources.list.d/webgpu-alexnet-backports.list
  else
    echo "install-lavapipe: no apt sources found to derive ${codename}-backports from" >&2
    exit 1
  fi
  echo "lavapipe: added ${codename}-backports from the machine's own apt sources"
fi
apt-get update -q -o Dpkg::Use-Pty=0 >/dev/null
apt-get install -y -q -o Dpkg::Use-Pty=0 -t "${codename}-backports" \
  mesa-vulkan-drivers libvulkan1 >/dev/null
icd_present || { echo "install-lavapipe: lvp_icd.json still missing after install" >&2; exit 1; }
echo "lavapipe: installed ($(dpkg-query -W -f='${Version}' mesa-vulkan-drivers))"
