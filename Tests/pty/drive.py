#!/usr/bin/env python3
"""Drive a program in a pseudo-terminal, as a person at a keyboard would.

usage: drive.py PROGRAM HISTORY_FILE STEPS_JSON [ARGUMENT...]
STEPS_JSON is a list of ["send", text], ["wait", seconds] and ["until", text] (read
until the terminal has shown text since the last "until", for at most 20 s). Prints
JSON with what the terminal showed and the exit status (null if it had not exited 3 s
after the last step).
"""
import json
import os
import pty
import select
import sys
import time

program, history, steps = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
arguments = sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    os.environ["GRAPHREPL_HISTORY"] = history
    os.environ["TERM"] = "xterm"
    os.environ["NO_COLOR"] = "1"
    os.execv(program, [program] + arguments)

shown = b""


def read_for(seconds):
    global shown
    end = time.time() + seconds
    while time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return False
            if not data:
                return False
            shown += data
    return True


def read_until(text, limit=20.0):
    global mark
    end = time.time() + limit
    want = text.encode()
    while time.time() < end:
        found = shown.find(want, mark)
        if found >= 0:
            mark = found + len(want)
            return
        if not read_for(0.05):
            return


mark = 0
read_until(">>> ")
for kind, value in steps:
    if kind == "send":
        os.write(fd, value.encode())
    elif kind == "until":
        read_until(value)
    else:
        read_for(value)
status = None
end = time.time() + 3
while time.time() < end:
    read_for(0.1)
    done, code = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(code)
        break
if status is None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
print(json.dumps({"shown": shown.decode("utf-8", "replace"), "status": status}))
