"""gunicorn settings for production: `gunicorn wsgi:app` reads this file from the working directory.

Sync workers serve one connection at a time, so two clients that drip their request a byte at a
time hold two workers until they finish, and the app stops answering. Threaded workers (gthread)
read each request on a thread of their own: a slow client holds one thread of `threads`, and the
other threads go on answering. A buffering proxy (nginx, Caddy) in front is still the better
defence against many slow clients; these settings keep a handful from taking the app down when
there is none. Each value can be changed with the environment variable named in `_int` or on
the command line (`--threads 16`).
"""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(f"GUNICORN_{name}", str(default)))


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = _int("WORKERS", 2)
# Requests waiting on a slow client or on the database each hold one thread, not a worker.
threads = _int("THREADS", 8)
# A worker silent this long (stuck, not merely busy with slow clients) is restarted.
timeout = _int("TIMEOUT", 30)
graceful_timeout = 30
# Idle keep-alive connections are closed after this many seconds, freeing their thread.
keepalive = 5
# Connections held at once per worker (open keep-alive connections included).
worker_connections = 200
# Bounds on what a client may send before the app sees it: long request lines or many or large
# header fields are refused with 400 instead of being buffered.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
# No control socket (gunicorn 25.1 and later make one for `gunicornc` at one fixed path per
# user, $HOME/.gunicorn/gunicorn.ctl): nothing here uses it, and two servers of one user (a
# second instance, the load test, the two test suites at once) would take the same socket.
control_socket_disable = True
# Restart workers now and then so that a slow leak cannot grow for ever.
max_requests = 2000
max_requests_jitter = 200
# Access log without query strings or referrers: a search typed by a therapist, or any other
# personal data that might end up in a URL, is never written to disk.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
# gunicorn's own messages (workers starting, timeouts) in the app's format: JSON lines in
# production (rehab_app/web/logs.py), so that one log shipper reads everything. The app's request
# events carry the request id and the user's id; this access log stays plain and query-free.
if (
    os.environ.get("LOG_FORMAT", "json" if os.environ.get("APP_ENV") == "production" else "text")
    == "json"
):
    # gunicorn lays this over its own defaults key by key: our "handlers" replace its, so its
    # "root" (which names its "console" handler) is replaced too, or gunicorn will not start
    # ("Unable to configure root logger"). The root logger gets no handler here: the app adds
    # its own in each worker (rehab_app/web/logs.py), and a second would print each line twice.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": []},
        "formatters": {"json": {"()": "rehab_app.web.logs.JsonFormatter"}},
        "handlers": {
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["error_console"], "level": "INFO", "propagate": False}
        },
    }
