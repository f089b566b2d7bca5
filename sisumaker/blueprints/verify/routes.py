"""Public verification without login (rate-limited): /v/<token>, its JSON, the PDF check; the CRL and roots."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from sisumaker.blueprints.common import read_upload
from sisumaker.extensions import csrf, limiter
from sisumaker.pki_runtime import pki_context
from sisumaker.services import verification
from sisumaker.services.errors import ValidationError
from sisumaker.signing import current_crl
from sisumaker.storage import file_store_for

bp = Blueprint("verify", __name__)
LIMIT = "60 per minute"


@bp.get("/v/<token>")
@limiter.limit(LIMIT)
def page(token: str):
    doc = verification.lookup(token)
    info = verification.public_info(doc, file_store_for())
    return render_template("verify/page.html", info=info, token=token, result=None), 200 if doc else 404


@bp.get("/v/<token>.json")
@limiter.limit(LIMIT)
def page_json(token: str):
    doc = verification.lookup(token)
    return jsonify(verification.public_info(doc, file_store_for())), 200 if doc else 404


@bp.post("/v/<token>")
@limiter.limit("20 per minute")
@csrf.exempt  # public, no session: the upload changes nothing
def check(token: str):
    doc = verification.lookup(token)
    info = verification.public_info(doc, file_store_for())
    try:
        result = verification.check_upload(doc, pki_context(), read_upload("pdf") or b"")
    except ValidationError as exc:
        return render_template("verify/page.html", info=info, token=token, result=None, error=exc.message), 422
    if request.accept_mimetypes.best == "application/json":
        return jsonify(result)
    return render_template("verify/page.html", info=info, token=token, result=result)


@bp.get("/pki/crl.der")
@limiter.exempt
def crl():
    return Response(current_crl(pki_context().pki), mimetype="application/pkix-crl",
                    headers={"Cache-Control": "public, max-age=3600"})


@bp.get("/pki/root.pem")
@limiter.exempt
def root():
    return Response(pki_context().root_pem, mimetype="application/x-pem-file")


@bp.get("/pki/issuing.pem")
@limiter.exempt
def issuing():
    from cryptography.hazmat.primitives.serialization import Encoding

    return Response(pki_context().pki.issuing_cert.public_bytes(Encoding.PEM), mimetype="application/x-pem-file")


__all__ = ["bp", "current_app"]
