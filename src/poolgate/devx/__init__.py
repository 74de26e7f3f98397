"""Developer experience: pools as code, and import/export of a pool's configuration.

``apply`` reads a YAML file that declares pools, app clients, groups and users (the format
is documented in ``docs/pools-as-code.md``), validates all of it, then creates or updates
what differs. ``transfer`` turns the JSON of ``aws cognito-idp describe-user-pool`` and
``describe-user-pool-client`` into that format and applies it, and exports a pool back
into it. ``spec`` owns the file's schema and its line-numbered errors.

Edge package (like ``cli``): it works through the core services of
:class:`poolgate.services.Services` and uses the model validator of ``poolgate.protocol``
to check requests before anything is written.
"""

from __future__ import annotations

from poolgate.devx.apply import apply_document, apply_file, apply_text
from poolgate.devx.spec import ApplyError
from poolgate.devx.transfer import export_pool, import_pool

__all__ = ["ApplyError", "apply_document", "apply_file", "apply_text", "export_pool", "import_pool"]
