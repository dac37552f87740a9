#!/usr/bin/env bats
# The OCI lifecycle: spec, features, create/start/state/kill/delete, run,
# exec, list, ps; exit statuses; nothing left behind.
load oci-helpers
bats_require_minimum_version 1.5.0

setup_file() { oci_setup_file; }
setup() { oci_setup; }
teardown() { oci_teardown; }

@test "spec writes a valid default config and never overwrites one" {
    run septa oci spec --bundle "$BUNDLE"
    assert_one_line_error "config.json already exists"
    jq -e '.ociVersion and .process.args and (.linux.namespaces | length >= 5)' "$BUNDLE/config.json"
    run septa oci spec --help
    [ "$status" -eq 0 ]
}

@test "features lists namespaces, hooks and mount options as JSON" {
    run septa oci features
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.linux.namespaces | index("user") and index("time")'
    echo "$output" | jq -e '.hooks | index("createRuntime")'
    echo "$output" | jq -e '.mountOptions | index("rslave")'
    # id-mapped and recursive-attribute mounts are advertised to engines
    echo "$output" | jq -e '.linux.mountExtensions.idmap.enabled == true'
    echo "$output" | jq -e '.mountOptions | index("ridmap") and index("rro") and index("rnosymfollow")'
    # every advertised option is one the config parser knows
    cfg_sh 'true'
    for o in $(echo "$output" | jq -r '.mountOptions[]'); do
        O=$o cfg '.mounts += [{"destination": "/mnt", "type": "bind", "source": "/tmp", "options": ["rbind", $ENV.O]}]'
        run septa oci run --bundle "$BUNDLE" "$CID"
        [[ $output != *"unknown mount option"* ]] || { echo "$o: $output"; return 1; }
        septa oci delete --force "$CID" 2>/dev/null || true
        cfg 'del(.mounts[-1])'
    done
    O=bogus cfg '.mounts += [{"destination": "/mnt", "type": "bind", "source": "/tmp", "options": ["rbind", $ENV.O]}]'
    run septa oci run --bundle "$BUNDLE" "$CID"
    assert_one_line_error "unknown mount option 'bogus'"
}

@test "every verb has --help" {
    for v in create start state kill delete run exec list ps features spec; do
        run septa oci "$v" --help
        [ "$status" -eq 0 ] || { echo "$v: $output"; return 1; }
        [[ $output == *"Usage:"* ]]
    done
    run septa oci --help
    [[ $output == *"exec"* ]]
}

@test "run in the foreground returns the container's exit status" {
    cfg_sh 'exit 3'
    run septa oci run --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 3 ]
    assert_no_trace
}

@test "run: a container killed by a signal exits 128+n" {
    cfg_sh 'echo ready > /out/ready; sleep 100'
    "$SEPTA" oci run --bundle "$BUNDLE" "$CID" & pid=$!
    for i in $(seq 50); do [ -e "$BATS_TEST_TMPDIR/out/ready" ] && break; sleep 0.1; done
    septa oci kill "$CID" KILL
    wait "$pid" && st=0 || st=$?
    [ "$st" -eq 137 ]
    assert_no_trace
}

@test "run forwards signals to the container" {
    cfg_sh 'trap "exit 42" TERM; echo ready > /out/ready; while :; do sleep 0.1; done'
    "$SEPTA" oci run --bundle "$BUNDLE" "$CID" & pid=$!
    for i in $(seq 50); do [ -e "$BATS_TEST_TMPDIR/out/ready" ] && break; sleep 0.1; done
    kill -TERM "$pid"
    wait "$pid" && st=0 || st=$?
    [ "$st" -eq 42 ] || { echo "st=$st"; ls $BATS_TEST_TMPDIR/out; return 1; }
    assert_no_trace
}

@test "create waits for start; state goes created -> running -> stopped" {
    cfg_sh 'echo started > /out/started; sleep 100'
    oci_detached create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$CID"
    [ "$(oci_status "$CID")" = created ]
    sleep 0.3
    [ ! -e "$BATS_TEST_TMPDIR/out/started" ]
    pid=$(cat "$BATS_TEST_TMPDIR/pid")
    [ "$(septa oci state "$CID" | jq .pid)" -eq "$pid" ]
    septa oci state "$CID" | jq -e --arg b "$BUNDLE" '.ociVersion == "1.2.0" and .bundle == $b'
    run septa oci start "$CID"
    [ "$status" -eq 0 ]
    for i in $(seq 50); do [ -e "$BATS_TEST_TMPDIR/out/started" ] && break; sleep 0.1; done
    [ -e "$BATS_TEST_TMPDIR/out/started" ]
    [ "$(oci_status "$CID")" = running ]
    run septa oci start "$CID"
    assert_one_line_error "is running, not created"
    run septa oci kill "$CID" KILL
    [ "$status" -eq 0 ]
    for i in $(seq 50); do [ "$(oci_status "$CID")" = stopped ] && break; sleep 0.1; done
    [ "$(oci_status "$CID")" = stopped ]
    run septa oci kill "$CID"
    assert_one_line_error "is stopped"
    run septa oci delete "$CID"
    [ "$status" -eq 0 ]
    assert_no_trace
    run septa oci state "$CID"
    assert_one_line_error "does not exist"
}

