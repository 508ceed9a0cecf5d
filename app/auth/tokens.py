"""Bearer token formats: the prefix tells which table holds the token's hash."""

from __future__ import annotations

MASTER_KEY_PREFIX = "admk_"
SESSION_PREFIX = "adms_"
IMPERSONATION_PREFIX = "admi_"
RESET_PREFIX = "admr_"  # one-time password reset links
INVITATION_PREFIX = "admv_"  # one-time invitation links

# How stale a "last used" time may get before a request refreshes it; refreshing on every
# request would turn every read into a write.
TOUCH_INTERVAL_SECONDS = 60
