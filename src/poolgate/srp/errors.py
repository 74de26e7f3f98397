"""Exceptions raised by the SRP layer.

None of these carry a wire code: the auth layer decides what the client sees.
The intended mapping (srp.md section 9) is:

- ``InvalidSrpA``, ``ProofMismatch`` and ``StaleTimestamp`` become
  ``NotAuthorizedException`` ``Incorrect username or password.``;
- ``InvalidTimestamp`` becomes ``InvalidParameterException``;
- ``InvalidDeviceVerifierConfig`` becomes ``InvalidParameterException`` in
  ``ConfirmDevice``.

Corrupt *stored* values (a verifier or salt that is not hex, or out of range)
are programming or storage errors and raise ``ValueError`` instead.
"""

from __future__ import annotations


class SrpError(Exception):
    """Base class for every failure the SRP layer reports to its caller."""


class InvalidSrpA(SrpError):
    """The client's ``SRP_A`` is not hex, too long, zero modulo N, or not below N."""


class ProofMismatch(SrpError):
    """The password, or the SRP claim signature, does not match the stored verifier."""


class InvalidTimestamp(SrpError):
    """The ``TIMESTAMP`` challenge response cannot be parsed."""


class StaleTimestamp(SrpError):
    """The ``TIMESTAMP`` challenge response is too far from the server's clock."""


class InvalidDeviceVerifierConfig(SrpError):
    """A ``DeviceSecretVerifierConfig`` is not Base64 or holds an unusable salt or verifier."""
