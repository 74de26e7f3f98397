"""MFA: the pool's MFA configuration, users' MFA settings, TOTP software tokens and SMS /
e-mail one-time codes (spec ../shared/spec/mfa-devices-security.md sections 1-4).

What lives where:

- ``totp``: RFC 6238 / RFC 4226 arithmetic (hazmat: pure, ``verify`` raises, constant-time
  comparisons); ``seeds``: TOTP secrets sealed with AES-GCM for ``User.settings``.
- ``pool_config``: SetUserPoolMfaConfig / GetUserPoolMfaConfig and the typed ``PoolMfa`` view;
  ``user_settings``: a user's enabled and preferred factors and TOTP record in
  ``User.settings`` (the keys ``users.views`` shows), SetUserMFAPreference's rules.
- ``selection``: which MFA step a sign-in needs (pure; the engine's MFA rows call it).
- ``software_token``: associate, verify the enrolment, check a sign-in code;
  ``codes``: SMS and e-mail codes (draft with CustomMessage, issue, check) and the attempt limit
  of MFA answers; ``messages``: the error texts; ``deps``: ``MfaDeps``, wired by the
  composition root.
- ``service``: ``MfaService``, the MFA operations outside the sign-in engine.
- ``rotation``: re-sealing TOTP secrets during ``poolgate master-key rotate``.

The challenge responders (SMS_MFA, EMAIL_OTP, SOFTWARE_TOKEN_MFA, MFA_SETUP, SELECT_MFA_TYPE)
live in ``poolgate.auth.challenges`` and use this package.

Core package: imports ``poolgate.errors``, ``poolgate.clock``, ``poolgate.delivery`` (the
message value and sender protocol), ``poolgate.pools``, ``poolgate.users``,
``poolgate.security.crypto``, ``poolgate.tokens.model``, ``poolgate.triggers.api`` and
``poolgate.store.base``. Never ``poolgate.auth`` (auth imports mfa: the MFA_SETUP session path
of ``service`` is ``poolgate.auth.mfa_setup``, handed in through ``service.SetupSessions``),
protocol, operations, web or SQL.
"""

from __future__ import annotations
