"""The data layer: read-only connections, the MUSCLE schema, and catalog queries."""
