#!/bin/bash
# Network benchmark (issue 6), run as root on demand:
#   tests/bench/network.sh [SEPTA_BIN]  >> tests/bench/network-results.md
#
# 1. attach time: `septa network connect` of a fresh network namespace, median
#    (and p90) of 100: sp_net_attach() itself (from `septa --debug`) and the
#    wall clock of the whole command (exec included); the matching detach;
# 2. container-to-container TCP throughput (iperf3, 5 s) across a septa switch
#    against a bare veth pair made with `ip`, and against a bare bridge;
# 3. published-port request rate: sequential TCP connect/read/close through
#    127.0.0.1:HOSTPORT (DNAT) against the container's address directly.
#
# Everything uses an --internal switch on 10.231.200.0/24, namespaces and
# veths it creates itself, and a throwaway data root; all of it is removed on
# exit, even on failure.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
SEPTA=${1:-${SEPTA_BIN:-$REPO/build/cli/septa}}
N=${N:-100}
export SEPTA_DATA_ROOT=$(mktemp -d /tmp/septa-netbench.XXXXXX)
export SEPTA_ROOT=$SEPTA_DATA_ROOT/run
SW=spbench$$
SW=${SW:0:15}
PRE=spb$$

cleanup() {
    set +e
    for n in $(ip netns list | awk '{print $1}' | grep "^$PRE"); do ip netns del "$n"; done
    "$SEPTA" network gc >/dev/null 2>&1
    "$SEPTA" network rm "$SW" >/dev/null 2>&1
    ip link del "${PRE}va" 2>/dev/null
    ip link del "${PRE}br" 2>/dev/null
    [ -n "${SRV:-}" ] && kill "$SRV" 2>/dev/null
    rm -rf "$SEPTA_DATA_ROOT"
}
trap cleanup EXIT

now_us() { echo $(($(date +%s%N) / 1000)); }

stats() { # prints "median p90" of the numbers on stdin (microseconds) in ms
    sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; p=a[int(NR*0.9)]; printf "%.2f %.2f\n", m/1000, p/1000}'
}

"$SEPTA" network create "$SW" --subnet 10.231.200.0/24 --internal >/dev/null

# ---- 1. attach / detach time ----
for i in $(seq 1 "$N"); do ip netns add "${PRE}a$i"; done
: >"$SEPTA_DATA_ROOT/attach"; : >"$SEPTA_DATA_ROOT/attach_lib"; : >"$SEPTA_DATA_ROOT/detach"
for i in $(seq 1 "$N"); do
    t0=$(now_us)
    "$SEPTA" --debug network connect "$SW" "${PRE}a$i" 2>"$SEPTA_DATA_ROOT/dbg" >/dev/null
    t1=$(now_us)
    echo $((t1 - t0)) >>"$SEPTA_DATA_ROOT/attach"
    # sp_net_attach's own time (septa --debug), without process start-up
    sed -n 's/.*attached .* in \([0-9.]*\) ms$/\1/p' "$SEPTA_DATA_ROOT/dbg" |
        awk '{printf "%d\n", $1 * 1000}' >>"$SEPTA_DATA_ROOT/attach_lib"
done
for i in $(seq 1 "$N"); do
    t0=$(now_us); "$SEPTA" network disconnect "$SW" "${PRE}a$i"; t1=$(now_us)
    echo $((t1 - t0)) >>"$SEPTA_DATA_ROOT/detach"
done
for i in $(seq 1 "$N"); do ip netns del "${PRE}a$i"; done
read -r am ap < <(stats <"$SEPTA_DATA_ROOT/attach")
read -r lm lp < <(stats <"$SEPTA_DATA_ROOT/attach_lib")
read -r dm dp < <(stats <"$SEPTA_DATA_ROOT/detach")
# The floor: starting septa at all.
: >"$SEPTA_DATA_ROOT/ver"
for i in $(seq 1 "$N"); do
    t0=$(now_us); "$SEPTA" version >/dev/null; t1=$(now_us); echo $((t1 - t0)) >>"$SEPTA_DATA_ROOT/ver"
done
read -r vm vp < <(stats <"$SEPTA_DATA_ROOT/ver")

