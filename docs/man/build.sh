#!/usr/bin/env bash
# Renders the man pages for installation: checks each source (hand-written man(7) roff in this
# directory) for formatter warnings, then writes it gzipped into OUTDIR/man<section>/, the layout
# of /usr/share/man. Any warning fails the build.
#
#   docs/man/build.sh OUTDIR
#
# The check is the one the tests run:
#   MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 PAGE 2>&1 >/dev/null   (must print nothing)
# with groff -man -ww -z as the fallback where man-db is not installed.
set -euo pipefail

if [ $# -ne 1 ] || [ "${1:0:1}" = "-" ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
out=$1
here=$(cd "$(dirname "$0")" && pwd)
pages=(probed.8 probectl.1 probed.yaml.5)

check() {
    local page=$1 warnings
    if command -v man >/dev/null; then
        warnings=$(MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 "$page" 2>&1 >/dev/null)
    elif command -v groff >/dev/null; then
        warnings=$(groff -man -ww -z -Tutf8 "$page" 2>&1)
    else
        echo "build.sh: neither man (man-db) nor groff is installed; $page is not checked" >&2
        return 0
    fi
    if [ -n "$warnings" ]; then
        echo "build.sh: $page renders with warnings:" >&2
        echo "$warnings" >&2
        return 1
    fi
}

status=0
for page in "${pages[@]}"; do
    source="$here/$page"
    section=${page##*.}
    check "$source" || { status=1; continue; }
    mkdir -p "$out/man$section"
    # -n: no name or time stamp in the header, so that the output is reproducible.
    gzip -9 -n -c "$source" > "$out/man$section/$page.gz"
done
exit $status
