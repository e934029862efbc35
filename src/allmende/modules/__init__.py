"""Built-in domain modules. Each has the same shape (see docs/modules.md) and imports only
``allmende.sdk``; they are listed in ``allmende.core.registry.BUILTIN_MODULES``."""
