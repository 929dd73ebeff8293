#!/usr/bin/env bash
# Builds the Debian package probed_<version>_<arch>.deb.
#
#   packaging/build-deb.sh [--bin-dir DIR] [--version V] [--out DIR] [--no-strip] [--compression C]
#
#   --bin-dir DIR  take probed and probectl from DIR instead of building them. By default they are
#                  built with `swift build -c release --static-swift-stdlib --scratch-path
#                  .build-release`: the Swift runtime and Foundation are linked in, so the package
#                  needs only libc6, libstdc++6, libgcc-s1 and libsystemd0 (several minutes on two
#                  cores). Binaries that link the Swift runtime from a toolchain (a debug build)
#                  work only where that toolchain is installed; the script says so.
#   --version V    the package version (default: what `probed --version` prints)
#   --out DIR      where the .deb goes (default: the current directory)
#   --no-strip     keep the symbols (stripping takes the static probed from ~100 MB to ~65 MB)
#   --compression C  dpkg-deb's compressor: xz (the default), gzip (three times faster), zstd, none
#
# Contents: /usr/sbin/probed, /usr/bin/probectl, /lib/systemd/system/probed.{service,socket},
# /usr/lib/sysusers.d/probed.conf, /etc/probed/probed.yaml (a conffile), the man pages, and
# /usr/share/doc/probed/ with the copyright and the examples (the ping_group_range sysctl
# snippet, the ping-socket drop-in and their README). Prints the path of the .deb.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
packaging="$root/packaging"
bin_dir=""
version=""
out=$PWD
strip=1
compression=xz

usage() {
    sed -n '3,4p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
        --bin-dir) [ $# -ge 2 ] || usage; bin_dir=$2; shift 2 ;;
        --version) [ $# -ge 2 ] || usage; version=$2; shift 2 ;;
        --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
        --no-strip) strip=0; shift ;;
        --compression) [ $# -ge 2 ] || usage; compression=$2; shift 2 ;;
        -h | --help) usage ;;
        *) echo "build-deb: unknown argument: $1" >&2; usage ;;
    esac
done

for tool in dpkg-deb dpkg gzip install; do
    command -v "$tool" >/dev/null || { echo "build-deb: $tool is missing" >&2; exit 1; }
done

if [ -z "$bin_dir" ]; then
    echo "build-deb: building release binaries with the Swift runtime linked in (this takes minutes)" >&2
    (cd "$root" && swift build -c release --static-swift-stdlib --scratch-path "$root/.build-release" \
        --product probed >&2 &&
        swift build -c release --static-swift-stdlib --scratch-path "$root/.build-release" \
            --product probectl >&2)
    bin_dir=$(cd "$root" && swift build -c release --static-swift-stdlib --scratch-path "$root/.build-release" --show-bin-path)
fi
for binary in probed probectl; do
    [ -x "$bin_dir/$binary" ] || { echo "build-deb: $bin_dir/$binary is missing or not executable" >&2; exit 1; }
done

if [ -z "$version" ]; then
    version=$("$bin_dir/probed" --version 2>/dev/null | tail -n 1)
fi
if ! [[ "$version" =~ ^[0-9][A-Za-z0-9.+~-]*$ ]]; then
    echo "build-deb: '$version' is not a Debian version; give --version" >&2
    exit 1
fi
arch=$(dpkg --print-architecture)
mkdir -p "$out"
out=$(cd "$out" && pwd)
deb="$out/probed_${version}_${arch}.deb"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The layout dpkg-shlibdeps expects: debian/control, and the package's tree in debian/probed.
stage="$work/debian/probed"
mkdir -p "$stage/DEBIAN"

install -D -m 0755 "$bin_dir/probed" "$stage/usr/sbin/probed"
install -D -m 0755 "$bin_dir/probectl" "$stage/usr/bin/probectl"
if [ "$strip" = 1 ] && command -v strip >/dev/null; then
    strip --remove-section=.comment --remove-section=.note "$stage/usr/sbin/probed" "$stage/usr/bin/probectl"
