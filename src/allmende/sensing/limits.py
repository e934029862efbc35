"""How much one entity of the observation core may hold.

The bounds are checked at every door (the SensorThings writer, and the batched ingest behind
HTTP, data arrays, MQTT and the SDK), so no stored value can blow up an answer or a page.
Times have their range in :mod:`allmende.core.timeutil`. Documented in docs/sensorthings.md.
"""

from __future__ import annotations

#: A text property (name, description, metadata …) or a text result.
MAX_TEXT_CHARS = 65_536
#: A JSON property (properties, parameters, unitOfMeasurement …) or a JSON result, as JSON.
MAX_JSON_BYTES = 1_048_576
#: A Location's or FeatureOfInterest's GeoJSON document, as JSON: room for a detailed boundary.
MAX_DOCUMENT_BYTES = 8_388_608

TEXT_TOO_LONG = f"is longer than {MAX_TEXT_CHARS} characters"
JSON_TOO_LARGE = f"is larger than {MAX_JSON_BYTES} bytes as JSON"
DOCUMENT_TOO_LARGE = f"is larger than {MAX_DOCUMENT_BYTES} bytes as JSON"
