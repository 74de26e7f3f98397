"""Poolgate: a self-hosted server for the Amazon Cognito user-pool API (cognito-idp)."""

from __future__ import annotations

__version__ = "0.1.0"
