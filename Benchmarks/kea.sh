# Benchmarks/kea.sh: the "kea" scenario of Benchmarks/run (sourced by it; see Benchmarks/README.md).
#
# A real kea-dhcp4 (Kea 3.0 from the Debian 13 root that integrations/kea/lab-root builds; 4
# threads) in the lab's dut namespace, and perfdhcp in the dutraw namespace as a relay
# (198.51.100.2) for 198.18.0.0/16, whose addresses sit behind the dut's silent sink route: no
# echo ever answers, so every check is a full wait, as for a free address on a real network.
# perfdhcp runs 4-way exchanges (its timestamps exist only for them) at a fixed rate; the table
# reports the DISCOVER→OFFER half: OFFERs per second and the p50/p99 delay, for
#   alone       Kea without hooks
#   ping_check  Kea's own ping_check (reply-timeout 100, min-ping-requests 1)
#   cold        Kea + libdhcp_probed.so, timeout-ms 100, nothing cached (equal work)
#   warm        Kea + libdhcp_probed.so with probed's warm pool covering Kea's pool

if [[ $SMOKE -eq 1 ]]; then
    KEA_RATE=100 KEA_CLIENTS=100 KEA_WARM_LAST=198.18.0.250 KEA_WARM_REFRESH=2
else
    KEA_RATE=500 KEA_CLIENTS=3000 KEA_WARM_LAST=198.18.13.174 KEA_WARM_REFRESH=8
fi
KEA_MODES=(alone ping_check cold warm)

# kea_config NAME HOOKS: a kea-dhcp4 configuration in the root, at /etc/kea/bench-NAME.json.
kea_config() {
    local name=$1 hooks=$2
    cat >"$KEA_ROOT/etc/kea/bench-$name.json" <<JSON
{
  "Dhcp4": {
    "interfaces-config": { "interfaces": ["veth0"], "dhcp-socket-type": "raw" },
    "lease-database": { "type": "memfile", "persist": false },
    "multi-threading": { "enable-multi-threading": true, "thread-pool-size": 4, "packet-queue-size": 256 },
    "parked-packet-limit": 1024,
    "valid-lifetime": 3600,
    "hooks-libraries": [ $hooks ],
    "subnet4": [{ "id": 1, "subnet": "198.18.0.0/16", "relay": { "ip-addresses": ["198.51.100.2"] },
                  "pools": [{ "pool": "198.18.0.1 - 198.18.63.254" }] }],
    "loggers": [{ "name": "kea-dhcp4", "output-options": [{ "output": "stdout" }], "severity": "WARN" }]
  }
}
JSON
}

# kea_run MODE: one repetition: Kea (and probed where the mode needs it), then perfdhcp.
kea_run() {
    local mode=$1 hooks="" waited=0 kea_pid line
    local probed_socket=/run/probed-bench-$$.sock
    case $mode in
        ping_check) hooks='{ "library": "libdhcp_ping_check.so", "parameters": { "enable-ping-check": true, "min-ping-requests": 1, "reply-timeout": 100 } }' ;;
        cold) hooks='{ "library": "libdhcp_probed.so", "parameters": { "socket": "'$probed_socket'", "timeout-ms": 100 } }' ;;
        warm) hooks='{ "library": "libdhcp_probed.so", "parameters": { "socket": "'$probed_socket'", "timeout-ms": 100, "max-age-ms": 60000 } }' ;;
    esac
    if [[ $mode == cold || $mode == warm ]]; then
        write_config "kea$mode"
        if [[ $mode == warm ]]; then
            printf 'pools:\n  - range: "198.18.0.1-%s"\n    refresh_s: %s\n' "$KEA_WARM_LAST" "$KEA_WARM_REFRESH" >>"$WORK/kea$mode.yaml"
        fi
        SOCK=$KEA_ROOT$probed_socket
        start_daemon "kea$mode"
        [[ $mode != warm ]] || wait_for_sweep
    fi
    kea_config "$mode" "$hooks"
    ip netns exec "$DUT" chroot "$KEA_ROOT" kea-dhcp4 -c "/etc/kea/bench-$mode.json" >"$WORK/kea-$mode.log" 2>&1 &
    kea_pid=$!
    STARTED_PIDS+=("$kea_pid")
    # Kea logs at WARN: wait until it listens (its control of the interface shows in /proc).
    until ip netns exec "$DUT" ss -Hlunp 2>/dev/null | grep -q "pid=$kea_pid,"; do
        kill -0 "$kea_pid" 2>/dev/null || die "kea-dhcp4 ($mode) did not start: $(tail -5 "$WORK/kea-$mode.log")"
        ((waited++ < 200)) || die "kea-dhcp4 ($mode) did not start within 20 s"
        sleep 0.1
    done
    sleep 0.3 # the hook connects to probed from Kea's main loop
    ip netns exec "$LAB-dutraw" chroot "$KEA_ROOT" perfdhcp -4 -l veth0 -x t -b "mac=00:0c:$(printf '%02x' $((RANDOM % 256))):00:00:00" \
        -r "$KEA_RATE" -R "$KEA_CLIENTS" -n "$KEA_CLIENTS" -n "$KEA_CLIENTS" -W 2000000 >"$WORK/perfdhcp-$mode.out" 2>&1 || true
    # DISCOVER→OFFER delays (ms), one a line; then the count, the OFFER rate and two quantiles.
    awk '
        /^\*\*\*Timestamps for packets: DISCOVER-OFFER/ { on = 1; next }
        /^\*\*\*/ { on = 0 }
        on && /^sent \/ received:/ { printf "%.3f\n", ($6 - $4) * 1000 }' "$WORK/perfdhcp-$mode.out" | sort -g >"$WORK/delays-$mode"
    line=$(awk '
        /^\*\*\*Timestamps for packets: DISCOVER-OFFER/ { on = 1; next }
        /^\*\*\*/ { on = 0 }
        on && /^sent \/ received:/ { n++; if (n == 1 || $4 < first) first = $4; if ($6 > last) last = $6 }
        END { if (n == 0) print "offers=0"; else printf "offers=%d rate=%.0f\n", n, n / (last - first) }' "$WORK/perfdhcp-$mode.out")
    local n
    n=$(wc -l <"$WORK/delays-$mode")
    line+=" p50=$(sed -n "$(((n * 50 + 99) / 100))p" "$WORK/delays-$mode") p99=$(sed -n "$(((n * 99 + 99) / 100))p" "$WORK/delays-$mode")"
    kill -TERM "$kea_pid" 2>/dev/null || true
    wait "$kea_pid" 2>/dev/null || true
    [[ $mode != cold && $mode != warm ]] || stop_daemon
    [[ $(field offers "$line") -eq $KEA_CLIENTS ]] ||
        die "kea ($mode): $(field offers "$line") of $KEA_CLIENTS DISCOVERs got an OFFER (see $WORK/perfdhcp-$mode.out)"
    record "kea.$mode.rate" "$(field rate "$line")"
    record "kea.$mode.p50" "$(field p50 "$line")"
    record "kea.$mode.p99" "$(field p99 "$line")"
}

