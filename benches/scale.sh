#!/usr/bin/env bash
# Scale figures of `schedlab run` that criterion does not measure: peak memory
# (from /usr/bin/time -v) and wall time over whole runs, each the median of
# three, side by side in one invocation (these machines are noisy: compare
# within a run, not across days).
#
#   benches/scale.sh            all cases
#   benches/scale.sh memory     1,000 against 10 replications of M/M/1 (10^4 jobs each)
#   benches/scale.sh threads    replications on 2 threads against 1
#   benches/scale.sh cluster    100,000 single-server nodes, power-of-2, 10^7 jobs, beside
#                               the same cluster as a hand-written loop (benches/cluster_loop.rs)
#
# Needs /usr/bin/time (Debian package `time`) and a release build, which it makes.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin schedlab
BIN="$PWD/target/release/schedlab"
# The bench binary of benches/cluster_loop.rs, built and located by cargo.
LOOP="$(cargo bench --no-run --message-format=json --bench cluster_loop 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*cluster_loop[^"]*\)".*/\1/p' | tail -1)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
what="${1:-all}"

# Prints "<median wall s> <median peak KB>" of three runs of the command.
measure() {
    local walls=() rss=()
    for _ in 1 2 3; do
        /usr/bin/time -f "%e %M" -o "$TMP/time" "$@" > /dev/null
        read -r w m < "$TMP/time"
        walls+=("$w")
        rss+=("$m")
    done
    printf '%s\n' "${walls[@]}" | sort -g | sed -n 2p | tr '\n' ' '
    printf '%s\n' "${rss[@]}" | sort -g | sed -n 2p
}

if [[ "$what" == all || "$what" == memory ]]; then
    echo "== memory: M/M/1 at load 0.8, 10^4 jobs per replication, 2 threads"
    for r in 10 1000; do
        read -r w m < <(measure "$BIN" run scenarios/mm1.toml --replications "$r" --jobs 10000 \
            --warmup 1000 --threads 2)
        echo "replications $r: $w s, peak $m KB"
        eval "rss_$r=$m"
    done
    awk -v a="$rss_10" -v b="$rss_1000" \
        'BEGIN { printf "1000 against 10 replications: peak memory x%.3f\n", b / a }'
fi

if [[ "$what" == all || "$what" == threads ]]; then
    echo "== threads: M/M/1 at load 0.8, 200 replications of 10^5 jobs"
    for t in 1 2; do
        read -r w m < <(measure "$BIN" run scenarios/mm1.toml --replications 200 --jobs 100000 \
            --warmup 1000 --threads "$t")
        echo "threads $t: $w s"
        eval "wall_$t=$w"
    done
    awk -v a="$wall_1" -v b="$wall_2" 'BEGIN { printf "2 threads against 1: x%.2f faster\n", a / b }'
fi

if [[ "$what" == all || "$what" == cluster ]]; then
    echo "== cluster: 100,000 single-server nodes (one group), load 0.9, power-of-2, 10^7 jobs, 1 thread"
    cat > "$TMP/cluster.toml" <<'EOF'
name = "cluster-100k"
seed = 1
replications = 1
horizon = { jobs = 10000000 }

[[classes]]
name = "jobs"
arrival = { dist = "exponential", rate = 90000.0 }
service = { dist = "exponential", mean = 1.0 }

[[nodes]]
name = "rack"
count = 100000
servers = 1

[dispatch]
rule = "power-of-d"
d = 2
EOF
    read -r w m < <(measure "$BIN" run "$TMP/cluster.toml" --threads 1)
    awk -v w="$w" -v m="$m" \
        'BEGIN { printf "schedlab: %s s, peak %.0f MB, %.2f M jobs/s\n", w, m / 1024, 10 / w }'
    # The bar: the same cluster as a bare loop (benches/cluster_loop.rs).
    read -r hw hm < <(measure "$LOOP" 100000 10000000)
    awk -v w="$w" -v hw="$hw" -v hm="$hm" \
        'BEGIN { printf "hand-written loop: %s s, peak %.0f MB, %.2f M jobs/s; schedlab at x%.2f of it\n", hw, hm / 1024, 10 / hw, hw / w }'
fi
