"""Notifications of scheduled runs: a JSON webhook (json, Slack or Teams shapes), e-mail over
SMTP with STARTTLS, and a local command hook (docs/schedules.md).

`targets` parses a target ("webhook[format=slack]:https://...") and checks it; `message`
builds what is said (scrubbed); `send` delivers with bounded retries and reports each
target's result. A failing notification never changes an execution's status.
"""
