"""What a child forked by one of bootcheck's fork servers does around the
program it runs (bootcheck.lava.lava_fork: lava-run; bootcheck/lava/lava_server_fork.py:
lava-server's processes): a session of its own, stdin from /dev/null,
stdout and stderr to its log, then the program, then the process ends with
the program's exit status and never returns into the server's code.

Standard library only: lava_server_fork.py runs as a script under
lava-server's PYTHONPATH and imports this from its own folder."""

import os
import sys
import traceback


def exit_status(value):
    """A program's result as sys.exit would turn it into a status: an int
    as it is, None 0, anything else 1."""
    if isinstance(value, int):
        return value
    return 0 if value is None else 1


def run(log, program, cwd=None):
    """In the forked child: becomes `program() > LOG 2>&1 < /dev/null` in a
    new session (in cwd, if given), as subprocess.Popen(start_new_session=True)
    would start it, and exits with program's status (its SystemExit's, or 1
    on an exception, whose traceback goes to the log)."""
    status = 1
    try:
        os.setsid()
        if cwd is not None:
            os.chdir(cwd)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        for target, source in ((0, null), (1, fd), (2, fd)):
            os.dup2(source, target)
        os.close(fd)
        os.close(null)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", buffering=1, closefd=False)
        sys.stderr = open(2, "w", buffering=1, closefd=False)
        try:
            status = exit_status(program())
        except SystemExit as e:
            status = exit_status(e.code)
    except BaseException:
        traceback.print_exc()
        status = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(status & 0xFF)
