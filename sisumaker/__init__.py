"""Sisumaker: a compact e-office for a regency. `create_app` is the only way to build the application."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from sisumaker.config import Defaults, load_secret_key


def create_app(test_config: dict | None = None) -> Flask:
    """Defaults, then instance/config.py, then SISUMAKER_* environment variables (or `test_config`)."""
    instance_path = os.environ.get("SISUMAKER_INSTANCE_PATH") or str(Path(__file__).resolve().parent.parent / "instance")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.from_object(Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("SISUMAKER")
        if os.environ.get("REDIS_URL") and not os.environ.get("SISUMAKER_REDIS_URL"):
            app.config["REDIS_URL"] = os.environ["REDIS_URL"]
    else:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(app.instance_path)
    if int(app.config.get("PROXY_FIX") or 0):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    _configure_database(app)
    _init_extensions(app)
    from sisumaker import security

    security.install_converters(app)  # bounded <int:> ids, before the blueprints add their rules
    _register_blueprints(app)

    from sisumaker import cli, cli_archive, cli_backup, cli_signing, errors, mail_hook, templating  # noqa: F401

    errors.register(app)
    security.register(app)
    templating.register(app)
    cli.register(app)
    cli_signing.register(app)
    cli_archive.register(app)
    cli_backup.register(app)
    return app


def _configure_database(app: Flask) -> None:
    from sisumaker.database import engine_options, sqlite_url

    url = app.config.get("DATABASE_URL") or app.config.get("SQLALCHEMY_DATABASE_URI") or sqlite_url(app.instance_path)
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**engine_options(url), **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}


def _init_extensions(app: Flask) -> None:
    from sisumaker import models  # noqa: F401  (register the tables)
    from sisumaker.database import install_sqlite_hooks
    from sisumaker.extensions import csrf, db, limiter, login_manager, migrate
    from sisumaker.queue import redis_available

    db.init_app(app)
    with app.app_context():
        install_sqlite_hooks(db.engine)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Silakan masuk terlebih dahulu."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    storage = app.config.get("RATELIMIT_STORAGE_URI")
    if not storage:
        url = app.config.get("REDIS_URL")
        storage = url if url and redis_available(app) else "memory://"
        if storage.startswith("unix://"):  # the limits library names unix sockets redis+unix://
            storage = "redis+" + storage
        app.config["RATELIMIT_STORAGE_URI"] = storage
    limiter.init_app(app)
    from sisumaker import page_cache

    page_cache.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from sisumaker.blueprints.auth.routes import bp as auth_bp
    from sisumaker.blueprints.health.routes import bp as health_bp
    from sisumaker.blueprints.dispositions.routes import bp as dispositions_bp
    from sisumaker.blueprints.inbox.routes import bp as inbox_bp
    from sisumaker.blueprints.letters.routes import bp as letters_bp
    from sisumaker.blueprints.outgoing.routes import bp as outgoing_bp
    from sisumaker.blueprints.signing.routes import bp as signing_bp
    from sisumaker.blueprints.verify.routes import bp as verify_bp
    from sisumaker.blueprints.admin import bp as admin_bp
    from sisumaker.blueprints.records.routes import bp as records_bp  # calendar, retention (JRA)
    from sisumaker.blueprints.dashboard.routes import bp as dashboard_bp  # adoption dashboard
    from sisumaker.blueprints.search.routes import bp as search_bp
    from sisumaker.blueprints.archive.routes import bp as archive_bp  # buku agenda, bulk export

    for bp in (auth_bp, health_bp, inbox_bp, letters_bp, dispositions_bp, outgoing_bp, signing_bp, verify_bp,
               admin_bp, records_bp, dashboard_bp, search_bp, archive_bp):
        app.register_blueprint(bp)
