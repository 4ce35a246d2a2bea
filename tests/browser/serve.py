"""Serve the example site on a listening socket handed down by the test process.

Run as ``python -m tests.browser.serve FD`` with ``DATABASE_URL`` and any
``TWOSTEP_*`` variables in the environment. The parent bound and listened on
the socket before starting this process, so requests queue in the socket's
backlog until this server takes them: there is no port to race for and no
"is it up yet?" polling. Django's own threaded development server does the
serving (what ``runserver`` runs), with static files, as ``make demo`` serves.
"""

from __future__ import annotations

import os
import socket
import sys


def main() -> None:
    fd = int(sys.argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")

    import django

    django.setup()

    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    listening = socket.socket(fileno=fd)
    host, port = listening.getsockname()[:2]
    server = ThreadedWSGIServer((host, port), WSGIRequestHandler, bind_and_activate=False)
    server.socket.close()
    server.socket = listening
    server.server_address = (host, port)
    # What HTTPServer.server_bind() and WSGIServer.server_bind() would have set.
    server.server_name = host
    server.server_port = port
    server.setup_environ()
    server.set_app(StaticFilesHandler(get_wsgi_application()))

    # Tell the parent the site is configured, then keep stdout out of its way.
    sys.stdout.write(f"ready http://{host}:{port}/\n")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
