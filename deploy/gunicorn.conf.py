"""Gunicorn settings for one modest server (2 cores, 2-4 GB RAM) behind nginx.

Used by deploy/sisumaker-web.service:  gunicorn -c deploy/gunicorn.conf.py wsgi:app
Every value can be overridden on the command line or with GUNICORN_CMD_ARGS.

Time zone: set TZ=Asia/Jakarta in the environment of the process (the systemd unit does), so that log lines and
any local-time default are WIB; the application itself dates letters with an explicit zone.
"""
import multiprocessing
import os

# nginx talks to gunicorn on the loopback only; nothing else should reach this port.
bind = os.environ.get("SISUMAKER_BIND", "127.0.0.1:8000")

# 2 processes x 4 threads: the work is mostly waiting on the database, and heavy work (signing, PDF batches,
# broadcast mail) runs in the RQ worker. More processes than cores only costs memory (~120 MB each).
workers = int(os.environ.get("SISUMAKER_WEB_WORKERS", min(2, multiprocessing.cpu_count()) or 1))
worker_class = "gthread"
threads = int(os.environ.get("SISUMAKER_WEB_THREADS", 4))

# A request that runs longer than this is killed and logged; nginx's proxy_read_timeout (180 s) is longer, so
# the user sees gunicorn's answer, not nginx's. The longest pages render PDFs in the request (lembar disposisi,
# buku agenda of a year: a few seconds); signing and batches run in the worker, never here.
timeout = 120
graceful_timeout = 30
keepalive = 5
# The workers' heartbeat files on tmpfs: a disk stalled by a backup or a big upload must not make the arbiter
# think a busy worker hung.
worker_tmp_dir = "/dev/shm"
# Recycle processes now and then so a slow leak can never take the server down.
max_requests = 2000
max_requests_jitter = 200

# Only nginx on this host may say "this request came over HTTPS" (X-Forwarded-Proto); the app itself trusts
# one proxy hop for the client address when SISUMAKER_PROXY_FIX=1 (set in /etc/sisumaker.env).
forwarded_allow_ips = "127.0.0.1,::1"

# gunicornc control socket next to the systemd RuntimeDirectory (the default would be in $HOME).
control_socket = os.environ.get("SISUMAKER_CONTROL_SOCKET", "/run/sisumaker/gunicorn.ctl")

accesslog = "-"  # journald
errorlog = "-"
loglevel = "info"
access_log_format = '%({x-forwarded-for}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
