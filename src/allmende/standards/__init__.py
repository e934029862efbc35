"""Wire-format adapters for open standards (SensorThings, OGC API - Features, Open311, DCAT).
No business rules here: adapters read the registry and call the services behind it."""
