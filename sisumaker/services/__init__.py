"""Business rules: plain functions that take the acting user explicitly.

They never read `request`, `session` or `current_user`; they check permission first, flush, and leave the
commit to their caller (a route, a CLI command or an RQ job).
"""

from sisumaker.services import search_index  # noqa: E402,F401  (its flush hook keeps the search index in step)
from sisumaker.services import page_versions  # noqa: E402,F401  (its commit hook bumps the list pages' counters)
