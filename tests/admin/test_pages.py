"""Every admin page renders for the admin; non-admins are refused on every admin route with an Indonesian 403."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from sisumaker.extensions import db
from sisumaker.models import NumberPattern
from tests.admin.support import counts, unit, user
from tests.helpers import csrf_token, text


def admin_urls(app) -> list[tuple[str, str]]:
    """(method, url) of every rule of the admin blueprint, ids filled with existing rows."""
    with app.app_context():
        ids = dict(unit_id=unit("DINKES").id, position_id=user("kadis.dinkes").position_id,
                   user_id=user("kasi11.dinkes").id, pattern_id=db.session.scalar(select(NumberPattern.id)),
                   assignment_id=1, group_id=1)
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        url = rule.rule
        for name, value in ids.items():
            url = url.replace(f"<int:{name}>", str(value))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((method, url))
    return sorted(set(out))


def test_every_admin_route_is_listed(web_app):
    urls = admin_urls(web_app)
    assert len(urls) >= 25
    assert ("GET", "/admin/") in urls and ("POST", "/admin/audit/periksa") in urls


@pytest.mark.parametrize("username", ["kadis.dinkes", "tu.dinkes", "bupati"])
def test_non_admins_are_refused_everywhere(web_app, client_for, username, ctx):
    client = client_for(username)
    token = csrf_token(client, "/")
    before = counts()
    let_through = []
    for method, url in admin_urls(web_app):
        response = client.open(url, method=method, data={"csrf_token": token, "name": "X", "title": "X"})
        body = text(response)
        if response.status_code != 403 or "Halaman admin hanya untuk administrator Sisumaker." not in body:
            let_through.append((method, url, response.status_code))
    assert let_through == []
    assert counts() == before


def test_anonymous_is_sent_to_login(web_app):
    response = web_app.test_client().get("/admin/pengguna")
    assert response.status_code == 302 and "/masuk" in response.headers["Location"]


GET_PAGES = ["/admin/", "/admin/unit", "/admin/unit?cari=kesehatan", "/admin/pengguna", "/admin/pengguna?q=dinkes",
             "/admin/pengguna/baru", "/admin/plt", "/admin/plt?lihat=lalu", "/admin/pola", "/admin/grup",
             "/admin/grup/baru", "/admin/audit", "/admin/audit?aksi=auth.&hal=2"]


@pytest.mark.parametrize("url", GET_PAGES)
def test_admin_pages_render(client_for, url):
    response = client_for("admin").get(url)
    assert response.status_code == 200, text(response)[:2000]
    assert 'href="/admin/"' in text(response)  # the one nav link


def test_detail_pages_render(client_for, ctx):
    client = client_for("admin")
    pages = [f"/admin/unit/{unit('DINKES').id}", f"/admin/unit/{unit('PEMKAB').id}",
             f"/admin/jabatan/{user('kadis.dinkes').position_id}", f"/admin/pengguna/{user('kasi11.dinkes').id}",
             f"/admin/pola/{db.session.scalar(select(NumberPattern.id))}"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, (url, text(response)[:2000])


def test_branch_fragment_and_fallback(client_for, ctx):
    client = client_for("admin")
    dinkes = unit("DINKES").id
    fragment = client.get(f"/admin/unit/{dinkes}/cabang", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in text(fragment) and "Bidang 1" in text(fragment)
    plain = client.get(f"/admin/unit/{dinkes}/cabang")
    assert plain.status_code == 302 and plain.headers["Location"].endswith(f"/admin/unit/{dinkes}")


def test_nav_link_only_for_admins(client_for):
    assert 'href="/admin/"' not in text(client_for("kadis.dinkes").get("/"))
