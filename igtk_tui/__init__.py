"""igtk: run YAML playbooks against Ignition gateways, from a terminal or headless."""

__version__ = "0.1.0"
