"""User dashboards: boards built by pinning answers (docs/dashboards.md)."""
