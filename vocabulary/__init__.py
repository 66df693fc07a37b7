"""The ground floor: words the hub, the connectors' tests and the sandboxes share (pure, imports nothing)."""
