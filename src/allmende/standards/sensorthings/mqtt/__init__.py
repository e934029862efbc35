"""The MQTT extension of the SensorThings API (OGC 18-088 §14.2 and §16): Observations
published to ``v1.1/…/Observations`` are stored; subscribers to entity sets, entities,
navigation and property topics receive what is created or changed. See docs/mqtt.md.

``mqtt_mode`` chooses an embedded broker (amqtt, in the app's event loop), an external broker
that Allmende joins as a client, or no MQTT at all.
"""

from allmende.http.context import AppContext
from allmende.standards.sensorthings.handlers import Api
from allmende.standards.sensorthings.mqtt.service import MqttService


def setup(context: AppContext) -> None:
    """Prepare the service (when MQTT is on) and announce it in the root document."""
    if context.settings.mqtt_mode == "off":
        return
    service = MqttService(context.service(Api), context.settings)
    service.describe()
    context.attach(service)


async def start(context: AppContext) -> None:
    service = context.find(MqttService)
    if service is not None:
        await service.start()


async def stop(context: AppContext) -> None:
    service = context.find(MqttService)
    if service is not None:
        await service.stop()


__all__ = ["MqttService", "setup", "start", "stop"]
