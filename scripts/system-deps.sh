#!/usr/bin/env bash
# Installs the Debian packages that the optional parts of the build and of the tests need. CI (.ci/run) calls it;
# a developer runs it once. Nothing here is needed by `npm install` of the published package.
#   scripts/system-deps.sh [vulkan] [redis]     (no argument: all groups)
#   vulkan: the Vulkan loader and headers, the glslc shader compiler and SPIR-V headers, Mesa's software Vulkan driver (lavapipe) and
#           vulkaninfo, for `node scripts/build-native.mjs --gpu vulkan` and test/vulkan.
#   redis:  redis-server, for the shared-state tests (test/redis).
set -euo pipefail
declare -A groups=(
  [vulkan]="libvulkan-dev glslc spirv-headers mesa-vulkan-drivers vulkan-tools"
  [redis]="redis-server"
)
wanted=("$@")
[ ${#wanted[@]} -eq 0 ] && wanted=(vulkan redis)
packages=()
for group in "${wanted[@]}"; do
  [ -n "${groups[$group]:-}" ] || { echo "system-deps: unknown group '$group' (expected: ${!groups[*]})" >&2; exit 2; }
  packages+=(${groups[$group]})
done
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then echo "system-deps: ${packages[*]} already installed"; exit 0; fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "system-deps: installing ${missing[*]}"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" || {
  $sudo apt-get update -q && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; }
