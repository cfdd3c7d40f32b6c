"""News articles about regulators punishing companies -> a validated table of enforcement actions."""

__version__ = "0.1.0"
