#!/usr/bin/env bats
# The CLI contract: help on every level, version, one-line errors with 125,
# and the septa-runtime name.
load helpers

setup() { common_setup; }

@test "--help lists the commands and global options" {
    run septa --help
    [ "$status" -eq 0 ]
    [[ $output == *"Usage: septa"* ]]
    [[ $output == *"oci"* ]]
    [[ $output == *"--data-root"* ]]
}

@test "--version and version print the version" {
    run septa --version
    [ "$status" -eq 0 ]
    [[ $output == "septa version "* ]]
    run septa version
    [ "$status" -eq 0 ]
    [[ $output == *"spec: 1.2.0"* ]]
    run septa version --help
    [ "$status" -eq 0 ]
}

@test "no command is an error with usage" {
    run septa
    [ "$status" -eq 125 ]
    [[ $output == *"no command given"* ]]
}

@test "unknown command: one line, exit 125" {
    run septa frobnicate
    assert_one_line_error "unknown command 'frobnicate'"
}

@test "unknown global option: one line, exit 125" {
    run septa --frob version
    assert_one_line_error "'--frob'"
    run septa -Z version
    assert_one_line_error "'-Z'"
}

@test "missing option value: one line, exit 125" {
    run septa --root
    assert_one_line_error "'--root'"
}

@test "--log-format rejects unknown formats" {
    run septa --log-format yaml version
    assert_one_line_error "--log-format: unknown format 'yaml'"
}

@test "--systemd-cgroup is refused clearly" {
    run septa --systemd-cgroup version
    assert_one_line_error "--systemd-cgroup"
}

@test "--log writes errors to the log file, json with --log-format json" {
    log=$BATS_TEST_TMPDIR/septa.log
    run septa --log "$log" --log-format json frobnicate
    [ "$status" -eq 125 ]
    run jq -r 'select(.level == "error") | .msg' "$log"
    [ "$status" -eq 0 ]
    [[ $output == *"unknown command 'frobnicate'"* ]]
    run jq -r '.time' "$log"
    [[ $output == 20* ]]
}

@test "--log to an unwritable place is one clear line" {
    run septa --log /nonexistent/dir/log version
    assert_one_line_error "opening log file /nonexistent/dir/log"
}

@test "septa-runtime behaves as septa oci" {
    ln -s "$SEPTA" "$BATS_TEST_TMPDIR/septa-runtime"
    run "$BATS_TEST_TMPDIR/septa-runtime" --help
    [ "$status" -eq 0 ]
    [[ $output == *"septa-runtime"* ]]
    run "$BATS_TEST_TMPDIR/septa-runtime" --version
    [ "$status" -eq 0 ]
    [[ $output == "septa-runtime version "* ]]
    run "$BATS_TEST_TMPDIR/septa-runtime" frobnicate
    assert_one_line_error "septa-runtime: unknown command 'frobnicate'"
    run septa oci frobnicate
    assert_one_line_error "septa oci: unknown command 'frobnicate'"
}

@test "oci with no verb is an error; --help works" {
    run septa oci
    [ "$status" -eq 125 ]
    run septa oci --help
    [ "$status" -eq 0 ]
    [[ $output == *"Verbs:"* ]]
}
