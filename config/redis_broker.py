"""kombu's Redis transport, made safe against a Redis that hangs or drops while a worker acknowledges.

kombu forgets a delivered message only after Redis confirmed its
acknowledgement; when that confirmation times out (a hung Redis), the message
keeps its prefetch slot in the worker for good, and a worker that takes one
message at a time (prefetch 1, as this site's workers do) never takes another:
it looks alive and computes nothing. tests/faults/ measured it: after Redis
hung for 15 s both workers stopped consuming. Here the worker forgets the
message whatever Redis answered; what Redis still holds is redelivered after
the visibility timeout, and a redelivered message for a finished run does
nothing (the run's row is the truth). Selected by CELERY_BROKER_TRANSPORT in
config/settings.py whenever CELERY_BROKER_URL is ``redis://``.
"""

from __future__ import annotations

import logging

from kombu.transport import redis, virtual
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class QoS(redis.QoS):
    def ack(self, delivery_tag: str) -> None:
        try:
            self._remove_from_indices(delivery_tag).execute()
        except (RedisError, OSError) as exc:
            log.warning("could not acknowledge message %s (%s); Redis will redeliver it, harmlessly", delivery_tag, exc)
        virtual.QoS.ack(self, delivery_tag)

    def reject(self, delivery_tag: str, requeue: bool = False) -> None:
        try:
            if requeue:
                self.restore_by_tag(delivery_tag, leftmost=True)
            else:
                self._remove_from_indices(delivery_tag).execute()
        except (RedisError, OSError) as exc:
            log.warning("could not give message %s back (%s); Redis will redeliver it, harmlessly", delivery_tag, exc)
        virtual.QoS.ack(self, delivery_tag)


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel
