"""Built-in domain modules. Each has the same shape (see docs/modules.md) and imports only
``allmende.sdk``; they register through the entry point group ``allmende.modules`` in
``pyproject.toml``, as outside modules do."""
