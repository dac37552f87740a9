#!/usr/bin/env python3
"""Drive a command on a pty of our own, as a terminal emulator would.

usage: oci-pty.py ROWS COLS NEWROWS NEWCOLS -- COMMAND...

The command gets a new session with the pty as its controlling terminal, of
size ROWS x COLS.  Once it printed "ready" the pty is resized to NEWROWS x
NEWCOLS (the kernel sends SIGWINCH to the command), and after a pause a line
"go" is typed.  Everything the command wrote goes to stdout; the exit status
is the command's.
"""
import fcntl
import os
import select
import struct
import sys
import termios
import time


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    rows, cols, nrows, ncols = map(int, sys.argv[1:5])
    assert sys.argv[5] == "--"
    argv = sys.argv[6:]
    master, slave = os.openpty()
    set_size(slave, rows, cols)
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        if slave > 2:
            os.close(slave)
        os.execvp(argv[0], argv)
    os.close(slave)
    out = b""
    resized = False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the last holder of the slave closed it
                break
            if not data:
                break
            out += data
        if not resized and b"ready" in out:
            set_size(master, nrows, ncols)
            resized = True
            time.sleep(0.5)  # let the resize reach the container before the input
            os.write(master, b"go\n")
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
    sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8)


main()
