"""Talking to Ignition gateways: the HTTP client and `.modl` module-file helpers."""
