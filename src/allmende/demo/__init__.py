"""The demo region: a small, generated but realistic German region for trying Allmende."""
