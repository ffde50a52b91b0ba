"""Django's PostgreSQL backend with a health check that costs no round trip, and cursors
whose statements the server prepares once per connection.

With ``CONN_HEALTH_CHECKS`` Django checks a kept connection before the first query of
every request by running ``SELECT 1``: one more round trip on every request, for the
rare request that follows a restart of PostgreSQL or a terminated connection. A server
that ends a connection says so first (an error message, then the socket closes), and an
idle connection has nothing else to read. So the socket is polled without waiting:
nothing to read, the connection is sound; anything there, Django's own check decides.

Planning is most of what PostgreSQL spends on a borrow's or a return's statements: the
lookups by key join four tables, and the server plans each one afresh when it arrives as
text with its values inlined, as Django's cursors send it. ``prepared_cursor()`` sends
the values apart from the SQL and has the server keep the statement, parsed and planned,
for the connection's life (psycopg names and reuses it; PostgreSQL switches to a generic
plan once it costs no more than the plans for the values seen). Only the statements that
run on every request use it: a search's plan depends on its words, so lists and every
other query keep Django's cursor. The statements name their columns, so a migration that
adds a column leaves them valid; one that changes a column they return is deployed, as
every release is, with the web processes restarted.
"""

import select

from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg import adapters, errors
from psycopg.pq import Format, TransactionStatus

TIMESTAMPTZ_OID = adapters.types["timestamptz"].oid


class PreparingCursor(base.ServerBindingCursor):
    """A cursor that prepares every statement it runs (psycopg keeps the 100 latest)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


class DatabaseOperations(base.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        if isinstance(cursor, PreparingCursor):
            # A prepared statement runs by name, so psycopg keeps no text of it: the
            # statement as Django's own cursors would have sent it, for the query log.
            try:
                return self.compose_sql(sql, params)
            except errors.DataError:
                return None
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

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

    @property
    def prepares_statements(self) -> bool:
        # Django turns preparing off unless OPTIONS["prepare_threshold"] is set, for the
        # connection poolers that cannot keep a prepared statement (DATABASE_PREPARED_STATEMENTS).
        return self.settings_dict["OPTIONS"].get("prepare_threshold") is not None

    def prepared_cursor(self):
        """Like ``cursor()``, the statement prepared on the server (see the module)."""
        if not self.prepares_statements:
            return self.cursor()
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            cursor = PreparingCursor(self.connection)
            # As Django's create_cursor(): the session's time zone for timestamptz.
            tzloader = self.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
            if self.timezone != tzloader.timezone:
                register_tzloader(self.timezone, cursor)
            return self._prepare_cursor(cursor)
