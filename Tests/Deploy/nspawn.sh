#!/usr/bin/env bash
# Debian roots booted under systemd-nspawn, for the deployment tests (Tests/LabTests/DeploymentTests.swift).
#
#   nspawn.sh root RELEASE          make sure the cached root of RELEASE (bookworm, trixie) exists; print its path
#   nspawn.sh boot RELEASE NAME     copy the cached root to a run directory, boot it with systemd as PID 1,
#                                   wait until systemd has finished starting, print the container's init pid
#   nspawn.sh exec PID CMD...       run CMD inside the container whose init is PID (nsenter -a), clean environment
#   nspawn.sh copy NAME FILE DEST   copy a file of this host to DEST inside the container NAME
#   nspawn.sh down NAME             stop the container NAME (SIGTERM to its nspawn, then SIGKILL) and remove its copy
#
# The cached roots: debootstrap --variant=minbase with systemd, systemd-sysv, dbus and what the package's
# Depends name, in $PROBED_NSPAWN_CACHE (default /var/cache/probed-lab)/nspawn-RELEASE-HASH, where HASH
# covers the package list and this file's debootstrap line. They are built once, into a temporary
# directory renamed into place (atomic: an interrupted build leaves no half root), under a lock, and never
# modified afterwards: every boot uses a copy in $PROBED_NSPAWN_RUN (default /var/tmp/probed-nspawn)/NAME.
#
# The booted container: --boot --private-network (only a loopback interface) --register=no --keep-unit
# (this host's PID 1 need not be systemd), and the Swift toolchain's runtime directory bound read-only at
# the same path, so that binaries linked against it (a debug build) run inside. Network traffic: only
# debootstrap's downloads from Debian's archive.
set -euo pipefail

