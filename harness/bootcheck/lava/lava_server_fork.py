"""lava-server's three processes (its web process under gunicorn,
lava-publisher and lava-scheduler) forked from one Python that has loaded
Django and lava-server's code once, instead of three processes that each
load it (~1.6 CPU-s apiece). Each child is what its command line would
start: `gunicorn ARGS` or `lava-server manage COMMAND ARGS`, in a session
of its own, its output in its log; this process prints {name: pid} as JSON
and exits, leaving them running (bootcheck.lava.lava_instance records the pids
and ends them by their process groups).

Run with lava-server's environment (DATABASE_URL, LAVA_SETTINGS_*, its
code on PYTHONPATH); of bootcheck's modules only forkchild, from this
script's own folder:

    python3 lava_server_fork.py '[[NAME, LOG, [ARGV...]], ...]'
"""

import json
import os
import sys

import forkchild            # from this script's own folder (stdlib only)


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


def main():
    specs = json.loads(sys.argv[1])
    preload()
    sys.stdout.flush()
    pids = {}
    for name, log, argv in specs:
        pid = os.fork()
        if pid == 0:
            forkchild.run(log, lambda argv=argv: run(argv), cwd=os.getcwd())
        pids[name] = pid
    print(json.dumps(pids), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
