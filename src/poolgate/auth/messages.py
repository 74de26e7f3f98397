"""The error messages of the sign-in operations, worded as Cognito words them.

Evidence for each is in ../shared/spec/auth-flows.md (sections 2, 7, 8 and 10) and srp.md
section 9; the few Poolgate had to choose say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

INCORRECT_CREDENTIALS: Final = "Incorrect username or password."
USER_NOT_FOUND: Final = "User does not exist."
USER_DISABLED: Final = "User is disabled."
USER_NOT_CONFIRMED: Final = "User is not confirmed."
PASSWORD_RESET_REQUIRED: Final = "Password reset required for the user"
ACCOUNT_EXPIRED: Final = "User account has expired, it must be reset by an administrator."
ATTEMPTS_EXCEEDED: Final = "Password attempts exceeded"
INVALID_SESSION: Final = "Invalid session for the user."
SESSION_EXPIRED: Final = "Invalid session for the user, session is expired."
METHOD_NOT_SUPPORTED: Final = "Initiate Auth method not supported."

CUSTOM_AUTH_NOT_CONFIGURED: Final = "Custom auth lambda trigger is not configured for the user pool."
"""InvalidParameterException for CUSTOM_AUTH on a pool without the three challenge triggers
(observed in public apps that match the text; the spec's InvalidUserPoolConfigurationException
was an emulator's guess)."""

USER_AUTH_UNSUPPORTED: Final = "USER_AUTH (choice-based sign-in) is not supported by this server yet."
"""[decision] USER_AUTH is out of scope for now (spec section 4.6)."""

INVALID_CHALLENGE_NAME: Final = "Invalid challenge name for this session."
"""[decision] the spec leaves the wording free (section 8.1)."""

TIMESTAMP_INVALID: Final = "TIMESTAMP format is invalid"
"""[decision] srp.md section 5."""


def flow_not_enabled(flow: str) -> str:
    """``USER_PASSWORD_AUTH flow not enabled for this client``."""
    return f"{flow} flow not enabled for this client"


def missing_parameter(name: str) -> str:
    """``Missing required parameter SRP_A`` (no final period)."""
    return f"Missing required parameter {name}"


def attributes_missing(names: Sequence[str]) -> str:
    """``Invalid attributes given, given_name is missing`` / ``..., name and address is missing``
    (NEW_PASSWORD_REQUIRED without a required attribute; observed texts)."""
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"Invalid attributes given, {listed} is missing"


def already_provided(name: str) -> str:
    """``Cannot modify an already provided email`` (NotAuthorizedException, observed 2022)."""
    return f"Cannot modify an already provided {name}"