scenario_kea() {
    log "kea: kea-dhcp4 (4 threads) alone, with ping_check, with the probed hook cold and warm; perfdhcp $KEA_CLIENTS clients at $KEA_RATE/s; $REPS reps"
    KEA_ROOT=$("$REPO/integrations/kea/lab-root") || die "integrations/kea/lab-root failed"
    local rep mode saved_sock=$SOCK
    for ((rep = 1; rep <= REPS; rep++)); do
        for mode in "${KEA_MODES[@]}"; do
            kea_run "$mode"
        done
    done
    SOCK=$saved_sock
    rm -f "$KEA_ROOT"/etc/kea/bench-*.json
}

# kea_section: the Kea table (a section of RESULTS.md), when the scenario ran.
kea_section() {
    [[ -s $SAMPLES/kea.alone.rate ]] || return 0
    local rate=$(median kea.alone.rate) p99=$(median kea.alone.p99)
    local warm_rate=$(median kea.warm.rate) warm_p99=$(median kea.warm.p99)
    local cold_p99=$(median kea.cold.p99) ping_p99=$(median kea.ping_check.p99) cold_rate=$(median kea.cold.rate) ping_rate=$(median kea.ping_check.rate)
    echo "<!-- kea:begin -->"
    echo "## Kea DHCPv4 with the probed hook"
    echo
    echo "Kea $(chroot "$KEA_ROOT" dpkg-query -W -f '${Version}' kea-dhcp4-server) (4 threads) in the lab, perfdhcp as a relay: $KEA_CLIENTS clients at $KEA_RATE"
    echo "DISCOVERs/s, 4-way exchanges; the DISCOVER→OFFER half measured from perfdhcp's timestamps. Pool"
    echo "addresses never answer (probed's and ping_check's waits are full). OFFERs/s: OFFERs over the time from"
    echo "the first DISCOVER to the last OFFER (so a 100 ms wait shows as a slightly lower rate). probed:"
    echo "$([[ -z $BIN_DIR ]] && echo "release build" || echo "binaries from $BIN_DIR"). $REPS repetitions; median (min–max); the goals compare medians."
    echo "Written by \`Benchmarks/run\` on $(date -u '+%Y-%m-%d %H:%M UTC'), at $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$REPO" diff --quiet HEAD -- integrations/kea Sources 2>/dev/null || echo ' (with uncommitted changes)')."
    echo
    echo "| Kea | OFFERs/s | DISCOVER→OFFER p50 (ms) | p99 (ms) | goal | |"
    echo "|---|---|---|---|---|---|"
    echo "| alone | $(cell kea.alone.rate) | $(cell kea.alone.p50 %.2f) | $(cell kea.alone.p99 %.2f) | (baseline) | |"
    echo "| + ping_check, reply-timeout 100 | $(cell kea.ping_check.rate) | $(cell kea.ping_check.p50 %.2f) | $(cell kea.ping_check.p99 %.2f) | (peer) | |"
    echo "| + probed hook, cold, timeout-ms 100 | $(cell kea.cold.rate) | $(cell kea.cold.p50 %.2f) | $(cell kea.cold.p99 %.2f) | rate ≥ ping_check's ×0.95, p99 ≤ ping_check's + 5 ms | $(verdict "$cold_rate >= 0.95 * $ping_rate && $cold_p99 <= $ping_p99 + 5") |"
    echo "| + probed hook, warm pool | $(cell kea.warm.rate) | $(cell kea.warm.p50 %.2f) | $(cell kea.warm.p99 %.2f) | rate ≥ 0.9× alone, p99 ≤ alone + 1 ms | $(verdict "$warm_rate >= 0.9 * $rate && $warm_p99 <= $p99 + 1") |"
    echo "<!-- kea:end -->"
}