fi
install -D -m 0644 "$packaging/systemd/probed.service" "$stage/lib/systemd/system/probed.service"
install -D -m 0644 "$packaging/systemd/probed.socket" "$stage/lib/systemd/system/probed.socket"
install -D -m 0644 "$packaging/sysusers.d/probed.conf" "$stage/usr/lib/sysusers.d/probed.conf"
install -D -m 0644 "$root/config/probed.yaml" "$stage/etc/probed/probed.yaml"
"$root/docs/man/build.sh" "$stage/usr/share/man"
doc="$stage/usr/share/doc/probed"
install -D -m 0644 "$packaging/debian/copyright" "$doc/copyright"
install -D -m 0644 "$packaging/sysctl.d/60-probed.conf" "$doc/examples/60-probed.conf"
install -D -m 0644 "$packaging/sysctl.d/README" "$doc/examples/README"
install -D -m 0644 "$packaging/systemd/probed-ping-sockets.conf" "$doc/examples/probed-ping-sockets.conf"
find "$stage/usr/share/man" -type f -exec chmod 0644 {} +
find "$stage" -type d -exec chmod 0755 {} +

# Libraries from outside the system (a toolchain's Swift runtime) make the package unportable.
foreign=$(ldd "$stage/usr/sbin/probed" "$stage/usr/bin/probectl" 2>/dev/null |
    awk '/=>/ && $3 !~ /^\/(usr\/)?lib(32|64|x32)?\// { print $1 " => " $3 }' | sort -u)
if [ -n "$foreign" ]; then
    echo "build-deb: warning: the binaries need libraries that no Debian package provides:" >&2
    echo "$foreign" | sed 's/^/build-deb:   /' >&2
    echo "build-deb: warning: this package runs only where they exist; build without --bin-dir" \
        "for a self-contained release" >&2
fi

# Depends: from the binaries' libraries when dpkg-shlibdeps (dpkg-dev) is here, else the known set.
depends=""
if command -v dpkg-shlibdeps >/dev/null; then
    printf 'Source: probed\n\nPackage: probed\nArchitecture: any\n' > "$work/debian/control"
    depends=$(cd "$work" && dpkg-shlibdeps -O --ignore-missing-info \
        -e debian/probed/usr/sbin/probed -e debian/probed/usr/bin/probectl 2>/dev/null |
        sed -n 's/^shlibs:Depends=//p') || depends=""
    rm -f "$work/debian/control"
fi
[ -n "$depends" ] || depends="libc6, libgcc-s1, libstdc++6, libsystemd0"
# libc6 2.36 is the first to apply packed relative relocations (DT_RELR), which the release link
# uses (Package.swift); dpkg-shlibdeps does not tell that from the symbol versions.
if readelf -V "$work/debian/probed/usr/sbin/probed" 2>/dev/null | grep -q GLIBC_ABI_DT_RELR; then
    libc=$(printf '%s\n' "$depends" | sed -n 's/.*libc6 (>= \([^)]*\)).*/\1/p')
    if [ -z "$libc" ]; then
        depends=$(printf '%s\n' "$depends" | sed 's/libc6\([,]\|$\)/libc6 (>= 2.36)\1/')
    elif dpkg --compare-versions "$libc" lt 2.36; then
        depends=$(printf '%s\n' "$depends" | sed "s/libc6 (>= $libc)/libc6 (>= 2.36)/")
    fi
fi

installed_size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<EOF
Package: probed
Version: $version
Architecture: $arch
Maintainer: probed developers <probed@localhost>
Installed-Size: $installed_size
Depends: $depends, systemd | adduser
Suggests: socat
Section: net
Priority: optional
Description: address-probe service for DHCP servers
 probed answers a DHCP server's question "is this candidate address free?"
 over a local Unix socket, before the server offers the address. It sends
 ICMP echo requests through shared unprivileged ping sockets (IPv4 and IPv6),
 reads the kernel's ARP/NDP neighbour table for on-link hosts that drop echo
 requests, and answers in_use, free or unknown, with the evidence, within a
 deadline. Verdicts are cached, concurrent checks of one address share one
 probe, and address pools can be kept probed in the background.
 .
 probectl is its command-line client, with a sweep of a whole prefix to find
 hosts squatting in a DHCP pool.
EOF
echo "/etc/probed/probed.yaml" > "$stage/DEBIAN/conffiles"
for script in postinst prerm postrm; do
    install -m 0755 "$packaging/debian/$script" "$stage/DEBIAN/$script"
done
(cd "$stage" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' |
    sort -z | xargs -0 md5sum) > "$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"

dpkg-deb -Z"$compression" --build --root-owner-group "$stage" "$deb" >&2
echo "$deb"
