from typing import Any

from sqlalchemy.engine import Row

# A result row of any shape; columns are read by attribute (``row.customer_id``).
Record = Row[*tuple[Any, ...]]