@test "delete refuses a running container; --force kills it and is idempotent" {
    cfg_sh 'sleep 100'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    pid=$(septa oci state "$CID" | jq .pid)
    run septa oci delete "$CID"
    assert_one_line_error "is running"
    run septa oci delete --force "$CID"
    [ "$status" -eq 0 ]
    ! kill -0 "$pid" 2>/dev/null || [ "$(awk '{print $3}' /proc/$pid/stat)" = Z ]
    assert_no_trace
    run septa oci delete --force "$CID"
    [ "$status" -eq 0 ]
    run septa oci delete "$CID"
    assert_one_line_error "does not exist"
}

@test "delete of a created container kills its waiting init" {
    cfg_sh 'true'
    oci_detached create --bundle "$BUNDLE" "$CID"
    pid=$(septa oci state "$CID" | jq .pid)
    run septa oci delete "$CID"
    [ "$status" -eq 0 ]
    ! kill -0 "$pid" 2>/dev/null || [ "$(awk '{print $3}' /proc/$pid/stat)" = Z ]
    assert_no_trace
}

@test "a second container with the same id is refused and the first is untouched" {
    cfg_sh 'sleep 100'
    oci_detached create --bundle "$BUNDLE" "$CID"
    run septa oci create --bundle "$BUNDLE" "$CID" 3>&-
    assert_one_line_error "already exists"
    [ "$(oci_status "$CID")" = created ]
}

@test "invalid container ids are refused" {
    run septa oci create --bundle "$BUNDLE" "../evil"
    assert_one_line_error "invalid character '/'"
    run septa oci state ".."
    assert_one_line_error "not allowed"
}

@test "missing args[0] exits 127, non-executable 126, nothing left" {
    cfg '.process.args = ["no-such-program"]'
    run -127 septa oci create --bundle "$BUNDLE" "$CID"
    [[ $output == *"no-such-program"* ]]
    assert_no_trace
    cfg '.process.args = ["/etc/passwd"]'
    run -126 septa oci run --bundle "$BUNDLE" "$CID"
    [[ $output == *"/etc/passwd"* ]]
    assert_no_trace
    cfg '.process.args = ["/no/such/dir/prog"]'
    run -127 septa oci run --bundle "$BUNDLE" "$CID"
    assert_no_trace
}

@test "kill: signal names and numbers, bad signals refused" {
    cfg_sh 'trap "echo usr1 > /out/sig" USR1; echo ok > /out/ready; while :; do sleep 0.1; done'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    for i in $(seq 50); do [ -e "$BATS_TEST_TMPDIR/out/ready" ] && break; sleep 0.1; done
    run septa oci kill "$CID" SIGUSR1
    [ "$status" -eq 0 ]
    for i in $(seq 50); do [ -e "$BATS_TEST_TMPDIR/out/sig" ] && break; sleep 0.1; done
    [ "$(cat "$BATS_TEST_TMPDIR/out/sig")" = usr1 ]
    run septa oci kill "$CID" FROB
    assert_one_line_error "signal 'FROB'"
    run septa oci kill "$CID" 99
    assert_one_line_error "signal '99'"
    run septa oci kill --all "$CID" 9
    [ "$status" -eq 0 ]
    for i in $(seq 50); do [ "$(oci_status "$CID")" = stopped ] && break; sleep 0.1; done
    [ "$(oci_status "$CID")" = stopped ]
}

@test "kill does not signal a recycled pid (start time is checked)" {
    cfg_sh 'sleep 100'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    # Pretend the recorded init started at another time: same pid, other process.
    st=$SEPTA_ROOT/$CID/state.json
    jq '.septa.startTime += 1' "$st" > "$st.new" && mv "$st.new" "$st"
    [ "$(oci_status "$CID")" = stopped ]
    run septa oci kill "$CID" KILL
    [ "$status" -eq 125 ]
    pid=$(jq .pid "$st")
    kill -0 "$pid"
    kill -9 "$pid"
}

