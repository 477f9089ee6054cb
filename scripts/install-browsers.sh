#!/usr/bin/env bash
# Installs the two browsers the browser tests drive, from Debian's own packages (never a
# downloaded browser): chromium (WebGPU on its bundled SwiftShader) and firefox-esr (WebGPU on
# Mesa lavapipe). Does nothing when both are present. Needs root (apt-get); says how otherwise.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-browsers: chromium and firefox-esr are installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-browsers: missing ${missing[*]}; install as root with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]} mesa-vulkan-drivers" >&2
  exit 1
fi

echo "install-browsers: installing ${missing[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" mesa-vulkan-drivers
