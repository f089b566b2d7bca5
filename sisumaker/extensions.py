"""Unbound extensions; `create_app` binds them."""
from __future__ import annotations

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name, get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=False)


@limiter.request_filter
def _no_limit_declared() -> bool:
    """There are no default limits, only those declared on views (login, public verification): a request to any
    other view skips the limiter's per-request work. Decided once per endpoint."""
    endpoint = request.endpoint or ""
    unlimited: dict[str, bool] = current_app.extensions.setdefault("sisumaker_unlimited_endpoints", {})
    if endpoint not in unlimited:
        view = current_app.view_functions.get(endpoint)
        unlimited[endpoint] = view is not None and not limiter.limit_manager.decorated_limits(
            get_qualified_name(view))
    return unlimited[endpoint]