# ---- 2. iperf3 throughput ----
ip netns add "${PRE}s"; ip netns add "${PRE}c"
"$SEPTA" network connect "$SW" "${PRE}s" --ip 10.231.200.10 -p 18999:5201 >/dev/null
"$SEPTA" network connect "$SW" "${PRE}c" --ip 10.231.200.11 >/dev/null
ip netns exec "${PRE}s" iperf3 -s -D -1 >/dev/null; sleep 0.5
sw_bps=$(ip netns exec "${PRE}c" iperf3 -c 10.231.200.10 -t 5 -J | jq '.end.sum_received.bits_per_second')
ip netns add "${PRE}x"; ip netns add "${PRE}y"
ip link add "${PRE}va" type veth peer name "${PRE}vb"
ip link set "${PRE}va" netns "${PRE}x"; ip link set "${PRE}vb" netns "${PRE}y"
ip -n "${PRE}x" addr add 10.231.201.1/24 dev "${PRE}va"; ip -n "${PRE}x" link set "${PRE}va" up
ip -n "${PRE}y" addr add 10.231.201.2/24 dev "${PRE}vb"; ip -n "${PRE}y" link set "${PRE}vb" up
ip -n "${PRE}x" link set lo up; ip -n "${PRE}y" link set lo up
ip netns exec "${PRE}x" iperf3 -s -D -1 >/dev/null; sleep 0.5
veth_bps=$(ip netns exec "${PRE}y" iperf3 -c 10.231.201.1 -t 5 -J | jq '.end.sum_received.bits_per_second')
# A bridge made by hand (no septa rules): how much of the gap is the bridge itself.
ip netns add "${PRE}p"; ip netns add "${PRE}q"
ip link add "${PRE}br" type bridge; ip link set "${PRE}br" up
for n in p q; do
    ip link add "${PRE}h$n" type veth peer name eth0 netns "${PRE}$n"
    ip link set "${PRE}h$n" master "${PRE}br" up
    ip -n "${PRE}$n" link set eth0 up; ip -n "${PRE}$n" link set lo up
done
ip -n "${PRE}p" addr add 10.231.202.1/24 dev eth0
ip -n "${PRE}q" addr add 10.231.202.2/24 dev eth0
ip netns exec "${PRE}p" iperf3 -s -D -1 >/dev/null; sleep 0.5
br_bps=$(ip netns exec "${PRE}q" iperf3 -c 10.231.202.1 -t 5 -J | jq '.end.sum_received.bits_per_second')

# ---- 3. published-port request rate ----
cat >"$SEPTA_DATA_ROOT/srv.py" <<'PY'
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8000)); s.listen(128)
while True:
    c, _ = s.accept(); c.sendall(b"ok\n"); c.close()
PY
cat >"$SEPTA_DATA_ROOT/cli.py" <<'PY'
import socket, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t = time.monotonic()
for _ in range(n):
    c = socket.create_connection((host, port)); c.recv(16); c.close()
print("%.0f" % (n / (time.monotonic() - t)))
PY
"$SEPTA" network disconnect "$SW" "${PRE}s"
"$SEPTA" network connect "$SW" "${PRE}s" --ip 10.231.200.10 -p 18998:8000 >/dev/null
ip netns exec "${PRE}s" python3 "$SEPTA_DATA_ROOT/srv.py" &
SRV=$!
sleep 0.5
pub_rps=$(python3 "$SEPTA_DATA_ROOT/cli.py" 127.0.0.1 18998 2000)
dir_rps=$(python3 "$SEPTA_DATA_ROOT/cli.py" 10.231.200.10 8000 2000)

cat <<EOF
## $(date -u +%Y-%m-%dT%H:%MZ) $(uname -r), $(nproc) CPUs, $(basename "$SEPTA")

| measure | septa | baseline | ratio |
|---|---|---|---|
| attach, sp_net_attach() itself, median / p90 of $N | ${lm} / ${lp} ms | | target median <= 5 ms |
| attach, whole \`septa network connect\` command | ${am} / ${ap} ms | \`septa version\` ${vm} / ${vp} ms (process start) | |
| detach (disconnect), median / p90 of $N | ${dm} / ${dp} ms | | |
| TCP throughput, iperf3 5 s | $(awk "BEGIN{printf \"%.2f\", $sw_bps/1e9}") Gbit/s (switch) | $(awk "BEGIN{printf \"%.2f\", $veth_bps/1e9}") Gbit/s (bare veth pair) | $(awk "BEGIN{printf \"%.2f\", $sw_bps/$veth_bps}")x (target >= 0.9x) |
| TCP throughput, same, bare bridge made by \`ip\` | | $(awk "BEGIN{printf \"%.2f\", $br_bps/1e9}") Gbit/s | septa/bare bridge $(awk "BEGIN{printf \"%.2f\", $sw_bps/$br_bps}")x |
| request rate, 2000 sequential connections | ${pub_rps}/s via 127.0.0.1 published port | ${dir_rps}/s direct to container | $(awk "BEGIN{printf \"%.2f\", $pub_rps/$dir_rps}")x |

EOF
