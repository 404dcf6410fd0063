"""The condition language shared by tier rules and segments, and its two engines.

- ``schema``: the JSON tree as Pydantic models (``Condition``), with shape and value checks;
- ``fields``: the check against what exists in a workspace (``FieldCatalog``, ``check``);
- ``evaluate``: the Python engine, for one customer (``evaluate``, ``next_flip``);
- ``compile``: the SQL engine, for sets of customers (``compile_condition``,
  ``compile_next_flip``).

How a condition reads a customer (both engines, exactly):

A condition is ``all`` (every item holds; an empty list holds), ``any`` (some item holds; an
empty list does not) or ``not`` over comparisons ``{"field", "op", "value"}``. Every comparison
is true or false, never unknown, so ``not`` is plain negation.

- **Missing, null or of another type is false.** A comparison whose field has no value (a trait
  the customer does not have, a path through something that is not an object, a JSON ``null``, a
  metric with no value yet, no tier in that scheme) or a value of another type than the
  comparison's (the trait ``"10"``, a string, compared with the number ``10``; a list compared
  with ``"EU"``) is false. This holds for ``eq``, ``gt``, ``gte``, ``lt``, ``lte``, ``between``,
  ``in``, ``contains``, ``within_days``, ``older_than_days`` and ``exists: true``.
- **Three negations, exact.** ``ne`` is ``not eq``, ``not_in`` is ``not in`` and ``exists: false``
  is ``not exists: true``; so they hold for a missing value: ``{"field": "traits.region", "op":
  "ne", "value": "EU"}`` includes customers without a region.
- **Traits keep their JSON type.** ``10`` and ``10.0`` are equal numbers; ``"10"`` is a string
  and equals neither; ``true`` is a boolean, not ``1``. Ordering (``gt``, ``between``…) a trait
  takes a JSON number and holds only for number traits. ``contains`` holds for a string trait
  containing the value as a substring (case-sensitive) or an array trait with an element equal to
  the value; for anything else it is false.
- **Numbers are exact.** A value may be a JSON number or, for metrics, a decimal string
  (``"5000.00"``); money metrics compare as decimals, never as floats.
- **Timestamps use whole UTC days**, like the metric windows. ``within_days: N`` holds when the
  timestamp's UTC date is today or one of the N-1 days before (``within_days: 30`` = the last 30
  days including today; a timestamp dated after today is within too); ``older_than_days: N``
  holds when the date is N or more days before today. For a timestamp that exists exactly one of
  the two holds; for a missing one, neither. Timestamps also compare by instant with ``eq``,
  ``gt``, ``between``… given a date-time with a timezone.
- **Tiers** compare by tier key with ``eq``, ``ne``, ``in``, ``not_in`` and ``exists``; a customer
  without a tier in the scheme yet has no value.
- **Event counts** ``metrics.<type>_count`` are 0 for a customer who has no event of that type.

Time moves conditions without new data: ``next_flip`` gives the next midnight at which a time
comparison in a condition changes its value for a customer (``within_days`` and
``older_than_days``, and comparisons on ``days_since_last_order``, which grows by one every
midnight), so the scheduler re-evaluates that customer then.
"""
