"""SRP: Cognito's SRP-6a variant as pure functions ("hazmat").

Owns the group constants, padHex, verifier creation and password checks, the
server side of USER_SRP_AUTH / PASSWORD_VERIFIER and of device SRP, and the
``TIMESTAMP`` format (see ../shared/spec/srp.md). No I/O, no clock, no storage:
callers pass every input, including random values when they need them fixed.
Failures raise ``SrpError`` subclasses (``poolgate.srp.errors``), which the auth
layer maps to Cognito errors; nothing here returns a bool for a verification.

Core package: imports only the standard library, ``gmpy2`` and ``cryptography``.
"""

from __future__ import annotations

from poolgate.srp.device import (
    encode_device_verifier_config,
    make_device_verifier,
    parse_device_verifier_config,
    verify_device_claim,
)
from poolgate.srp.errors import (
    InvalidDeviceVerifierConfig,
    InvalidSrpA,
    InvalidTimestamp,
    ProofMismatch,
    SrpError,
    StaleTimestamp,
)
from poolgate.srp.math import pad_hex
from poolgate.srp.server import ServerChallenge, parse_srp_a, start, verify_claim
from poolgate.srp.timestamp import check_timestamp, parse_timestamp, timestamp_now
from poolgate.srp.verifier import check_password, make_verifier, pool_name_from_pool_id

__all__ = [
    "InvalidDeviceVerifierConfig",
    "InvalidSrpA",
    "InvalidTimestamp",
    "ProofMismatch",
    "ServerChallenge",
    "SrpError",
    "StaleTimestamp",
    "check_password",
    "check_timestamp",
    "encode_device_verifier_config",
    "make_device_verifier",
    "make_verifier",
    "pad_hex",
    "parse_device_verifier_config",
    "parse_srp_a",
    "parse_timestamp",
    "pool_name_from_pool_id",
    "start",
    "timestamp_now",
    "verify_claim",
    "verify_device_claim",
]