@test "list and ps, in table and json" {
    cfg_sh 'sleep 100 & sleep 100'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    run septa oci list --format json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e --arg id "$CID" '.[] | select(.id == $id) | .status == "running"'
    run septa oci list
    [[ $output == *"$CID"*running* ]]
    run septa oci list --quiet
    [ "$output" = "$CID" ]
    run septa oci ps --format json "$CID"
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq length)" -eq 2 ]
    run septa oci ps "$CID"
    [[ $output == *sleep* ]]
    run septa oci list --format yaml
    assert_one_line_error "unknown format 'yaml'"
}

@test "exec runs in the container's namespaces with its exit status" {
    cfg_sh 'sleep 100'
    cfg '.hostname = "inside"'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    run septa oci exec "$CID" hostname
    [ "$status" -eq 0 ]
    [ "$output" = inside ]
    run septa oci exec "$CID" sh -c 'cat /proc/1/cmdline | tr "\0" " "'
    [[ $output == "sleep 100"* ]]
    run septa oci exec "$CID" sh -c 'exit 9'
    [ "$status" -eq 9 ]
    run septa oci exec --env FOO=bar --cwd /tmp --user 1000:1001 "$CID" sh -c 'echo $FOO $(pwd) $(id -u) $(id -g)'
    [ "$output" = "bar /tmp 1000 1001" ]
    run -127 septa oci exec "$CID" no-such-cmd
    run septa oci exec "$CID"
    assert_one_line_error "missing command"
}

@test "exec --process and --detach with --pid-file" {
    cfg_sh 'sleep 100'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    cat > "$BATS_TEST_TMPDIR/proc.json" <<'J'
{"args": ["sh", "-c", "echo $X > /out/exec; sleep 100"], "env": ["X=fromfile", "PATH=/bin:/usr/bin"], "cwd": "/"}
J
    oci_detached exec --detach --pid-file "$BATS_TEST_TMPDIR/epid" --process "$BATS_TEST_TMPDIR/proc.json" "$CID"
    for i in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/out/exec" ] && break; sleep 0.1; done
    [ "$(cat "$BATS_TEST_TMPDIR/out/exec")" = fromfile ]
    epid=$(cat "$BATS_TEST_TMPDIR/epid")
    kill -0 "$epid"
    run septa oci ps --format json "$CID"
    echo "$output" | jq -e --argjson p "$epid" 'any(.[]; . == $p)'
    echo '{"args": "sh"}' > "$BATS_TEST_TMPDIR/bad.json"
    run septa oci exec --process "$BATS_TEST_TMPDIR/bad.json" "$CID"
    assert_one_line_error "args: expected an array"
}

@test "exec into a stopped container is refused" {
    cfg_sh 'true'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    for i in $(seq 50); do [ "$(oci_status "$CID")" = stopped ] && break; sleep 0.1; done
    run septa oci exec "$CID" true
    assert_one_line_error "is stopped"
}

@test "the waiting init runs septa from a copy nobody can write (CVE-2019-5736)" {
    # In its own pid namespace (an exec may join it before start) ...
    cfg_sh 'true'
    oci_detached create --bundle "$BUNDLE" "$CID"
    run assert_exe_protected "$CID" "$SEPTA" oci
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    # ... and sharing the host's, where every host process can see it.
    cfg '.linux.namespaces |= map(select(.type != "pid"))'
    oci_detached create --bundle "$BUNDLE" "$CID"
    run assert_exe_protected "$CID" "$SEPTA" oci
    [ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "no host fd or cwd reaches the container" {
    cfg_sh 'ls /proc/self/fd | sort -n | tr "\n" " "; echo; readlink /proc/1/cwd'
    exec 7>"$BATS_TEST_TMPDIR/leak"
    run septa oci run --bundle "$BUNDLE" "$CID"
    exec 7>&-
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "0 1 2 3 " ]   # 3 is ls's own directory fd
    [ "${lines[1]}" = "/" ]
}

@test "--preserve-fds passes extra fds" {
    cfg_sh 'cat <&3'
    echo preserved > "$BATS_TEST_TMPDIR/in"
    run septa oci run --preserve-fds 1 --bundle "$BUNDLE" "$CID" 3<"$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 0 ]
    [ "$output" = preserved ]
}

@test "exec -t gives the process a pty of the container" {
    command -v script || skip "script(1) is needed for a terminal"
    cfg_sh 'sleep 100'
    oci_detached run --detach --bundle "$BUNDLE" "$CID"
    run script -qec "$SEPTA oci exec -t $CID sh -c 'tty; [ -t 0 ] && echo tty-ok'" /dev/null
    [ "$status" -eq 0 ]
    [[ $output == *"/dev/pts/"* ]]
    [[ $output == *tty-ok* ]]
    run septa oci exec --console-socket /nonexistent "$CID" true
    assert_one_line_error "without a terminal"
}
