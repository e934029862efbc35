"""Water: tree and green-space water balance with soil probes and citizens' watering, the
"needs water" map and crew lists, irrigation control, water meters and leak detection."""
