"""A test-only app whose `flush` command can empty the append-only audit table.

Django's TransactionTestCase (live_server, transactional_db) flushes the database after each
test; the append-only triggers rightly refuse that, so this override lifts them around the
flush, for tests only. Production keeps Django's own `flush`, which the triggers refuse.
"""
