"""Reference experiments, one module each. See compute.protocol."""
