"""lava-server's three processes (its web process under gunicorn,
lava-publisher and lava-scheduler) forked from one Python that has loaded
Django and lava-server's code once, instead of three processes that each
load it (~1.6 CPU-s apiece). Each child is what its command line would
start: `gunicorn ARGS` or `lava-server manage COMMAND ARGS`, in a session
of its own, its output in its log; this process prints {name: pid} as JSON
and exits, leaving them running (bootcheck.lava_instance records the pids
and ends them by their process groups).

Run with lava-server's environment (DATABASE_URL, LAVA_SETTINGS_*, its
code on PYTHONPATH); no bootcheck module is imported here:

    python3 lava_server_fork.py '[[NAME, LOG, [ARGV...]], ...]'
"""

import json
import os
import sys


def preload():
    os.environ["DJANGO_SETTINGS_MODULE"] = "lava_server.settings.prod"   # as lava-server's script sets it
    import importlib
    import django
    django.setup()
    importlib.import_module("lava_server.wsgi")
    for command in ("lava-publisher", "lava-scheduler"):
        importlib.import_module(f"lava_server.management.commands.{command}")


def run(argv):
    """In the child: the process argv names, to its exit status."""
    if os.path.basename(argv[0]) == "gunicorn":
        from gunicorn.app.wsgiapp import run as gunicorn
        sys.argv = argv
        return gunicorn()
    from django.core.management import execute_from_command_line
    # `lava-server manage COMMAND ARGS` is Django's `manage COMMAND ARGS`
    sys.argv = [argv[0], *argv[2:]] if argv[1:2] == ["manage"] else argv
    execute_from_command_line(sys.argv)
    return 0


def child(argv, log, cwd):
    status = 1
    try:
        os.setsid()
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
            status = run(argv)
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        status = status if isinstance(status, int) else 0
    except BaseException:
        import traceback
        traceback.print_exc()
        status = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(status & 0xFF)


def main():
    specs = json.loads(sys.argv[1])
    preload()
    sys.stdout.flush()
    pids = {}
    for name, log, argv in specs:
        pid = os.fork()
        if pid == 0:
            child(argv, log, os.getcwd())
        pids[name] = pid
    print(json.dumps(pids), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
