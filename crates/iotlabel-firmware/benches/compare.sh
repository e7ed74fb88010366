#!/usr/bin/env bash
# Scan benchmark: builds router-like root file systems of about 4, 16 and 64 MB (ELF binaries
# and libraries from this machine plus planted weaknesses), packs each as squashfs (xz),
# cpio.gz, tar.xz and jffs2, then times a full `iotlabel scan` (extraction and every check,
# release build) against the tools people use today on the same image in the same run:
# unsquashfs for squashfs, unblob for the others. Also scans the real router in
# ../shared/fixtures/firmware/real when present. Prints a Markdown table.
#
# Needs: squashfs-tools, mtd-utils, cpio, xz-utils, gzip, GNU time, and unblob in a venv
# (python3 -m venv /tmp/unblob-venv && /tmp/unblob-venv/bin/pip install unblob jefferson
# ubi-reader; apt-get install p7zip-full lzop). Not run in CI.
#
# IMAGES_DIR=/some/dir only builds the benchmark images into that directory (kept, nothing
# timed, no unblob needed), e.g. for `cargo run --release -p iotlabel-firmware --example
# profile -- /some/dir/fw-16.squashfs`.
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$(pwd)
work=$(mktemp -d /tmp/iotlabel-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
unblob=${UNBLOB:-/tmp/unblob-venv/bin/unblob}
sizes=${SIZES:-"4 16 64"}
images_dir=${IMAGES_DIR:-}
if [ -n "$images_dir" ]; then
  mkdir -p "$images_dir"
  images_dir=$(cd "$images_dir" && pwd)
  rmdir "$work"
  work=$images_dir
  trap - EXIT
else
  cargo build --release -q -p iotlabel
fi
iotlabel="$root/target/release/iotlabel"

# seconds and peak RSS (MiB) of a command, as "S M"; a command that fails still gets its
# time, marked with its exit status (unblob exits 1 when it extracted only part of an image)
measure() {
  local status=0
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "exit $status: $*" >&2
    tail -3 "$work/stderr" >&2
  fi
  awk -v status="$status" '/^[0-9.]+ [0-9]+$/ { if (status == 0) printf "%.2f %.0f\n", $1, $2 / 1024; else printf "%.2f(exit%s) %.0f\n", $1, status, $2 / 1024 }' "$work/time"
}

make_rootfs() { # dir, uncompressed MB
  local dir=$1 want=$(( $2 * 1024 * 1024 )) total=0
  mkdir -p "$dir"/{bin,lib,etc,www}
  while IFS= read -r file; do
    [ "$total" -ge "$want" ] && break
    size=$(stat -c %s "$file")
    cp "$file" "$dir/lib/$(basename "$file").$total" 2>/dev/null || continue
    total=$(( total + size ))
  done < <(find /usr/lib/x86_64-linux-gnu /usr/bin -maxdepth 1 -type f -size -4M 2>/dev/null | sort)
  cp /bin/busybox "$dir/bin/" 2>/dev/null || true
  printf 'root:$1$abcdefgh$l/LAqC8oJERu7Cmx6trtY/:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n' > "$dir/etc/shadow"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n' > "$dir/etc/passwd"
  printf '::sysinit:/etc/init.d/rcS\n::respawn:/usr/sbin/telnetd -F -l /bin/sh\n' > "$dir/etc/inittab"
  printf 'model=BENCH-1000\nversion=1.0.0\n' > "$dir/etc/version"
}

if [ -z "$images_dir" ]; then
  echo "| image | size | iotlabel scan | MB/s | peak RSS | reference tool | its time | ratio |"
  echo "|---|---|---|---|---|---|---|---|"
fi
for mb in $sizes; do
  fs="$work/rootfs-$mb"
  make_rootfs "$fs" $(( mb * 5 / 2 ))
  mksquashfs "$fs" "$work/fw-$mb.squashfs" -comp xz -noappend -quiet >/dev/null
  (cd "$fs" && find . | cpio -o -H newc 2>/dev/null | gzip -6 > "$work/fw-$mb.cpio.gz")
  tar -C "$fs" -cJf "$work/fw-$mb.tar.xz" .
  mkfs.jffs2 -r "$fs" -o "$work/fw-$mb.jffs2" -e 128KiB -n 2>/dev/null
  if [ -n "$images_dir" ]; then
    rm -rf "$fs"
    echo "built $work/fw-$mb.{squashfs,cpio.gz,tar.xz,jffs2}" >&2
    continue
  fi
  for image in "$work/fw-$mb.squashfs" "$work/fw-$mb.cpio.gz" "$work/fw-$mb.tar.xz" "$work/fw-$mb.jffs2"; do
    bytes=$(stat -c %s "$image")
    read -r ours rss < <(measure "$iotlabel" scan "$image" --format json --out "$work/report.json" --quiet)
    rm -rf "$work/out"
    case "$image" in
      *.squashfs) tool=unsquashfs; read -r theirs _ < <(measure unsquashfs -d "$work/out" -no-progress "$image") ;;
      *) tool=unblob; read -r theirs _ < <(measure "$unblob" -e "$work/out" "$image") ;;
    esac
    ratio=$(awk -v a="$theirs" -v b="$ours" 'BEGIN { if (b > 0 && a !~ /exit/) printf "%.1fx", a / b; else print "-" }')
    rate=$(awk -v s="$bytes" -v t="$ours" 'BEGIN { if (t > 0) printf "%.1f", s / 1048576 / t; else print "-" }')
    printf "| %s | %.1f MB | %s s | %s | %s MiB | %s | %s s | %s |\n" "$(basename "$image")" "$(echo "$bytes / 1048576" | bc -l)" "$ours" "$rate" "$rss" "$tool" "$theirs" "$ratio"
  done
  rm -rf "$fs"
done
if [ -n "$images_dir" ]; then
  exit 0
fi
real="$root/../shared/fixtures/firmware/real"
if [ -d "$real" ]; then
  for image in "$real"/*; do
    bytes=$(stat -c %s "$image")
    read -r ours rss < <(measure "$iotlabel" scan "$image" --format json --out "$work/report.json" --quiet)
    rm -rf "$work/out"
    read -r theirs _ < <(measure unsquashfs -d "$work/out" -no-progress "$image")
    printf "| %s (real) | %.1f MB | %s s | - | %s MiB | unsquashfs | %s | - |\n" "$(basename "$image")" "$(echo "$bytes / 1048576" | bc -l)" "$ours" "$rss" "$theirs"
  done
fi
