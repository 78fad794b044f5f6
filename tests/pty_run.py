#!/usr/bin/env python3
# Runs a command on a pseudo-terminal COLS columns wide, as a user's terminal would, and
# writes what the terminal received (bytes as they are, CRs included) to standard output.
# Exit status: the command's. usage: pty_run.py COLS TIMEOUT_S CMD [ARGS...]
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time

cols, timeout = int(sys.argv[1]), float(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    os.execvp(sys.argv[3], sys.argv[3:])
out, end, status = b"", time.time() + timeout, None
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            data = b""
        out += data
        if data:
            continue
    p, st = os.waitpid(pid, os.WNOHANG)
    if p:
        status = os.waitstatus_to_exitcode(st)
        break
if status is None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    status = 124
sys.stdout.buffer.write(out)
sys.exit(status)
