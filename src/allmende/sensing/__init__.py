"""The observation core every module uses: SensorThings entities, stored on both backends."""
