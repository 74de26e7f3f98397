"""The AWS JSON 1.1 wire protocol for cognito-idp, driven by botocore's service model.

May import botocore, ``poolgate.errors`` and ``poolgate.clock``; nothing from the core.
"""
