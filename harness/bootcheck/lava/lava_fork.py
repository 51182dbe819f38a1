"""lava-run with its imports paid once: this process loads lava-run's own
program (Debian's /usr/bin/lava-run, a Python script) as a module, and then
forks one child per job that runs that program's main() with the job's
command line, in a session of its own, its output in the job's log. Each
job is still a process of its own (its pid, exit status, signals, scratch
directory), exactly as `lava-run ARGS` would be; what is not repeated is
Python's start and lava_dispatcher's imports (~0.9 CPU-s each, most of it
loading libbcc), which lava-run spends before it reads its arguments.

Protocol (one JSON object a line): a request on stdin
{"id": N, "argv": [...], "log": PATH} is answered {"id": N, "pid": PID}
once the child runs, and {"pid": PID, "status": S} when it ends (S as
subprocess's returncode: the exit status, or -SIGNAL). At the end of stdin
the server waits for its children and exits.

    python3 -m bootcheck.lava.lava_fork /usr/bin/lava-run     (bootcheck.lava.lava_local.Dispatcher)
"""

import importlib.machinery
import importlib.util
import json
import os
import select
import signal
import sys

from . import forkchild


def is_python_program(path):
    """Whether path is a Python script this server can load (a LAVA_RUN
    that is some other program runs as a process of its own)."""
    try:
        with open(path, "rb") as f:
            first = f.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python3" in first


def load(path):
    loader = importlib.machinery.SourceFileLoader("bootcheck_lava_run_program", path)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)          # its `if __name__ == "__main__"` stays false
    return module


def _child(program, path, argv, log):
    """In the forked child: become `lava-run ARGV > LOG 2>&1 < /dev/null` in
    a new session, as subprocess.Popen(start_new_session=True) makes it."""
    def lava_run():
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.argv = [path, *argv]
        return program.main()
    forkchild.run(log, lava_run)


def serve(path):
    # Ctrl-C reaches the whole foreground group: the client (bootcheck's
    # run()) ends a job it started itself, and this server must live on to
    # report that job's end. It ends when its stdin does.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    program = load(path)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    out = sys.stdout.fileno()
    children = set()
    pending = b""
    open_input = True

    def say(obj):
        os.write(out, (json.dumps(obj) + "\n").encode())

    def reap():
        while children:
            try:
                pid, st = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            children.discard(pid)
            say({"pid": pid, "status": os.waitstatus_to_exitcode(st)})

    say({"ready": True})
    while open_input or children:
        readable, _, _ = select.select([0, wake_r] if open_input else [wake_r], [], [], 1.0)
        if wake_r in readable:
            os.read(wake_r, 4096)
        reap()
        if 0 in readable:
            data = os.read(0, 65536)
            if not data:
                open_input = False
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    os.close(wake_r)
                    os.close(wake_w)
                    _child(program, path, request["argv"], request["log"])
                children.add(pid)
                say({"id": request["id"], "pid": pid})
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1]))
