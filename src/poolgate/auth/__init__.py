"""Auth: the sign-in engine behind InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge and
AdminRespondToAuthChallenge (spec ../shared/spec/auth-flows.md).

What lives where:

- ``state``: the domain values: ``AuthFlow``, ``ChallengeName``, ``AuthSession`` (the
  server-side state behind a ``Session`` string, with ``CustomState`` for CUSTOM_AUTH) and the
  step outcomes (``Challenge``, ``Authenticated``, ``Passed``, ``Failed``, ``Complete``,
  ``Rejected``).
- ``engine``: the state machine. ``next_challenge`` is the pure table that decides what follows
  a passed step (see ``engine.md`` for the diagram); ``Engine`` gates the flow, runs the flow or
  challenge responder and turns ``Passed`` into the next challenge or tokens.
- ``context``: what a flow or responder gets (``StepContext``) and the phases of a call: read
  transactions, triggers with no transaction open, short write transactions.
- ``hooks``: PreAuthentication and UserMigration, and ``finish`` (PostAuthentication,
  PreTokenGeneration, the token write phase); ``custom``: the DefineAuthChallenge /
  CreateAuthChallenge rounds of CUSTOM_AUTH.
- ``flows/``: one class per ``AuthFlow`` (its ``Gate``, ``identify`` and ``start``), registered
  in ``flows.FLOWS``; ``challenges/``: one ``ChallengeType`` per ``ChallengeName`` (responder,
  issuer, session look-up), registered in ``challenges.CHALLENGES``.
- ``gating``: which flows an operation and an app client accept, read from the flows' ``Gate``.
- ``sessions``: random ``Session`` handles (stored hashed) and the SRP ``SECRET_BLOCK``.
- ``mfa_setup``: AssociateSoftwareToken and VerifySoftwareToken made with the ``Session`` of a
  sign-in waiting for MFA_SETUP (``MfaService`` reaches it through ``mfa.service.SetupSessions``).
- ``account``: the user-status checks of section 7; ``first_factor``: the password step that
  combines them and the failed-sign-in lockout of section 10 (``security.lockout``) with the
  password check;
  ``existence``: the single place that decides how an unknown user is answered
  (PreventUserExistenceErrors) and fakes an SRP challenge for one.
- ``messages``: Cognito's error texts; ``ports``: the ``TokenIssuer`` protocol.
- ``service``: ``AuthService``.

Core package: imports ``poolgate.errors``, ``poolgate.clock``, ``poolgate.srp``, the other
core packages it drives (``pools``, ``users``, ``mfa``, ``devices``, ``security``,
``delivery``, ``tokens.model``, ``triggers.api``), the model modules and ``poolgate.store.base``;
never the protocol, operations, web or SQL layers, and no core package imports auth. Tokens are issued through the ``TokenIssuer`` protocol in ``ports``.
"""

from __future__ import annotations
