"""The transactional outbox: what a unit of work publishes is written in its own transaction.

Services call `uow.publish(event_type, data, customer_id=...)` (`app/kit/uow.py`); the writer
below, given to the database by `app/runtime.py`, inserts the messages right before the commit,
so an event exists exactly when the change it describes does. Dispatchers read pending rows.
"""