cache=${PROBED_NSPAWN_CACHE:-/var/cache/probed-lab}
run=${PROBED_NSPAWN_RUN:-/var/tmp/probed-nspawn}
mirror=${PROBED_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# What the roots hold beyond minbase: systemd as init, D-Bus, and the package's Depends (libc6, libgcc-s1,
# libstdc++6, libsystemd0, systemd | adduser) so that `apt install ./probed_*.deb` needs no download.
packages=systemd,systemd-sysv,dbus,libstdc++6,libgcc-s1,libsystemd0,adduser

die() { echo "nspawn.sh: $*" >&2; exit 1; }

root_of() {
    local release=$1 hash
    hash=$(printf '%s\n' "debootstrap --variant=minbase --include=$packages $release" | sha256sum | cut -c1-12)
    echo "$cache/nspawn-$release-$hash"
}

ensure_root() {
    local release=$1 root temporary
    root=$(root_of "$release")
    [ -d "$root" ] && { echo "$root"; return; }
    command -v debootstrap >/dev/null || die "debootstrap is missing (Debian package debootstrap)"
    mkdir -p "$cache"
    exec 9>"$cache/.lock-$release"
    flock 9
    if [ ! -d "$root" ]; then
        temporary=$(mktemp -d "$cache/.build-$release.XXXXXX")
        echo "nspawn.sh: debootstrap $release into $root (once; later runs copy it)" >&2
        if ! debootstrap --variant=minbase --include="$packages" "$release" "$temporary/root" "$mirror" \
            >"$temporary/debootstrap.log" 2>&1; then
            tail -n 30 "$temporary/debootstrap.log" >&2
            rm -rf "$temporary"
            die "debootstrap $release failed"
        fi
        # No downloads at install time: apt must take the package's Depends from what is installed.
        rm -rf "$temporary/root/var/lib/apt/lists/"* "$temporary/root/var/cache/apt/archives/"*.deb
        # A machine id of its own, a hostname, and no getty on the (absent) console.
        : > "$temporary/root/etc/machine-id"
        echo probed-deploy > "$temporary/root/etc/hostname"
        chroot "$temporary/root" systemctl mask console-getty.service getty@tty1.service \
            systemd-networkd-wait-online.service >/dev/null 2>&1 || true
        mv "$temporary/root" "$root"
        rm -rf "$temporary"
    fi
    flock -u 9
    echo "$root"
}

# The pid of the container's init: the child of systemd-nspawn (its intermediate child exits).
init_pid() {
    local nspawn=$1 child
    for child in $(cat /proc/"$nspawn"/task/*/children 2>/dev/null); do
        echo "$child"
        return 0
    done
    return 1
}

# Removes the copies of containers whose systemd-nspawn is gone (a run that was killed).
collect_garbage() {
    local file name
    for file in "$run"/*.pid; do
        [ -e "$file" ] || continue
        name=$(basename "$file" .pid)
        kill -0 "$(cat "$file")" 2>/dev/null || down "$name"
    done
}

boot() {
    local release=$1 name=$2 root copy nspawn pid swift_lib deadline state
    root=$(ensure_root "$release")
    command -v systemd-nspawn >/dev/null || die "systemd-nspawn is missing (Debian package systemd-container)"
    down "$name" 2>/dev/null || true
    collect_garbage
    copy="$run/$name"
    mkdir -p "$run"
    cp -a "$root" "$copy"
    local binds=()
    swift_lib=${PROBED_SWIFT_RUNTIME:-$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")/lib/swift/linux}
    if [ -d "$swift_lib" ]; then
        binds+=("--bind-ro=$swift_lib")
    fi
    # cgroup v2 inside, also where the host is hybrid: systemd 256 and later refuse cgroup v1.
    SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 setsid systemd-nspawn --quiet --boot --private-network --register=no \
        --keep-unit --console=passive -M "$name" -D "$copy" "${binds[@]}" \
        </dev/null >"$run/$name.log" 2>&1 &
    nspawn=$!
    echo "$nspawn" > "$run/$name.pid"
    deadline=$((SECONDS + 60))
    pid=""
    while [ $SECONDS -lt $deadline ]; do
        kill -0 "$nspawn" 2>/dev/null || { cat "$run/$name.log" >&2; die "systemd-nspawn exited while booting $name"; }
        if [ -z "$pid" ]; then pid=$(init_pid "$nspawn" || true); fi
        if [ -n "$pid" ] && [ "$(readlink /proc/"$pid"/exe 2>/dev/null)" != "$(readlink /proc/"$nspawn"/exe)" ]; then
            state=$(exec_in "$pid" systemctl is-system-running 2>/dev/null || true)
            case "$state" in
                running | degraded) echo "$pid"; return 0 ;;
            esac
        else
            pid=""
        fi
        sleep 0.2
    done
    cat "$run/$name.log" >&2
    die "$name did not finish booting within 60 s (state: ${state:-none})"
}

exec_in() {
    local pid=$1
    shift
    nsenter -t "$pid" -a -r -w env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root "$@"
}

down() {
    local name=$1 nspawn
    if [ -f "$run/$name.pid" ]; then
        nspawn=$(cat "$run/$name.pid")
        if kill -0 "$nspawn" 2>/dev/null; then
            kill -TERM "$nspawn" 2>/dev/null || true
            for _ in $(seq 1 100); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$nspawn" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.1; done
        fi
        rm -f "$run/$name.pid"
    fi
    rm -rf "${run:?}/$name" "$run/$name.log"
}

case "${1:-}" in
    root) [ $# -eq 2 ] || die "usage: nspawn.sh root RELEASE"; ensure_root "$2" ;;
    boot) [ $# -eq 3 ] || die "usage: nspawn.sh boot RELEASE NAME"; boot "$2" "$3" ;;
    exec) [ $# -ge 3 ] || die "usage: nspawn.sh exec PID CMD..."; pid=$2; shift 2; exec_in "$pid" "$@" ;;
    down) [ $# -eq 2 ] || die "usage: nspawn.sh down NAME"; down "$2" ;;
    copy) [ $# -eq 4 ] || die "usage: nspawn.sh copy NAME FILE DEST"; [ -d "$run/$2" ] || die "no container $2"
        install -D -m 0644 "$3" "$run/$2/${4#/}" ;;
    *) sed -n '4,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
