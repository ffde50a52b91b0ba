"""Django's PostgreSQL backend with a health check that costs no round trip.

With ``CONN_HEALTH_CHECKS`` Django checks a kept connection before the first query of
every request by running ``SELECT 1``: one more round trip on every request, for the
rare request that follows a restart of PostgreSQL or a terminated connection. A server
that ends a connection says so first (an error message, then the socket closes), and an
idle connection has nothing else to read. So the socket is polled without waiting:
nothing to read, the connection is sound; anything there, Django's own check decides.
"""

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if connection.info.transaction_status == TransactionStatus.IDLE:
            try:
                # poll(), not select(): no limit on the descriptor's number.
                poller = select.poll()
                poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
                if not poller.poll(0):
                    return True
            except (OSError, ValueError):
                pass  # whatever went wrong, the round trip below decides
        return super().is_usable()
