"""Runtime settings: an allowlist of typed keys an operator changes without a restart.

`catalog` names the keys (type, bounds, default, description); `store` reads them through a
small per-process cache. Domains read their values here, with the environment's `Settings`
as the default; the change itself (`settingUpdate`) is `app/ops/settings.py`, which also
checks what only the domains above know (an alert URL's safety).
"""
