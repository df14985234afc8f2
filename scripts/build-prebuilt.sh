#!/usr/bin/env bash
# Builds the optional prebuilt package @yolots/torch-linux-x64 (packages/torch-linux-x64/lib/) from this machine's
# Debian 12 packages: the compiled addon plus every shared library it needs, each with RUNPATH $ORIGIN, so a Linux x64
# user installs @yolots/torch without a compiler or libtorch-dev. Needs the source-built addon
# (bash scripts/setup.sh --no-train), binutils (nm, strip) and patchelf (installed here when missing).
#
# What is bundled: the DT_NEEDED closure of the addon, walked edge by edge, minus
#  - the core every glibc Linux has (libc, libm, libdl, libpthread, librt, ld-linux) and the C++ runtime
#    (libstdc++, libgcc_s): node itself links libstdc++ and libgcc_s, so by the time the addon loads the system's
#    copies are in the process and a bundled copy of the same SONAME would never be used;
#  - DT_NEEDED edges that bind no symbol. Debian links libtorch_cpu without --as-needed, so it names OpenCV (12
#    libraries), FFmpeg, ZeroMQ, LevelDB, LMDB, snappy, zstd and OpenCL (Caffe2's old image/video/db operators)
#    without importing a single symbol from them; together with what they pull (Qt, GDAL, codecs…) that is most of
#    the 528 MB closure. Such an edge is removed from the copied library with `patchelf --remove-needed`, exactly
#    what --as-needed would have done at link time. Kept libraries still resolve every symbol they import: libtorch
#    is linked with BIND_NOW, and `ldd -r` below fails the build on any undefined symbol.
set -euo pipefail
export LC_ALL=C # comm needs the byte order sort gives under C
cd "$(dirname "$0")/.."
addon=${1:-packages/torch/build/Release/yolots_torch.node}
pkg=packages/torch-linux-x64
out=$pkg/lib
[ -f "$addon" ] || { echo "build-prebuilt: no addon at $addon (build it: bash scripts/setup.sh --no-train)" >&2; exit 1; }
# The addon must be built from the native/ sources of this checkout: by commit time, as a checkout gives every file a
# fresh mtime, plus files with uncommitted edits by mtime.
native=(packages/torch/native packages/torch/binding.gyp)
edited=$(git status --porcelain -- "${native[@]}" | cut -c4- | xargs -r -I{} find {} -newer "$addon")
if [ "$(git log -1 --format=%ct -- "${native[@]}")" -gt "$(stat -c %Y "$addon")" ] || [ -n "$edited" ]; then
  echo "build-prebuilt: $addon is older than native/: rebuild it (cd packages/torch && npx node-gyp rebuild)" >&2
  exit 1
fi
# @yolots/torch loads only the prebuilt of its own version (its optionalDependencies pin it exactly).
version() { node -p "require('./$1/package.json').version"; }
[ "$(version packages/torch)" = "$(version $pkg)" ] || { echo "build-prebuilt: $pkg/package.json's version differs from packages/torch's" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || { echo "build-prebuilt: this packages linux-x64; this machine is $(uname -m)" >&2; exit 1; }
if ! command -v patchelf >/dev/null; then
  echo "build-prebuilt: installing patchelf (Debian package)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq patchelf >/dev/null
fi

system='^(libc|libm|libdl|libpthread|librt|libresolv|libutil|ld-linux-x86-64|libstdc\+\+|libgcc_s)\.so'
licenses=$pkg/licenses
rm -rf "$out" "$licenses" && mkdir -p "$out" "$licenses"
dropped=$(mktemp) && trap 'rm -f "$dropped"' EXIT

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
# Symbol names without their @VERSION suffix: undefined ones read "sym@VER", definitions "sym@@VER".
undefined() { nm -D --undefined-only "$1" | awk '{print $NF}' | sed 's/@.*//' | sort -u; }
defined() { nm -D --defined-only "$1" | awk '{print $NF}' | sed 's/@.*//' | sort -u; }

# Where the system loader finds each library of the closure (libblas.so.3 through Debian's alternatives, …).
declare -A where
while read -r name _ path _; do [ -n "$path" ] && where[$name]=$(readlink -f "$path"); done < <(ldd "$addon" | grep '=> /')

cp "$addon" "$out/yolots_torch.node"
strip --strip-unneeded "$out/yolots_torch.node"
queue=("$out/yolots_torch.node")
while [ ${#queue[@]} -gt 0 ]; do
  elf=${queue[0]} && queue=("${queue[@]:1}")
  imports=$(undefined "$elf")
  for name in $(needed "$elf"); do
    [[ $name =~ $system ]] && continue
    src=${where[$name]:-}
    [ -n "$src" ] || { echo "build-prebuilt: $(basename "$elf") needs $name, which ldd did not resolve" >&2; exit 1; }
    if [ -z "$(comm -12 <(echo "$imports") <(defined "$src"))" ]; then
      patchelf --remove-needed "$name" "$elf"
      echo "$(basename "$elf") -/-> $name ($(stat -c %s "$src") bytes)" >>"$dropped"
      continue
    fi
    if [ ! -e "$out/$name" ]; then
      cp "$src" "$out/$name" && chmod 644 "$out/$name"
      # Each library's Debian package, version and copyright file travel with it (licenses/).
      # dpkg records a file under the path its package shipped it at: /lib/… for some, /usr/lib/… for others.
      deb=$(dpkg -S "$src" 2>/dev/null || dpkg -S "${src#/usr}")
      deb=${deb%%:*}
      echo "$name $deb $(dpkg-query -W -f='${Version}' "$deb")" >>"$licenses/MANIFEST"
      cp "/usr/share/doc/$deb/copyright" "$licenses/$deb.copyright"
      queue+=("$out/$name")
    fi
  done
done
for elf in "$out"/*; do patchelf --set-rpath '$ORIGIN' "$elf"; done

# Every symbol the bundle imports must resolve inside it or in the system core (napi_* comes from node itself).
unresolved=$(ldd -r "$out/yolots_torch.node" 2>&1 | grep -E 'undefined symbol|not found' | grep -v 'undefined symbol: napi_' || true)
[ -z "$unresolved" ] || { echo "build-prebuilt: unresolved in the bundle:" >&2; echo "$unresolved" >&2; exit 1; }
outside=$(ldd "$out/yolots_torch.node" | grep '=> /' | grep -v "=> $(realpath "$out")/" | awk '{print $1}' | grep -vE "$system" || true)
[ -z "$outside" ] || { echo "build-prebuilt: still loaded from the system: $outside" >&2; exit 1; }

echo "build-prebuilt: dependency edges dropped (no symbol bound through them):"
sed 's/^/  /' "$dropped"
echo "build-prebuilt: $(ls "$out" | wc -l) files, $(du -sb "$out" | cut -f1) bytes in $out:"
ls -S "$out" | while read -r f; do printf '  %10d  %s\n' "$(stat -c %s "$out/$f")" "$f"; done
