"""Fleet runs: one playbook on many gateways of the inventory (docs/fleets.md).

plan.py    batches (--serial) and the stop rule (--max-fail), pure and testable alone
runner.py  the executions: bounded concurrency (--forks), a gateway lock each, the store record
output.py  what the operator sees: one line per gateway event, or JSON lines, and the summary
check.py   `igtk inventory check`: every gateway's state and version, a bounded number at once
"""
